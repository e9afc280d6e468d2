// The embedded PostgreSQL (DATABASE_URL unset) after a crash of the bot: the next `npm start` must work
// on the same data, and a port held by another program must give a clear message and harm nothing.
// Each test spawns real PostgreSQL servers, so there are few of them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectServerProcess } from '../../src/db/inspectServerProcess.ts';
import { readPostmasterPid } from '../../src/db/postmasterPid.ts';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { freePort } from '../helpers/freePort.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { makeZombie } from '../helpers/makeZombie.ts';
import { CHANGE, defaultInstances, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import {
  approvalMessageFor,
  clickDecision,
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
} from '../helpers/slackFlows.ts';
import { stopLeftoverPostgres } from '../helpers/stopLeftoverPostgres.ts';

const instances: FakeInstance[] = defaultInstances().map((i) => ({
  ...i,
  behavior: { status: 'Success' as const, stdout: 'PCM_RESULT {"status":"ok","summary":"ok","details":{}}\n' },
}));

describe('embedded PostgreSQL after a crash', () => {
  let s: Sandbox;
  const dataDirs: string[] = [];
  const bots: LaunchedBot[] = [];
  const others: ChildProcess[] = [];
  // Its own DATA_DIR and port, the rest of the sandbox's settings.
  const freshEnv = async (): Promise<Record<string, string>> => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pcm-embedded-crash-'));
    dataDirs.push(dataDir);
    return { ...s.env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(await freePort()) };
  };

  beforeAll(async () => {
    s = await startSandbox({ database: 'embedded', instances });
    dataDirs.push(s.env.DATA_DIR ?? '');
  });
  afterAll(async () => {
    for (const bot of bots) await bot.kill();
    await s?.close();
    for (const other of others) other.kill('SIGKILL');
    for (const dir of dataDirs) await stopLeftoverPostgres(dir);
  });

  it('kill -9 of the bot alone: the next start stops the orphaned server, runs on the same data, and a request made before the crash is approved after it', async () => {
    const pgDir = path.resolve(s.env.DATA_DIR ?? '', 'pg');
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    const answer = await submitRequestModal(s, view, USERS.requester, { instances: instances[0]?.instanceId ?? '', change: CHANGE });
    expect(answer.body).toBeUndefined();
    const runId = await latestRunId(s);
    // The approval message must be out before the crash: a post lost with the process is the Slack
    // outbox's concern, not the database's.
    await approvalMessageFor(s, runId);

    const lock = await readPostmasterPid(pgDir);
    await s.bot.kill();
    // The server outlived its bot: an orphan holding postmaster.pid.
    expect(lock && (await inspectServerProcess(lock.pid, pgDir)).kind).toBe('server');

    await s.restart();
    expect(s.bot.output.join('\n')).toMatch(/stopping the embedded PostgreSQL \(PID \d+\) left running by a bot that died/u);
    expect(lock && (await inspectServerProcess(lock.pid, pgDir)).kind).not.toBe('server');
    expect(await clickDecision(s, runId, USERS.approver)).toBe(200);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');
  });

  it('kill -9 of the whole process group and an immediate restart, or a lock file naming a zombie: healthy again; a start PostgreSQL refuses: its own lines', async () => {
    const env = await freshEnv();
    const first = await launchBot(env, { detached: true, readyTimeoutMs: 120_000 });
    bots.push(first);
    await first.killGroup();
    const second = await launchBot(env, { detached: true, readyTimeoutMs: 60_000 });
    bots.push(second);
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    expect(await second.stop()).toBe(0);

    // A killed server not yet reaped (a container whose PID 1 reaps slowly or never): PostgreSQL itself
    // refuses such a lock file, the bot waits briefly, then clears it.
    // As root the server runs as the postgres user, and PostgreSQL only honours a lock of its own user.
    const asServer =
      process.getuid?.() === 0
        ? { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) }
        : {};
    const zombie = await makeZombie(asServer);
    others.push(zombie.holder);
    await writeFile(
      path.join(env.DATA_DIR ?? '', 'pg', 'postmaster.pid'),
      `${zombie.pid}\n${path.resolve(env.DATA_DIR ?? '', 'pg')}\n1700000000\n${env.EMBEDDED_DB_PORT}\n/tmp\n127.0.0.1\n  0  0\nready   \n`,
    );
    const afterZombie = await launchBot(env, { readyTimeoutMs: 60_000 });
    bots.push(afterZombie);
    expect(afterZombie.output.join('\n')).toMatch(/removing the stale .*postmaster\.pid \(PID \d+ is a zombie\)/u);
    expect(await afterZombie.stop()).toBe(0);

    // A server PostgreSQL itself refuses to start: its own words and the data directory are logged.
    await appendFile(path.join(env.DATA_DIR ?? '', 'pg', 'postgresql.conf'), '\nthis line = is not valid postgresql\n');
    const third = await launchBot(env, { waitReady: false });
    bots.push(third);
    expect(await third.exited).toBe(1);
    const text = third.output.join('\n');
    expect(text).toMatch(/the embedded PostgreSQL could not start/u);
    expect(text).toMatch(/syntax error in file .*postgresql\.conf/u);
    expect(text).toContain(path.resolve(env.DATA_DIR ?? '', 'pg'));
  }, 240_000);

  it('a port held by another program: a clear message, exit 1, and that program is left alone', async () => {
    const env = await freshEnv();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require('node:net').createServer((c) => c.destroy()).listen(${env.EMBEDDED_DB_PORT}, '127.0.0.1', () => console.log('listening'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    others.push(holder);
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));

    const bot = await launchBot(env, { waitReady: false });
    bots.push(bot);
    expect(await bot.exited).toBe(1);
    expect(bot.output.join('\n')).toMatch(
      new RegExp(`port ${env.EMBEDDED_DB_PORT} on 127\\.0\\.0\\.1 is in use by another program; stop it or set EMBEDDED_DB_PORT`, 'u'),
    );
    expect(holder.exitCode).toBeNull();
    expect(() => process.kill(holder.pid ?? 0, 0)).not.toThrow();
  });
});
