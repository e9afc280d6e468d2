// The database away (issue 11, item 4): a private PostgreSQL (the embedded server, in a temp dir) that
// the test stops and starts again. The bot runs on it as its runtime login, as in production.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { provisionRuntimeRole } from '../../src/db/provisionRuntimeRole.ts';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { freePort } from '../helpers/freePort.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { ACCOUNTS, CHANGE, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { clickDecision, latestRunId, openRequestModal, submitRequestModal, waitForRunStatus } from '../helpers/slackFlows.ts';

const fleet: FakeInstance[] = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 60 }).map((i) => ({
  ...i,
  behavior: { status: 'Success' as const, stdout: `ok ${i.instanceId}\n`, runMs: 3_000 },
}));

const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const status = async (url: string): Promise<number> =>
  fetch(url).then(
    (r) => r.status,
    () => 0,
  );
const linesMatching = (bot: LaunchedBot, pattern: RegExp): string[] => bot.output.filter((l) => pattern.test(l));
// The offending lines themselves, so a failure says which log line carried a stack.
const stackLines = (bot: LaunchedBot): string[] => bot.output.filter((l) => /^\s+at /u.test(l) || /\\n\s+at /u.test(l));

describe('database outage: a private PostgreSQL stopped and started again', () => {
  let dataDir: string;
  let port: number;
  let server: EmbeddedDatabase | undefined;
  let ownerUrl: string;
  let runtimeUrl: string;
  let s: Sandbox;
  let t: Sandbox;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pcm-outage-'));
    port = await freePort();
    server = await startEmbeddedDatabase(dataDir, port);
    ownerUrl = server.url;
    await migrate(ownerUrl);
    runtimeUrl = await provisionRuntimeRole(ownerUrl, dataDir);
    s = await startSandbox({ instances: fleet, env: { DATABASE_URL: runtimeUrl, LEASE_SECONDS: '3', RECONCILE_GRACE_SECONDS: '1' } });
    // The sandbox's own database is not the bot's here: read the private one.
    const pool = await createPool(ownerUrl, { maximumPoolSize: 2 });
    t = { ...s, db: { url: ownerUrl, name: 'pcm_ops', pool, drop: () => pool.end() } };
  }, 120_000);
  afterAll(async () => {
    await t?.db.drop();
    await s?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('a wrong password or a database that does not exist is a clear exit, not a stack', async () => {
    const wrong = new URL(runtimeUrl);
    wrong.password = 'not-the-password';
    const badPassword = await launchBot({ ...s.env, DATABASE_URL: wrong.toString() }, { waitReady: false });
    expect(await badPassword.exited).toBe(1);
    expect(linesMatching(badPassword, /cannot use the database/u).join('\n')).toMatch(/password was refused/u);
    expect(stackLines(badPassword)).toEqual([]);

    const missing = new URL(runtimeUrl);
    missing.pathname = '/no_such_database';
    const noDatabase = await launchBot({ ...s.env, DATABASE_URL: missing.toString() }, { waitReady: false });
    expect(await noDatabase.exited).toBe(1);
    expect(linesMatching(noDatabase, /cannot use the database/u).join('\n')).toMatch(/database does not exist/u);
    expect(stackLines(noDatabase)).toEqual([]);
  });

  it('keeps running through an outage mid-run (readyz 503, faults logged once per kind), a bot started meanwhile waits, and the run completes when the database is back', async () => {
    const view = await openRequestModal(t, '/qc-prep', USERS.requester);
    expect(
      (await submitRequestModal(t, view, USERS.requester, { instances: fleet.map((i) => i.instanceId).join('\n'), change: CHANGE })).body,
    ).toBeUndefined();
    const runId = await latestRunId(t);
    expect(await clickDecision(t, runId, USERS.approver)).toBe(200);
    await until('the first command was sent', () => t.aws.commands().some((c) => c.comment.includes(runId)));
    expect(await status(`${s.bot.url}/readyz`)).toBe(200);

    await server?.stop();
    server = undefined;
    await until('/readyz answers 503', async () => (await status(`${s.bot.url}/readyz`)) === 503);
    expect(await status(`${s.bot.url}/livez`)).toBe(200);
    expect(await status(`${s.bot.url}/healthz`)).toBe(503);
    // A bot started now waits for the database, one line per attempt.
    const late = await launchBot(s.env, { waitReady: false });
    await until('the late bot retried twice', () => linesMatching(late, /database not reachable yet; retrying/u).length >= 2);
    // Let the executor loop (every 100 ms) and the heartbeat (every second) fail for a while.
    const ticksBefore = linesMatching(s.bot, /executor tick/u).length;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(s.bot.child.exitCode).toBeNull();
    expect(linesMatching(s.bot, /executor tick/u).length - ticksBefore).toBeLessThanOrEqual(1);
    expect(linesMatching(s.bot, /lease heartbeat/u).length).toBeLessThanOrEqual(2);
    expect(linesMatching(s.bot, /work note tick/u).length).toBeLessThanOrEqual(2);

    server = await startEmbeddedDatabase(dataDir, port);
    await until('/readyz answers 200 again', async () => (await status(`${s.bot.url}/readyz`)) === 200);
    expect(await waitForRunStatus(t, runId, ['succeeded', 'failed', 'partially_failed'], 40_000)).toBe('succeeded');
    const sent = t.aws
      .commands()
      .filter((c) => c.comment.includes(runId))
      .flatMap((c) => c.instanceIds)
      .sort();
    expect(sent).toEqual(fleet.map((i) => i.instanceId).sort());
    expect(s.bot.child.exitCode).toBeNull();
    await until('the late bot is ready', async () => (await status(`${late.url}/readyz`)) === 200);
    expect(linesMatching(late, /database reachable/u)).toHaveLength(1);
    expect(await late.stop()).toBe(0);
    expect(stackLines(late)).toEqual([]);
  });
});
