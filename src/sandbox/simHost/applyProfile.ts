import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { lockFilesFor } from './hostCommands.ts';
import type { HostFiles } from './hostFiles.ts';
import type { HostProfile } from './profiles.ts';

const lines = (items: readonly string[]): string => (items.length ? `${items.join('\n')}\n` : '');

const writeKernelFiles = async (files: HostFiles, kernels: readonly string[], family: HostProfile['family']): Promise<void> => {
  for (const k of kernels) {
    await files.put(files.inRoot(`/boot/vmlinuz-${k}`), `vmlinuz ${k}\n`);
    if (family === 'debian') await files.put(files.inRoot(`/boot/initrd.img-${k}`), 'initrd\n');
    else await files.put(files.inRoot(`/boot/initramfs-${k}.img`), 'initramfs\n');
  }
};

/**
 * Writes the state files (and root files) for the given profile keys; all keys when omitted. `rebuildBin`
 * runs when the set of host commands may have changed.
 */
export const applyProfile = async (
  files: HostFiles,
  p: HostProfile,
  keys: ReadonlySet<string> | undefined,
  rebuildBin: () => Promise<void>,
): Promise<void> => {
  const { flag, inRoot, put, putState, readState, stateDir } = files;
  const want = (k: keyof HostProfile): boolean => !keys || keys.has(k);
  if (want('family')) {
    await putState('family', p.family);
    await putState('lock_files', lines(lockFilesFor(p.family)));
    await putState('grub_distributor', p.osRelease?.includes('ID=debian') ? 'Debian GNU/Linux' : 'Ubuntu');
  }
  if (want('osRelease')) {
    if (p.osRelease === null) await rm(inRoot('/etc/os-release'), { force: true });
    else await put(inRoot('/etc/os-release'), p.osRelease);
  }
  if (want('hostname')) {
    await putState('hostname', `${p.hostname}\n`);
    await put(inRoot('/proc/sys/kernel/hostname'), `${p.hostname}\n`);
  }
  if (want('arch')) await putState('uname_m', `${p.arch}\n`);
  if (want('uid')) await putState('uid', `${p.uid}\n`);
  if (want('runningKernel')) await putState('uname_r', `${p.runningKernel}\n`);
  if (want('installedKernels')) {
    await putState('kernels_installed', lines(p.installedKernels));
    await writeKernelFiles(files, p.installedKernels, p.family);
  }
  if (want('availableKernels')) await putState('kernels_available', lines(p.availableKernels));
  if (want('extraPackages')) await putState('extra_packages', lines(p.extraPackages));
  if (want('defaultKernel') && p.family === 'rhel') {
    await putState('grubby_default', p.defaultKernel ? `/boot/vmlinuz-${p.defaultKernel}\n` : '');
  }
  if (want('uptimeSeconds')) await put(inRoot('/proc/uptime'), `${p.uptimeSeconds}.42 ${p.uptimeSeconds * 3}.17\n`);
  if (want('disks')) {
    await putState('disks', lines(p.disks.map((d) => `${d.mount} ${d.source} ${d.sizeMb * 1024} ${d.availMb * 1024}`)));
  }
  if (want('pendingUpdates')) await putState('updates', lines(p.pendingUpdates));
  if (want('repoError')) await flag('repo_error', p.repoError);
  if (want('installFails')) await flag('install_fails', p.installFails);
  if (want('breakInitramfs')) await flag('breaks_initramfs', p.breakInitramfs);
  if (want('grubbyIgnoresSetDefault')) await flag('grubby_ignores_set_default', p.grubbyIgnoresSetDefault);
  if (want('lock')) {
    await rm(inRoot('/var/run/yum.pid'), { force: true });
    if (p.lock) {
      await putState('lock_pid', `${p.lock.pid}\n`);
      await put(inRoot(`/proc/${p.lock.pid}/comm`), `${p.lock.comm}\n`);
      if (p.family === 'rhel' && p.lock.comm === 'yum') await put(inRoot('/var/run/yum.pid'), `${p.lock.pid}\n`);
    } else {
      const old = (await readState('lock_pid'))?.trim();
      if (old) await rm(inRoot(`/proc/${old}`), { recursive: true, force: true });
      await putState('lock_pid', '');
    }
  }
  if (want('runningServices')) await putState('services_running', lines(p.runningServices));
  if (want('failedUnits')) await putState('units_failed', lines(p.failedUnits));
  if (want('mounts')) {
    await putState('mounts', lines(p.mounts.map((m) => `${m.target} ${m.source} ${m.fstype}`)));
    const esc = (s: string): string => s.replace(/ /gu, '\\040');
    await put(inRoot('/proc/mounts'), lines(p.mounts.map((m) => `${esc(m.source)} ${esc(m.target)} ${m.fstype} rw,relatime 0 0`)));
  }
  if (want('sft')) {
    const s = p.sft;
    await flag('sft_installed', s.installed);
    await flag('sft_active', s.active);
    await flag('sft_failed', s.failed);
    await flag('sft_enabled', s.enabled);
    await flag('sft_start_ok', s.startSucceeds);
    await flag('sft_enroll_ok', s.enrollSucceeds);
    await flag('sft_consumes_token', s.consumesEnrollmentToken);
    await putState('sft_version', `${s.version}\n`);
    await putState('sft_accepted_token', s.acceptedToken);
    await putState('journal_errors', lines(s.journalErrors));
    if (s.installed) await mkdir(inRoot('/var/lib/sftd'), { recursive: true, mode: 0o700 });
    if (s.enrolled) await put(inRoot('/var/lib/sftd/device.token'), 'sim-device-token-initial\n', 0o600);
    else await rm(inRoot('/var/lib/sftd/device.token'), { force: true });
    for (const f of s.staleFiles) await put(inRoot(f), '4711\n');
  }
  if (want('ssmParameters')) {
    await rm(path.join(stateDir, 'ssm'), { recursive: true, force: true });
    await mkdir(path.join(stateDir, 'ssm'), { recursive: true });
    for (const [name, value] of Object.entries(p.ssmParameters)) await putState(`ssm/${name.replace(/\//gu, '%2F')}`, value);
  }
  if (want('awsError')) await putState('aws_error', p.awsError ?? '');
  if (want('hangingCommands')) await putState('hangs', lines(p.hangingCommands));
  if (want('files')) for (const [file, content] of Object.entries(p.files)) await put(inRoot(file), content);
  if (keys && (keys.has('missingCommands') || keys.has('packageManagers') || keys.has('sft'))) await rebuildBin();
};
