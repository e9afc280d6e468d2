import { afterAll, describe, expect, it } from 'vitest';
import {
  alpineUnsupported,
  cleanupSimHosts,
  createSimHost,
  debian12Healthy,
  expectContract,
  invoked,
  rhel9Healthy,
  runOnSimHost,
  scriptPath,
  ubuntu2204Healthy,
  withProfile,
} from '../../helpers/simHost/index.ts';
import type { HostProfile, SimHost, SimRunResult } from '../../helpers/simHost/index.ts';

const prep = scriptPath('qc-prep', 'initial-qc.sh');
const script = scriptPath('qc-prep', 'kernel-staging.sh');
const snapshotDir = '/var/lib/pcm-ops/qc/CHG0012345';
const UUID = '1c2e0b6a-7d1f-4f3e-9a57-3b0f2a9d8e41';

/** Whether any package manager was asked to install or remove anything. */
const installAttempted = (run: SimRunResult): boolean =>
  run.invocations.some(
    (i) => ['dnf', 'yum', 'apt-get'].includes(i.command) && i.args.some((a) => ['install', 'remove', 'purge', 'erase'].includes(a)),
  );

afterAll(cleanupSimHosts);

const preparedHost = async (profile: HostProfile): Promise<SimHost> => {
  const host = await createSimHost(profile);
  expectContract(await host.run(prep), 'ok');
  return host;
};

