// The bot process is SIGKILLed at several points of a run and started again: every chunk is sent
// exactly once, every execution ends, no row is lost, and the Slack thread completes.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS, FAST_TAKEOVER_ENV, CHANGE, OPS_CHANNEL, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { submitAndApprove, waitForRunStatus } from '../helpers/slackFlows.ts';

const fleet: FakeInstance[] = [
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 110, tags: { Fleet: 'crash' } }),
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-west-2', count: 110, tags: { Fleet: 'crash' } }),
  ...makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 60, tags: { Fleet: 'crash' } }),
  ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 60, tags: { Fleet: 'crash' } }),
].map((i) => ({ ...i, behavior: { status: 'Success' as const, stdout: `qc of ${i.instanceId}\n` } }));
const CHUNKS = 3 + 3 + 2 + 2;

const until = async <T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** The test's fleet (340 instances: more than one paste box holds, so selected by its tag) requested and approved. */
const approvedRun = async (s: Sandbox): Promise<string> =>
  submitAndApprove(s, {
    command: '/qc-prep',
    values: { instances: 'tag:Fleet=crash', change: CHANGE },
    requester: USERS.requester,
    approvers: [USERS.approver],
  });

const chunkStatuses = async (s: Sandbox, runId: string) =>
  s.db.pool.anyFirst(sql.type(z.object({ status: z.string() }))`select status from dispatch_chunks where run_id = ${runId} order by seq`);

