/**
 * Runs a tool script under real bash against a simulated host: a temporary root (PCM_ROOT) with
 * the files the scripts read, and a PATH that holds ONLY generated stubs for host commands plus
 * symlinks to the few real text tools the scripts use. A command the profile does not provide is
 * simply absent, exactly like on a host without it. Stubs answer from a state directory and record
 * every invocation, so tests can assert what ran (and what never appeared in an argv).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paramEnvName, settingEnvName } from '../../../src/tools/paramEnvName.ts';
import { parsePcmResult } from '../../../src/tools/parseResult.ts';
import type { PcmResult } from '../../../src/tools/parseResult.ts';
import { readScript } from '../../../src/tools/readScript.ts';
import type { HostProfile, ProfilePatch } from './profiles.ts';
import { withProfile } from './profiles.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const stubsDir = path.join(here, 'stubs');
export const repoRoot = path.resolve(here, '../../..');

/**
 * Absolute path of a tool script: `scriptPath('qc-prep', 'initial-qc.sh')`. `run` executes it with its
 * includes expanded, exactly as the registry ships it.
 */
export const scriptPath = (tool: string, script: string): string => path.join(repoRoot, 'src', 'tools', tool, 'scripts', script);

/** The runtime's own naming rule: `targetKernel` → `PCM_PARAM_TARGET_KERNEL`. */
export const envName = (prefix: 'PCM_PARAM_' | 'PCM_SETTING_', key: string): string =>
  prefix === 'PCM_PARAM_' ? paramEnvName(key) : settingEnvName(key);

export const paramEnv = (prefix: 'PCM_PARAM_' | 'PCM_SETTING_', values: Readonly<Record<string, string | number | boolean>>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [envName(prefix, k), String(v)]));

export type SimInvocation = { readonly command: string; readonly args: readonly string[] };

export type SimRunOptions = {
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly settings?: Readonly<Record<string, string>>;
  readonly changeNumber?: string;
  readonly runId?: string;
  /** Extra or overriding environment (e.g. to drop PCM_CHANGE_NUMBER, set it to ''). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Wrap the real tools too (cp, mv, cat…) so their argv is logged; slower, for leak tests. */
  readonly traceAllCommands?: boolean;
  /** Send this signal to the script's whole process group after a delay (like SSM cancel/timeout). */
  readonly signal?: { readonly name: NodeJS.Signals; readonly afterMs: number };
  /**
   * Run this AWS-RunShellScript `commands` list (e.g. from buildCommands) the way the SSM agent
   * does, joined with "\n" and run by /bin/sh, instead of the script file. Its `unset PCM_ROOT`
   * line is dropped: that is the one thing the simulated host must keep.
   */
  readonly commands?: readonly string[];
};

export type SimRunResult = {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: PcmResult | undefined;
  readonly root: string;
  readonly invocations: readonly SimInvocation[];
  readonly durationMs: number;
};

export type RebootOptions = {
  /** Boot this kernel instead of the boot loader's default (e.g. a fallback after a failed boot). */
  readonly kernel?: string;
  readonly uptimeSeconds?: number;
  /** Seconds the reboot takes on the fake clock. */
  readonly downtimeSeconds?: number;
};

export type SimHost = {
  readonly root: string;
  readonly stateDir: string;
  /** The profile as last set (stub-side mutations such as installed kernels live in the state dir). */
  readonly profile: () => HostProfile;
  readonly run: (script: string, options?: SimRunOptions) => Promise<SimRunResult>;
  /** Applies profile fields (only those given) to the running host, e.g. a service that died. */
  readonly update: (patch: ProfilePatch) => Promise<void>;
  /** Boots the boot loader's default kernel (or `kernel`), resets uptime, advances the fake clock. */
  readonly reboot: (options?: RebootOptions) => Promise<string>;
  readonly advanceClock: (seconds: number) => Promise<void>;
  readonly readFile: (absPath: string) => Promise<string | undefined>;
  readonly writeFile: (absPath: string, content: string, mode?: number) => Promise<void>;
  readonly removeFile: (absPath: string) => Promise<void>;
  readonly fileMode: (absPath: string) => Promise<number | undefined>;
  readonly state: (name: string) => Promise<string | undefined>;
  readonly installedKernels: () => Promise<string[]>;
  /** Packages other than kernels installed on the host (e.g. a -dbg package a pattern selected). */
  readonly installedPackages: () => Promise<string[]>;
  /** Runs one host command (a stub) as the scripts would, e.g. to check the fake behaves like the real tool. */
  readonly command: (name: string, args: readonly string[]) => Promise<{ readonly exitCode: number | null; readonly stdout: string; readonly stderr: string }>;
  readonly invocations: () => Promise<SimInvocation[]>;
  readonly cleanup: () => Promise<void>;
};