describe('qc-prep kernel-staging (RHEL family)', () => {
  it('installs the kernel, makes it the grubby default and records it; a re-run changes nothing', async () => {
    const host = await preparedHost(rhel9Healthy());
    // No .arch suffix: the host's uname -m is appended.
    const run = await host.run(script, { params: { targetKernel: '5.14.0-427.13.1.el9_4' } });
    const r = expectContract(run, 'ok');
    const kver = '5.14.0-427.13.1.el9_4.x86_64';
    expect(r.details).toMatchObject({
      targetKernel: '5.14.0-427.13.1.el9_4',
      kernel: kver,
      package: `kernel-${kver}`,
      packageManager: 'dnf',
      installAction: 'installed',
      defaultKernelBefore: '5.14.0-362.8.1.el9_3.x86_64',
      defaultKernelAfter: kver,
      bootEntry: `/boot/vmlinuz-${kver}`,
      changed: true,
      rebootRequired: true,
      runningKernel: '5.14.0-362.8.1.el9_3.x86_64',
      stagedKernelFile: `${snapshotDir}/staged-kernel`,
      warnings: [],
    });
    expect(r.summary).toBe(
      `Kernel ${kver} staged (installed) and set as default boot entry; reboot to activate (running 5.14.0-362.8.1.el9_3.x86_64)`,
    );
    expect(invoked(run, 'dnf', '-y', 'install', `kernel-${kver}`)).toBe(true);
    expect(invoked(run, 'grubby', '--set-default', `/boot/vmlinuz-${kver}`)).toBe(true);
    expect(await host.readFile(`${snapshotDir}/staged-kernel`)).toBe(`${kver}\n`);
    expect(await host.state('grubby_default')).toBe(`/boot/vmlinuz-${kver}\n`);
    // Package-manager chatter goes to the log, not to stdout.
    expect(run.stdout).not.toContain('Complete!');
    expect(await host.readFile(`${snapshotDir}/kernel-staging.log`)).toContain('Complete!');

    const again = await host.run(script, { params: { targetKernel: kver } });
    expect(expectContract(again, 'ok').details).toMatchObject({ installAction: 'already-installed', changed: false });
    expect(again.invocations.some((i) => i.command === 'dnf')).toBe(false);
    expect(invoked(again, 'grubby', '--set-default')).toBe(false);
  });

  it('an installed, non-default kernel is only made default', async () => {
    const host = await preparedHost(rhel9Healthy());
    const run = await host.run(script, { params: { targetKernel: '5.14.0-284.30.1.el9_2.x86_64' } });
    expect(expectContract(run, 'ok').details).toMatchObject({ installAction: 'already-installed', changed: true });
    expect(run.invocations.some((i) => i.command === 'dnf')).toBe(false);
  });

  it('uses yum where dnf is missing (Amazon Linux 2 style)', async () => {
    const host = await preparedHost(withProfile(rhel9Healthy(), { packageManagers: ['yum'] }));
    const run = await host.run(script, { params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } });
    expect(expectContract(run, 'ok').details['packageManager']).toBe('yum');
    expect(invoked(run, 'yum', '-y', 'install')).toBe(true);
  });

  it('a kernel the repositories do not list under exactly that name: refused before any install, nothing staged', async () => {
    const host = await preparedHost(rhel9Healthy());
    const kernels = await host.installedKernels();
    const run = await host.run(script, { params: { targetKernel: '5.14.0-999.1.1.el9_9.x86_64' } });
    const r = expectContract(run, 'fail');
    expect(r.summary).toBe(
      'no package named exactly kernel-5.14.0-999.1.1.el9_9.x86_64 in the enabled repositories (dnf list); nothing installed',
    );
    expect(r.details).toMatchObject({ installAction: 'already-installed', changed: false });
    expect(invoked(run, 'dnf', '-q', 'list', '--showduplicates', 'available', 'kernel-5.14.0-999.1.1.el9_9.x86_64')).toBe(true);
    expect(run.stderr).toContain('No matching Packages to list');
    expect(installAttempted(run)).toBe(false);
    expect(await host.installedKernels()).toEqual(kernels);
    expect(await host.readFile(`${snapshotDir}/staged-kernel`)).toBeUndefined();
    expect(await host.state('grubby_default')).toBe('/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64\n');
  });

  it.each([
    ['5.14.0-427.*.el9_4.x86_64'],
    ['5.14.0-42?.13.1.el9_4'],
    ['5.14.0-[4]27.13.1.el9_4.x86_64'],
    ['5.14.0-427.13.1.el9_4.x86_64+debug'],
    ['5.14.0-427.13.1.el9_4.x86_64-'],
  ])('refuses the glob or modifier %j even when it arrives unchecked, before any package manager runs', async (targetKernel) => {
    const host = await preparedHost(rhel9Healthy());
    const run = await host.run(script, { params: { targetKernel } });
    expect(expectContract(run, 'fail').summary).toContain('parameter targetKernel is missing or not a kernel release');
    expect(run.invocations.some((i) => ['dnf', 'yum', 'rpm'].includes(i.command))).toBe(false);
    expect(await host.installedPackages()).toEqual([]);
  });

  it('the simulated dnf globs like the real one (so the checks above are not against a lenient fake)', async () => {
    const host = await createSimHost(rhel9Healthy());
    const listed = await host.command('dnf', ['-q', 'list', '--showduplicates', 'available', 'kernel-debug*']);
    expect(listed.stdout).toMatch(/^kernel-debug\.x86_64 +5\.14\.0-427\.13\.1\.el9_4 +baseos$/mu);
    expect(listed.stdout).toMatch(/^kernel-debug-core\.x86_64 /mu);
    const installed = await host.command('dnf', ['-y', 'install', 'kernel-5.14.0-4[0-9]*']);
    expect(installed.exitCode).toBe(0);
    expect(await host.installedKernels()).toContain('5.14.0-427.13.1.el9_4.x86_64');
    expect((await host.command('dnf', ['-y', 'install', 'kernel-debug-core-5.14.0-427.13.1.el9_?.x86_64'])).exitCode).toBe(0);
    expect(await host.installedPackages()).toEqual(['kernel-debug-core-5.14.0-427.13.1.el9_4.x86_64']);
  });

  it('a kernel installed without initramfs is never made the default', async () => {
    const host = await preparedHost(withProfile(rhel9Healthy(), { breakInitramfs: true }));
    const run = await host.run(script, { params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } });
    expect(expectContract(run, 'fail').summary).toContain('initramfs /boot/initramfs-5.14.0-427.13.1.el9_4.x86_64.img is missing or empty');
    expect(invoked(run, 'grubby', '--set-default')).toBe(false);
    expect(await host.state('grubby_default')).toBe('/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64\n');
  });

  it('verifies the default after grubby --set-default', async () => {
    const host = await preparedHost(withProfile(rhel9Healthy(), { grubbyIgnoresSetDefault: true }));
    const run = await host.run(script, { params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } });
    expect(expectContract(run, 'fail').summary).toBe(
      'grubby --default-kernel reports /boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64, expected /boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64',
    );
  });

  it('without grubby nothing is installed', async () => {
    const host = await preparedHost(withProfile(rhel9Healthy(), { missingCommands: ['grubby'] }));
    const run = await host.run(script, { params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } });
    expect(expectContract(run, 'fail').summary).toContain('grubby not found');
    expect(run.invocations.some((i) => i.command === 'dnf')).toBe(false);
  });

  it('a failing install (e.g. /boot full) fails', async () => {
    const host = await preparedHost(withProfile(rhel9Healthy(), { installFails: true }));
    const run = await host.run(script, { params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } });
    expect(expectContract(run, 'fail').summary).toContain('failed (exit 1)');
    expect(run.stderr).toContain('needs 48MB more space on the /boot filesystem');
  });

  it('cancelled mid-install: reports fail and that the host may be mid-change', async () => {
    const host = await preparedHost(rhel9Healthy());
    await host.update({ hangingCommands: ['dnf'] });
    const run = await host.run(script, {
      params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' },
      signal: { name: 'SIGTERM', afterMs: 3000 },
      timeoutMs: 30_000,
    });
    expect(expectContract(run, 'fail').summary).toContain('it may be mid-change');
    expect(await host.readFile(`${snapshotDir}/staged-kernel`)).toBeUndefined();
  });

  it('warns when no initial-qc snapshot exists for the change', async () => {
    const run = await runOnSimHost(script, { profile: rhel9Healthy(), params: { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } });
    expect(expectContract(run, 'warn').details['warnings']).toEqual(['no initial-qc snapshot for this change on this host']);
  });

  it.each([['5.14.0; rm -rf /'], ['$(reboot)'], ['../../../etc/passwd'], [''], ['5.14.0-1'.padEnd(101, 'x')]])(
    'rejects targetKernel %j before touching anything',
    async (targetKernel) => {
      const run = await runOnSimHost(script, { profile: rhel9Healthy(), params: { targetKernel } });
      expect(expectContract(run, 'fail').summary).toContain('parameter targetKernel is missing or not a kernel release');
      expect(run.invocations.map((i) => i.command).filter((c) => !['id', 'date'].includes(c))).toEqual([]);
    },
  );
});

