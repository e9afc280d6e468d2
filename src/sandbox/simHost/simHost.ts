/**
 * Runs a tool script under real bash against a simulated host: a temporary root (PCM_ROOT) with
 * the files the scripts read, and a PATH that holds ONLY generated stubs for host commands plus
 * symlinks to the few real text tools the scripts use. A command the profile does not provide is
 * simply absent, exactly like on a host without it. Stubs answer from a state directory and record
 * every invocation, so tests can assert what ran (and what never appeared in an argv).
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyProfile } from './applyProfile.ts';
import { compareVersions } from './compareVersions.ts';
import { lockFilesFor, stubSource } from './hostCommands.ts';
import { hostBin } from './hostBin.ts';
import { hostFiles } from './hostFiles.ts';
import { parseInvocations } from './invocations.ts';
import type { HostProfile } from './profiles.ts';
import { withProfile } from './profiles.ts';
import { runScript } from './runScript.ts';
import type { SimHost, SimRunOptions, SimRunResult } from './simTypes.ts';

const liveHosts = new Set<SimHost>();

/** Removes every simulated host still on disk (call from afterAll). */
export const cleanupSimHosts = async (): Promise<void> => {
  await Promise.all([...liveHosts].map((h) => h.cleanup()));
};

export const createSimHost = async (initial: HostProfile): Promise<SimHost> => {
  const base = await mkdtemp(path.join(tmpdir(), 'pcm-simhost-'));
  const files = hostFiles(base);
  const { root, stateDir, inRoot, put, putState, readState } = files;
  const bin = hostBin(files);
  const { binDir, sysDir } = bin;
  let profile = initial;
  const buildBin = (): Promise<void> => bin.buildBin(profile);
  const apply = (p: HostProfile, keys?: ReadonlySet<string>): Promise<void> => applyProfile(files, p, keys, buildBin);

  // Runs a stub-library function outside the host's PATH (the profile may lack the real command).
  const runSimFunction = async (fn: string): Promise<void> => {
    const file = path.join(base, `sim-${fn}`);
    await put(file, `${bin.header(fn)}${stubSource('_common.sh')}\n${fn}\n`, 0o755);
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
  await bin.buildSys(profile);
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
    run: (script, options) => runScript(files, bin, profile, script, options),
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
    fileMode: async (absPath) =>
      stat(inRoot(absPath)).then(
        (s) => s.mode & 0o7777,
        () => undefined,
      ),
    state: readState,
    installedKernels: async () => ((await readState('kernels_installed')) ?? '').split('\n').filter(Boolean),
    installedPackages: async () => ((await readState('packages_installed')) ?? '').split('\n').filter(Boolean),
    command: (name, args) =>
      new Promise((resolve, reject) => {
        const child = spawn(path.join(binDir, name), [...args], {
          env: { PATH: `${binDir}:${sysDir}` },
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', reject);
        child.on('close', (code) =>
          resolve({ exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
        );
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