const REAL_TOOLS = [
  'awk', 'basename', 'cat', 'chmod', 'comm', 'cp', 'cut', 'dirname', 'env', 'find', 'grep', 'head', 'ln', 'ls',
  'mkdir', 'mktemp', 'mv', 'readlink', 'rm', 'rmdir', 'sed', 'sort', 'stat', 'tail', 'tee', 'timeout', 'touch',
  'tr', 'true', 'false', 'uniq', 'wc', 'xargs',
] as const;

const findTool = (name: string): string | undefined => {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
};

// Real hosts differ in awk: gawk on RHEL, mawk on Debian/Ubuntu. Use the same here when available.
const awkFor = (family: HostProfile['family']): string | undefined =>
  (family === 'rhel' ? findTool('gawk') : findTool('mawk')) ?? findTool('awk');

const REAL_DATE = findTool('date') ?? '/bin/date';
const REAL_SLEEP = findTool('sleep') ?? '/bin/sleep';

const stubSources = new Map<string, string>();
const stubSource = (file: string): string => {
  let text = stubSources.get(file);
  if (text === undefined) {
    text = readFileSync(path.join(stubsDir, file), 'utf8');
    stubSources.set(file, text);
  }
  return text;
};

const shq = (s: string): string => `'${s.replace(/'/gu, `'\\''`)}'`;

/** Host command name → stub file for a profile. */
const stubsFor = (p: HostProfile): Map<string, string> => {
  const stubs = new Map<string, string>([
    ['uname', 'uname.sh'], ['id', 'id.sh'], ['date', 'date.sh'], ['sleep', 'sleep.sh'], ['df', 'df.sh'],
    ['findmnt', 'findmnt.sh'], ['fuser', 'fuser.sh'], ['systemctl', 'systemctl.sh'], ['journalctl', 'journalctl.sh'],
    ['aws', 'aws.sh'],
  ]);
  if (p.sft.installed) stubs.set('sftd', 'sftd.sh');
  if (p.family === 'rhel') {
    stubs.set('rpm', 'rpm.sh');
    stubs.set('grubby', 'grubby.sh');
    if (p.packageManagers.includes('dnf')) stubs.set('dnf', 'dnf.sh');
    if (p.packageManagers.includes('yum')) stubs.set('yum', 'dnf.sh');
  }
  if (p.family === 'debian') {
    stubs.set('dpkg-query', 'dpkg-query.sh');
    stubs.set('update-grub', 'update-grub.sh');
    stubs.set('grub-set-default', 'grub-set-default.sh');
    if (p.packageManagers.includes('apt-get')) {
      stubs.set('apt-get', 'apt-get.sh');
      stubs.set('apt-cache', 'apt-cache.sh');
    }
  }
  for (const missing of p.missingCommands) stubs.delete(missing);
  return stubs;
};

const lockFilesFor = (family: HostProfile['family']): string[] =>
  family === 'rhel'
    ? ['/var/lib/rpm/.rpm.lock']
    : family === 'debian'
      ? ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock', '/var/cache/apt/archives/lock']
      : [];

const lines = (items: readonly string[]): string => (items.length ? `${items.join('\n')}\n` : '');

/** Natural version order, enough for kernel release strings. */
export const compareVersions = (a: string, b: string): number => {
  const ta = a.match(/\d+|\D+/gu) ?? [];
  const tb = b.match(/\d+|\D+/gu) ?? [];
  for (let i = 0; i < Math.max(ta.length, tb.length); i += 1) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (/^\d/u.test(x) && /^\d/u.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

const parseInvocations = (log: string): SimInvocation[] =>
  log
    .split('\x1e')
    .filter((rec) => rec.length > 0)
    .map((rec) => {
      const [command = '', count = '0', ...rest] = rec.split('\x1f');
      return { command, args: Number(count) === 0 ? [] : rest };
    });

const liveHosts = new Set<SimHost>();

/** Removes every simulated host still on disk (call from afterAll). */
export const cleanupSimHosts = async (): Promise<void> => {
  await Promise.all([...liveHosts].map((h) => h.cleanup()));
};

export const createSimHost = async (initial: HostProfile): Promise<SimHost> => {
  const base = await mkdtemp(path.join(tmpdir(), 'pcm-simhost-'));
  const root = path.join(base, 'root');
  const stateDir = path.join(base, 'state');
  const binDir = path.join(base, 'bin');
  const sysDir = path.join(base, 'sys');
  const traceDir = path.join(base, 'sys-trace');
  const logFile = path.join(stateDir, 'invocations.log');
  let profile = initial;
  let traceReady = false;

  const inRoot = (absPath: string): string => path.join(root, absPath);
  const put = async (file: string, content: string, mode?: number): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    if (mode !== undefined) await chmod(file, mode);
  };
  const putState = (name: string, content: string): Promise<void> => put(path.join(stateDir, name), content);
  const flag = async (name: string, on: boolean): Promise<void> => {
    if (on) await putState(name, '');
    else await rm(path.join(stateDir, name), { force: true });
  };
  const readState = async (name: string): Promise<string | undefined> => readFile(path.join(stateDir, name), 'utf8').catch(() => undefined);

  const header = (name: string): string =>
    [
      '#!/bin/bash',
      `# simHost stub for ${name} (generated)`,
      `S=${shq(stateDir)}`,
      `R=${shq(root)}`,
      `STUB=${shq(name)}`,
      `LOG=${shq(logFile)}`,
      `REAL_DATE=${shq(REAL_DATE)}`,
      `REAL_SLEEP=${shq(REAL_SLEEP)}`,
      '',
    ].join('\n');

  const buildBin = async (): Promise<void> => {
    await rm(binDir, { recursive: true, force: true });
    await mkdir(binDir, { recursive: true });
    for (const [name, file] of stubsFor(profile)) {
      await put(path.join(binDir, name), `${header(name)}${stubSource('_common.sh')}\n${stubSource(file)}`, 0o755);
    }
  };

  const buildSys = async (): Promise<void> => {
    await mkdir(sysDir, { recursive: true });
    for (const tool of REAL_TOOLS) {
      const real = tool === 'awk' ? awkFor(profile.family) : findTool(tool);
      if (real) await symlink(real, path.join(sysDir, tool));
    }
  };

  const buildTrace = async (): Promise<void> => {
    await mkdir(traceDir, { recursive: true });
    for (const tool of REAL_TOOLS) {
      const real = tool === 'awk' ? awkFor(profile.family) : findTool(tool);
      if (!real) continue;
      const wrapper = [
        '#!/bin/bash',
        `{ IFS=$'\\x1f'; printf '%s\\x1f%d\\x1f%s\\x1e' ${shq(tool)} "$#" "$*"; } >>${shq(logFile)}`,
        `exec ${shq(real)} "$@"`,
        '',
      ].join('\n');
      await put(path.join(traceDir, tool), wrapper, 0o755);
    }
    traceReady = true;
  };

  const writeKernelFiles = async (kernels: readonly string[], family: HostProfile['family']): Promise<void> => {
    for (const k of kernels) {
      await put(inRoot(`/boot/vmlinuz-${k}`), `vmlinuz ${k}\n`);
      if (family === 'debian') await put(inRoot(`/boot/initrd.img-${k}`), 'initrd\n');
      else await put(inRoot(`/boot/initramfs-${k}.img`), 'initramfs\n');
    }
  };

  /** Writes the state files (and root files) for the given profile keys; all keys when omitted. */
  const apply = async (p: HostProfile, keys?: ReadonlySet<string>): Promise<void> => {
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
      await writeKernelFiles(p.installedKernels, p.family);
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
    if (keys && (keys.has('missingCommands') || keys.has('packageManagers') || keys.has('sft'))) await buildBin();
  };

  // Runs a stub-library function outside the host's PATH (the profile may lack the real command).
  const runSimFunction = async (fn: string): Promise<void> => {
    const file = path.join(base, `sim-${fn}`);
    await put(file, `${header(fn)}${stubSource('_common.sh')}\n${fn}\n`, 0o755);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, [], { env: { PATH: sysDir }, stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${fn} exited ${String(code)}`))));
    });
  };

  // --- initial layout -------------------------------------------------------------------------
  for (const dir of ['/run', '/dev/shm', '/tmp', '/boot', '/etc', '/var/lib', '/proc']) await mkdir(inRoot(dir), { recursive: true });
  for (const lock of lockFilesFor(profile.family)) await put(inRoot(lock), '');
  await mkdir(stateDir, { recursive: true });
  await putState('clock_offset', '0\n');
  await putState('root_uuid', '1c2e0b6a-7d1f-4f3e-9a57-3b0f2a9d8e41\n');
  await putState('invocations.log', '');
  await buildBin();
  await buildSys();
  await apply(profile);
  if (profile.family === 'debian') {
    await put(inRoot('/etc/default/grub'), 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX=""\n');
    await runSimFunction('sim_gen_grub_cfg');
    await putState('invocations.log', '');
  }

  const host: SimHost = {
    root,
    stateDir,
    profile: () => profile,
    run: async (script, options = {}) => {
      if (options.traceAllCommands && !traceReady) await buildTrace();
      const before = (await readState('invocations.log'))?.length ?? 0;
      const tool = path.basename(path.dirname(path.dirname(script)));
      const env: Record<string, string> = {
        PATH: `${binDir}:${options.traceAllCommands ? traceDir : sysDir}`,
        PCM_ROOT: root,
        PCM_RUN_ID: options.runId ?? 'run-00000000-sim',
        PCM_CHANGE_NUMBER: options.changeNumber ?? 'CHG0012345',
        PCM_TOOL: tool,
        PCM_ACTION: path.basename(script, '.sh'),
        ...paramEnv('PCM_PARAM_', options.params ?? {}),
        ...paramEnv('PCM_SETTING_', options.settings ?? {}),
        ...options.env,
      };
      const commandsFile = path.join(base, '_script.sh');
      if (options.commands) await put(commandsFile, `${options.commands.filter((c) => c !== 'unset PCM_ROOT').join('\n')}\n`);
      // The file on disk has `# pcm-include` lines; run the text the registry ships, libraries inlined.
      const expanded = path.join(base, 'scripts', tool, path.basename(script));
      if (!options.commands) await put(expanded, await readScript(path.resolve(script, '../../..'), tool, path.basename(script)));
      const started = Date.now();
      const timeoutMs = options.timeoutMs ?? 15_000;
      const { exitCode, signal, stdout, stderr, timedOut } = await new Promise<{
        exitCode: number | null;
        signal: NodeJS.Signals | null;
        stdout: string;
        stderr: string;
        timedOut: boolean;
      }>((resolve, reject) => {
        // Own process group, so a signal can reach the script and everything it started.
        const argv = options.commands ? ['/bin/sh', [commandsFile]] as const : ['/bin/bash', [expanded]] as const;
        const child = spawn(argv[0], [...argv[1]], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        const signal = options.signal;
        const signalTimer = signal
          ? setTimeout(() => {
              if (child.pid !== undefined) process.kill(-child.pid, signal.name);
            }, signal.afterMs)
          : undefined;
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let killed = false;
        const timer = setTimeout(() => {
          killed = true;
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        }, timeoutMs);
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('close', (code, sig) => {
          clearTimeout(timer);
          clearTimeout(signalTimer);
          resolve({
            exitCode: code,
            signal: sig,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
            timedOut: killed,
          });
        });
      });
      const log = (await readState('invocations.log')) ?? '';
      return {
        exitCode,
        signal,
        timedOut,
        stdout,
        stderr,
        result: parsePcmResult(stdout),
        root,
        invocations: parseInvocations(log.slice(before)),
        durationMs: Date.now() - started,
      };
    },
    update: async (patch) => {
      profile = withProfile(profile, patch);
      await apply(profile, new Set(Object.keys(patch)));
    },
    reboot: async (options = {}) => {
      let kernel = options.kernel;
      if (!kernel && profile.family === 'rhel') {
        kernel = (await readState('grubby_default'))?.trim().replace(/^\/boot\/vmlinuz-/u, '') || undefined;
      }
      if (!kernel && profile.family === 'debian') {
        const cfg = (await host.readFile('/boot/grub/grub.cfg')) ?? '';
        const env = (await host.readFile('/boot/grub/grubenv')) ?? '';
        const saved = /^saved_entry=(.*)$/mu.exec(env)?.[1];
        if (saved && cfg.includes('set default="${saved_entry}"')) {
          kernel = /gnulinux-(.+)-advanced-/u.exec(saved.split('>').pop() ?? '')?.[1];
        } else {
          kernel = [...(await host.installedKernels())].sort(compareVersions).pop();
        }
      }
      kernel ??= profile.runningKernel;
      await host.advanceClock(options.downtimeSeconds ?? 180);
      profile = withProfile(profile, { runningKernel: kernel, uptimeSeconds: options.uptimeSeconds ?? 95 });
      await apply(profile, new Set(['runningKernel', 'uptimeSeconds']));
      return kernel;
    },
    advanceClock: async (seconds) => {
      const offset = Number((await readState('clock_offset'))?.trim() ?? '0') + seconds;
      await putState('clock_offset', `${offset}\n`);
      profile = withProfile(profile, { uptimeSeconds: profile.uptimeSeconds + seconds });
      await apply(profile, new Set(['uptimeSeconds']));
    },
    readFile: (absPath) => readFile(inRoot(absPath), 'utf8').catch(() => undefined),
    writeFile: (absPath, content, mode) => put(inRoot(absPath), content, mode),
    removeFile: (absPath) => rm(inRoot(absPath), { force: true }),
    fileMode: async (absPath) => stat(inRoot(absPath)).then((s) => s.mode & 0o7777, () => undefined),
    state: readState,
    installedKernels: async () => ((await readState('kernels_installed')) ?? '').split('\n').filter(Boolean),
    installedPackages: async () => ((await readState('packages_installed')) ?? '').split('\n').filter(Boolean),
    command: (name, args) =>
      new Promise((resolve, reject) => {
        const child = spawn(path.join(binDir, name), [...args], { env: { PATH: `${binDir}:${sysDir}` }, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      }),
    invocations: async () => parseInvocations((await readState('invocations.log')) ?? ''),
    cleanup: async () => {
      liveHosts.delete(host);
      await rm(base, { recursive: true, force: true });
    },
  };
  liveHosts.add(host);
  return host;
};

export type RunOnSimHostOptions = SimRunOptions & {
  readonly profile: HostProfile;
  /** Extra files in the root before the run: absolute path → content. */
  readonly files?: Readonly<Record<string, string>>;
};

/** One-shot: a fresh host from `profile`, one run. The root stays for inspection until cleanupSimHosts(). */
export const runOnSimHost = async (script: string, options: RunOnSimHostOptions): Promise<SimRunResult & { readonly host: SimHost }> => {
  const { profile, files, ...runOptions } = options;
  const host = await createSimHost(files ? withProfile(profile, { files: { ...profile.files, ...files } }) : profile);
  return { ...(await host.run(script, runOptions)), host };
};
