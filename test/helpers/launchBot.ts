import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './freePort.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type LaunchedBot = {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed (stdout and stderr), one entry per line. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  /** SIGTERM and wait (graceful shutdown). */
  readonly stop: () => Promise<number | null>;
  /** SIGKILL and wait: a crash. */
  readonly kill: () => Promise<void>;
  /** SIGKILL to the bot's whole process group (needs `detached`): the bot and its embedded PostgreSQL die together. */
  readonly killGroup: () => Promise<void>;
  readonly waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
};

/**
 * What `node` runs: the process entry users run (the bot in its worker thread), or the composition root
 * directly on the main thread (the memory benchmark compares the two).
 */
export type BotEntry = 'src/start.js' | 'src/main.ts';

/**
 * Starts the bot the way users do (`node src/start.js`, configured only by environment variables) and
 * waits until GET /healthz answers 200.
 */
export const launchBot = async (
  env: Record<string, string>,
  options: { readyTimeoutMs?: number; waitReady?: boolean; detached?: boolean; entry?: BotEntry } = {},
): Promise<LaunchedBot> => {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [options.entry ?? 'src/start.js'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      AWS_EC2_METADATA_DISABLED: 'true',
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a test can kill the bot with everything it started.
    detached: options.detached ?? false,
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const waitForOutput = async (pattern: RegExp, timeoutMs = 15_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = output.find((l) => pattern.test(l));
      if (line) return line;
      if (Date.now() > deadline) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`);
      await sleep(50);
    }
  };

  const bot: LaunchedBot = {
    url,
    port,
    child,
    output,
    exited,
    waitForOutput,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    killGroup: async () => {
      if (!options.detached || child.pid === undefined) throw new Error('killGroup needs a bot launched with detached: true');
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      await exited;
    },
  };
  if (options.waitReady === false) return bot;

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  for (;;) {
    if (exitCode !== undefined) throw new Error(`bot exited with ${exitCode} before ready:\n${output.join('\n')}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.status === 200) return bot;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await bot.kill();
      throw new Error(`bot not ready within the timeout:\n${output.slice(-40).join('\n')}`);
    }
    await sleep(100);
  }
};