describe('qc-prep kernel-staging (Debian family)', () => {
  it('installs linux-image, sets GRUB_DEFAULT=saved via drop-in and the saved entry; a re-run changes nothing', async () => {
    const host = await preparedHost(ubuntu2204Healthy());
    const run = await host.run(script, { params: { targetKernel: '5.15.0-97-generic' } });
    const r = expectContract(run, 'ok');
    const entry = `gnulinux-advanced-${UUID}>gnulinux-5.15.0-97-generic-advanced-${UUID}`;
    expect(r.details).toMatchObject({
      kernel: '5.15.0-97-generic',
      package: 'linux-image-5.15.0-97-generic',
      packageManager: 'apt-get',
      installAction: 'installed',
      defaultKernelBefore: '5.15.0-91-generic',
      defaultKernelAfter: '5.15.0-97-generic',
      bootEntry: entry,
      changed: true,
      rebootRequired: true,
    });
    expect(
      run.invocations.some(
        (i) => i.command === 'apt-get' && i.args.at(-2) === 'install' && i.args.at(-1) === 'linux-image-5.15.0-97-generic',
      ),
    ).toBe(true);
    expect(invoked(run, 'update-grub')).toBe(true);
    expect(invoked(run, 'grub-set-default', entry)).toBe(true);
    expect(await host.readFile('/etc/default/grub.d/99-pcm-ops-saved-default.cfg')).toContain('\nGRUB_DEFAULT=saved\n');
    expect(await host.readFile('/etc/default/grub')).toBe('GRUB_DEFAULT=0\nGRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX=""\n');
    expect(await host.readFile('/boot/grub/grubenv')).toContain(`saved_entry=${entry}\n`);
    expect(await host.readFile(`${snapshotDir}/staged-kernel`)).toBe('5.15.0-97-generic\n');

    const again = await host.run(script, { params: { targetKernel: '5.15.0-97-generic' } });
    expect(expectContract(again, 'ok').details).toMatchObject({ installAction: 'already-installed', changed: false });
    expect(again.invocations.map((i) => i.command)).not.toEqual(expect.arrayContaining(['apt-get']));
    expect(invoked(again, 'update-grub')).toBe(false);
    expect(invoked(again, 'grub-set-default')).toBe(false);
  });

  it('can stage an older installed kernel (GRUB would otherwise boot the newest)', async () => {
    const host = await preparedHost(ubuntu2204Healthy());
    const run = await host.run(script, { params: { targetKernel: '5.15.0-88-generic' } });
    expect(expectContract(run, 'ok').details).toMatchObject({
      installAction: 'already-installed',
      defaultKernelAfter: '5.15.0-88-generic',
    });
    expect(await host.reboot()).toBe('5.15.0-88-generic');
  });

  it('a kernel apt cannot find: refused before any install, GRUB untouched', async () => {
    const host = await preparedHost(ubuntu2204Healthy());
    const run = await host.run(script, { params: { targetKernel: '5.15.0-1000-generic' } });
    expect(expectContract(run, 'fail').summary).toBe(
      'no package named exactly linux-image-5.15.0-1000-generic in the apt sources; nothing installed',
    );
    expect(run.stderr).toContain('E: No packages found');
    expect(installAttempted(run)).toBe(false);
    expect(await host.readFile('/etc/default/grub.d/99-pcm-ops-saved-default.cfg')).toBeUndefined();
  });

  it('without GRUB tooling: fail before installing', async () => {
    const host = await preparedHost(withProfile(ubuntu2204Healthy(), { missingCommands: ['update-grub'] }));
    const run = await host.run(script, { params: { targetKernel: '5.15.0-97-generic' } });
    expect(expectContract(run, 'fail').summary).toContain('only GRUB 2 hosts');
    expect(run.invocations.some((i) => i.command === 'apt-get')).toBe(false);
  });
});

