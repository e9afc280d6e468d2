import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The shells the SSM agent may run the commands file with: `sh` is dash on Debian/Ubuntu and bash in
// POSIX mode on Amazon Linux/RHEL (bash started as `sh`). The agent's environment usually has no
// locale, so the sh variants run under LC_ALL=C.
export type Outer = { readonly name: string; readonly file: string; readonly argv0: string; readonly locale: string };
const DASH = existsSync('/bin/dash') ? '/bin/dash' : '/bin/sh';
export const OUTERS: readonly Outer[] = [
  { name: 'sh (dash)', file: DASH, argv0: 'sh', locale: 'C' },
  { name: 'bash', file: '/bin/bash', argv0: 'bash', locale: 'C.UTF-8' },
  { name: 'sh (bash in POSIX mode)', file: '/bin/bash', argv0: 'sh', locale: 'C' },
];

/** The test process's environment without any PCM_* variable (PCM_ROOT included), plus `extra`. */
const cleanEnv = (outer: Outer, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PCM_') && key !== 'MARK') env[key] = value;
  return { ...env, LC_ALL: outer.locale, ...extra };
};

export type RunOptions = { env?: Record<string, string>; cwd?: string; asFile?: boolean };
export type ShellResult = { status: number | null; stdout: Buffer; stderr: string };

export type ShellSandbox = {
  /** cwd of every run: must stay empty (a breakout would `touch pwned` here). */
  readonly workDir: string;
  /**
   * Runs the commands joined with "\n" in one shell: as `-c <text>` or, with `asFile`, as `sh <file>`
   * (what the SSM agent does; no single-argument size limit).
   */
  readonly run: (outer: Outer, commands: readonly string[], options?: RunOptions) => ShellResult;
  /** Same as `run`, without blocking: property tests run the three shells in parallel. */
  readonly runAsync: (outer: Outer, commands: readonly string[], options?: RunOptions) => Promise<ShellResult>;
  readonly remove: () => void;
};

/** Temporary directories for running generated commands under each outer shell. */
export const createShellSandbox = (prefix: string): ShellSandbox => {
  const workDir = mkdtempSync(path.join(tmpdir(), `${prefix}-cwd-`));
  const scriptDir = mkdtempSync(path.join(tmpdir(), `${prefix}-scripts-`)); // where commands files are written for `asFile` runs

  const spawnArgs = (outer: Outer, commands: readonly string[], options: RunOptions) => {
    const text = commands.join('\n');
    let args = ['-c', text];
    if (options.asFile) {
      const file = path.join(scriptDir, `_script-${process.hrtime.bigint()}.sh`);
      writeFileSync(file, text);
      args = [file];
    }
    return { args, options: { argv0: outer.argv0, env: cleanEnv(outer, options.env), cwd: options.cwd ?? workDir } };
  };

  return {
    workDir,
    run: (outer, commands, options = {}) => {
      const { args, options: spawnOptions } = spawnArgs(outer, commands, options);
      const result = spawnSync(outer.file, args, { ...spawnOptions, encoding: 'buffer', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
      if (result.error) throw result.error;
      return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
    },
    runAsync: (outer, commands, options = {}) =>
      new Promise((resolve, reject) => {
        const { args, options: spawnOptions } = spawnArgs(outer, commands, options);
        const child = spawn(outer.file, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') }));
      }),
    remove: () => {
      rmSync(workDir, { recursive: true, force: true });
      rmSync(scriptDir, { recursive: true, force: true });
    },
  };
};