/** Everything a crash must not break, checked once the run has ended. */
const expectCompleteAndExactlyOnce = async (s: Sandbox, runId: string): Promise<void> => {
  expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed', 'cancelled'], 30_000)).toBe('succeeded');
  const commands = s.aws.commands().filter((c) => c.comment.includes(runId));
  expect(commands.map((c) => c.comment).sort()).toEqual(Array.from({ length: CHUNKS }, (_, seq) => `pcm-ops ${runId} #${seq}`).sort());
  expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(fleet.map((i) => i.instanceId).sort());
  // Accepted SendCommands: one per chunk, whichever process sent it (a send cut off by the kill may still have been created).
  const accepted = s.aws.calls.filter(
    (c) =>
      c.operation === 'SendCommand' &&
      JSON.stringify(c.request).includes(runId) &&
      c.errorCode !== 'InternalServerError' &&
      c.status !== 400,
  );
  expect(accepted).toHaveLength(CHUNKS);

  const rows = await s.db.pool.any(sql.type(
    z.object({ instance_id: z.string(), status: z.string(), stdout: z.string().nullable(), command_id: z.string().nullable() }),
  )`
    select instance_id, status, stdout, command_id from executions where run_id = ${runId}`);
  expect(rows).toHaveLength(fleet.length);
  for (const r of rows) {
    expect([r.instance_id, r.status]).toEqual([r.instance_id, 'success']);
    expect(r.stdout).toBe(`qc of ${r.instance_id}\n`);
    expect(r.command_id).toBe(commands.find((c) => c.instanceIds.includes(r.instance_id))?.commandId);
  }
  expect(await chunkStatuses(s, runId)).toEqual(Array.from({ length: CHUNKS }, () => 'complete'));
  const audit = await s.db.pool.anyFirst(
    sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId}`,
  );
  expect(audit.filter((a) => a === 'started')).toHaveLength(1);
  expect(audit.filter((a) => a === 'command_sent' || a === 'command_reconciled')).toHaveLength(CHUNKS);
  expect(audit.filter((a) => a === 'finished')).toHaveLength(1);

  const parent = s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(runId));
  const thread = await s.slack.waitFor(
    (f) => {
      const replies = f.thread(OPS_CHANNEL, parent?.ts ?? '');
      return replies.some((r) => /Finished/u.test(JSON.stringify(r.blocks ?? r.text))) ? replies : undefined;
    },
    { timeoutMs: 10_000 },
  );
  const texts = thread.map((r) => `${r.text ?? ''} ${JSON.stringify(r.blocks ?? [])}`);
  expect(texts.some((t) => /Started/u.test(t))).toBe(true);
  expect(texts.filter((t) => /Finished/u.test(t))).toHaveLength(1);
  expect(texts.some((t) => /Finished/u.test(t) && /succeeded/u.test(t))).toBe(true);
};

describe('crash safety: SIGKILL and restart', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox({
      instances: fleet,
      // Every call takes ~50 ms and the bot makes one at a time, so a dispatch of 10 chunks takes ~0.5 s;
      // scripts run 1.5 s, so there is time to kill it mid-poll as well.
      aws: { latencyMs: { min: 40, max: 60 }, defaultRunMs: 1_500 },
      env: { ...FAST_TAKEOVER_ENV, MAX_CONCURRENT_EXECUTIONS: '1', MAX_CONCURRENT_PER_REGION: '1' },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('killed mid-dispatch and again mid-poll, the restarted bot finishes the run without sending anything twice', async () => {
    const runId = await approvedRun(s);

    // 1. Mid-dispatch: some commands exist, others are still planned (or being sent at the moment of the kill).
    await until('a few chunks were sent', () => s.aws.commands().filter((c) => c.comment.includes(runId)).length >= 3);
    await s.bot.kill();
    const afterFirstKill = await chunkStatuses(s, runId);
    expect(afterFirstKill.filter((c) => c === 'planned' || c === 'sending').length).toBeGreaterThan(0);

    // 2. The restarted bot (a new lease owner) takes the run over once the dead one's lease expires,
    //    reconciles what was in flight, sends the rest, and is killed again while polling.
    await s.restart();
    await until('every chunk was sent and some are still being polled', async () => {
      const statuses = await chunkStatuses(s, runId);
      // The chunks sent before the first kill may have finished meanwhile; the rest are still running.
      return statuses.every((c) => c === 'sent' || c === 'complete') && statuses.includes('sent') ? statuses : undefined;
    });
    await s.bot.kill();
    const open = await s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      select count(*)::int as n from executions where run_id = ${runId} and status in ('pending', 'sent', 'in_progress')`);
    expect(open).toBeGreaterThan(0);

    // 3. A third process completes it.
    await s.restart();
    await expectCompleteAndExactlyOnce(s, runId);
    expect(s.bot.output.some((l) => l.includes('resuming run'))).toBe(true);
  });

  it('killed right after an accepted SendCommand whose answer never arrived, the command is found by its Comment, not sent again', async () => {
    const sendsBefore = s.aws.calls.filter((c) => c.operation === 'SendCommand').length;
    s.aws.failNextSendCommands(1, 'accept-then-drop');
    const runId = await approvedRun(s);
    const dropped = await until('a SendCommand was accepted and its connection dropped', () =>
      s.aws.calls.slice(sendsBefore).find((c) => c.operation === 'SendCommand' && c.errorCode === 'dropped'),
    );
    await s.bot.kill();
    const seq = Number(/#(\d+)$/u.exec((dropped.request as { Comment: string }).Comment)?.[1]);
    const state = await s.db.pool.one(sql.type(z.object({ status: z.string(), command_id: z.string().nullable() }))`
      select status, command_id from dispatch_chunks where run_id = ${runId} and seq = ${seq}`);
    // The database only knows the intent; SSM has the command.
    expect(state).toEqual({ status: 'sending', command_id: null });
    expect(s.aws.commands().filter((c) => c.comment === `pcm-ops ${runId} #${seq}`)).toHaveLength(1);

    await s.restart();
    await expectCompleteAndExactlyOnce(s, runId);
    const sendsOfChunk = s.aws.calls.filter(
      (c) => c.operation === 'SendCommand' && (c.request as { Comment?: string }).Comment === `pcm-ops ${runId} #${seq}`,
    );
    expect(sendsOfChunk).toHaveLength(1);
    const reconciled = await s.db.pool.anyFirst(sql.type(z.object({ data: z.unknown() }))`
      select data from audit_events where run_id = ${runId} and action = 'command_reconciled'`);
    expect(reconciled).toEqual([expect.objectContaining({ chunk: seq })]);
  });
});
