import { spawn } from 'node:child_process';
import path from 'node:path';
import { parsePcmResult } from '../../tools/parseResult.ts';
import { readScript } from '../../tools/readScript.ts';
import type { HostBin } from './hostBin.ts';
import type { HostFiles } from './hostFiles.ts';
import { parseInvocations } from './invocations.ts';
import type { HostProfile } from './profiles.ts';
import { paramEnv } from './simPaths.ts';
import type { SimRunOptions, SimRunResult } from './simTypes.ts';

/** Runs a tool script (or an SSM commands list) on the host under real bash, in its own process group. */
export const runScript = async (
  files: HostFiles,
  bin: HostBin,
  profile: HostProfile,
  script: string,
  options: SimRunOptions = {},
): Promise<SimRunResult> => {
  if (options.traceAllCommands) await bin.ensureTrace(profile);
  const before = (await files.readState('invocations.log'))?.length ?? 0;
  const tool = path.basename(path.dirname(path.dirname(script)));
  const env: Record<string, string> = {
    PATH: `${bin.binDir}:${options.traceAllCommands ? bin.traceDir : bin.sysDir}`,
    PCM_ROOT: files.root,
    PCM_RUN_ID: options.runId ?? 'run-00000000-sim',
    PCM_CHANGE_NUMBER: options.changeNumber ?? 'CHG0012345',
    PCM_TOOL: tool,
    PCM_ACTION: path.basename(script, '.sh'),
    ...paramEnv('PCM_PARAM_', options.params ?? {}),
    ...paramEnv('PCM_SETTING_', options.settings ?? {}),
    ...options.env,
  };
  const commandsFile = path.join(files.base, '_script.sh');
  if (options.commands) await files.put(commandsFile, `${options.commands.filter((c) => c !== 'unset PCM_ROOT').join('\n')}\n`);
  // The file on disk has `# pcm-include` lines; run the text the registry ships, libraries inlined.
  const expanded = path.join(files.base, 'scripts', tool, path.basename(script));
  if (!options.commands) await files.put(expanded, await readScript(path.resolve(script, '../../..'), tool, path.basename(script)));
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
    const argv = options.commands ? (['/bin/sh', [commandsFile]] as const) : (['/bin/bash', [expanded]] as const);
    const child = spawn(argv[0], [...argv[1]], { env, cwd: files.root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
  const log = (await files.readState('invocations.log')) ?? '';
  return {
    exitCode,
    signal,
    timedOut,
    stdout,
    stderr,
    result: parsePcmResult(stdout),
    root: files.root,
    invocations: parseInvocations(log.slice(before)),
    durationMs: Date.now() - started,
  };
};