it('unsupported OS', async () => {
  const run = await runOnSimHost(script, { profile: alpineUnsupported(), params: { targetKernel: '6.6.20-0-virt' } });
  expectContract(run, 'unsupported');
});

describe('qc-prep kernel-staging: only an exact package name is installed (Debian 12)', () => {
  it('stages an exact version next to its -dbg/-unsigned/cloud/rt siblings, installing only that package', async () => {
    const host = await preparedHost(debian12Healthy());
    const run = await host.run(script, { params: { targetKernel: '6.1.0-47-amd64' } });
    expect(expectContract(run, 'ok').details).toMatchObject({
      kernel: '6.1.0-47-amd64',
      package: 'linux-image-6.1.0-47-amd64',
      installAction: 'installed',
      defaultKernelAfter: '6.1.0-47-amd64',
    });
    expect(invoked(run, 'apt-cache', 'show', '--no-all-versions', 'linux-image-6.1.0-47-amd64')).toBe(true);
    expect(await host.installedKernels()).toEqual(['6.1.0-43-amd64', '6.1.0-44-amd64', '6.1.0-47-amd64']);
    expect(await host.installedPackages()).toEqual([]);
    expect(await host.reboot()).toBe('6.1.0-47-amd64');
  });

  it.each([
    // apt-get would select linux-image-6.1.0-47-{,cloud-,rt-}amd64-dbg by regex (3 × 5.6 GB).
    ['6.1.0-47-.+-dbg'],
    // apt-get would REMOVE every package matching linux-image-6.1.0-44 (the running kernel).
    ['6.1.0-44-'],
    ['6.1.0-4[47]-amd64'],
    ['6.1.0-47-amd64$'],
    ['6.1.0-47-(amd|arm)64'],
    ['6.1.0-47-amd64|linux-image-6.1.0-47-rt-amd64'],
    ['6.1.0-47-^amd64'],
    ['6.1.0-47-amd6{4}'],
    ['6.1.0-47-amd64\\'],
    ['6.1.0-4*-amd64'],
    ['6.1.0-47-amd6?'],
  ])('refuses %j even when it arrives unchecked: no apt command runs, nothing installed or removed', async (targetKernel) => {
    const host = await preparedHost(debian12Healthy());
    const run = await host.run(script, { params: { targetKernel } });
    expect(expectContract(run, 'fail').summary).toContain('parameter targetKernel is missing or not a kernel release');
    expect(run.invocations.some((i) => ['apt-get', 'apt-cache', 'dpkg-query'].includes(i.command))).toBe(false);
    expect(await host.installedKernels()).toEqual(['6.1.0-43-amd64', '6.1.0-44-amd64']);
    expect(await host.installedPackages()).toEqual([]);
  });

  it.each([
    [
      '6.1.0-47-amd64.dbg',
      'no package named exactly linux-image-6.1.0-47-amd64.dbg in the apt sources (apt would select others by pattern, e.g. linux-image-6.1.0-47-amd64-dbg); nothing installed',
    ],
    [
      '6.1.0-47.amd64',
      'no package named exactly linux-image-6.1.0-47.amd64 in the apt sources (apt would select others by pattern, e.g. linux-image-6.1.0-47-amd64); nothing installed',
    ],
    [
      '6.1.0-47-AMD64',
      'no package named exactly linux-image-6.1.0-47-AMD64 in the apt sources (apt would select others by pattern, e.g. linux-image-6.1.0-47-amd64); nothing installed',
    ],
    ['6.1.0-47-amd64-dbg', 'linux-image-6.1.0-47-amd64-dbg is not a kernel image (Section: debug); nothing installed'],
  ])('a name apt would not take literally (%j) is refused before anything is installed', async (targetKernel, summary) => {
    const host = await preparedHost(debian12Healthy());
    const run = await host.run(script, { params: { targetKernel } });
    expect(expectContract(run, 'fail').summary).toBe(summary);
    expect(installAttempted(run)).toBe(false);
    expect(await host.installedKernels()).toEqual(['6.1.0-43-amd64', '6.1.0-44-amd64']);
    expect(await host.installedPackages()).toEqual([]);
    expect(await host.readFile(`${snapshotDir}/staged-kernel`)).toBeUndefined();
  });

  it('the simulated apt-get selects by regex, glob and trailing -/+ like the real one', async () => {
    const host = await createSimHost(debian12Healthy());
    const dbg = await host.command('apt-get', ['-y', 'install', 'linux-image-6.1.0-47-.+-dbg']);
    expect(dbg.exitCode).toBe(0);
    expect(dbg.stdout).toContain("Note, selecting 'linux-image-6.1.0-47-rt-amd64-dbg' for regex 'linux-image-6.1.0-47-.+-dbg'");
    expect(await host.installedPackages()).toEqual([
      'linux-image-6.1.0-47-amd64-dbg',
      'linux-image-6.1.0-47-cloud-amd64-dbg',
      'linux-image-6.1.0-47-rt-amd64-dbg',
    ]);
    const shown = await host.command('apt-cache', ['show', '--no-all-versions', 'linux-image-6.1.0-47-amd64.dbg']);
    expect(shown.stdout).toContain('Package: linux-image-6.1.0-47-amd64-dbg\n');
    expect((await host.command('apt-get', ['-y', 'install', 'linux-image-6.1.0-43-'])).exitCode).toBe(0);
    expect(await host.installedKernels()).toEqual(['6.1.0-44-amd64']);
    expect((await host.command('apt-get', ['-y', 'install', 'linux-image-6.1.0-99-amd64'])).exitCode).toBe(100);
  });
});
