// The outbox's delivery against the fake Slack and the real database: strict order per stream (a failing
// head holds back what follows it), coalesced updates, head-only claiming across concurrent claimers.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimOwed, listOwed, oweChannelPost, oweRunParent, oweRunReply, retryOwed } from '../../src/db/queries/outbox.ts';
import { getRun, insertRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { type Outbox } from '../../src/outbox/createOutbox.ts';
import { loadRegistry, type ToolRegistry } from '../../src/tools/registry.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';
import { seedVerifiedChange } from '../helpers/seedVerifiedChange.ts';
import { fastOutbox } from '../helpers/fastOutbox.ts';

const OPS = 'C0OPS00001';
let slack: FakeSlack;
let db: TestDatabase;
let registry: ToolRegistry;
let outbox: Outbox;

beforeAll(async () => {
  [slack, db, registry] = await Promise.all([
    startFakeSlack({ channels: { [OPS]: { name: 'ops' }, C0APP00001: { name: 'approvals' } } }),
    createTestDatabase(),
    loadRegistry(),
  ]);
  await seedVerifiedChange(db.pool);
  outbox = fastOutbox({ pool: db.pool, registry, slack: slack });
});
afterAll(async () => {
  await outbox?.stop();
  await Promise.all([slack?.close(), db?.drop()]);
});
beforeEach(() => slack.reset());

const newRun = async (): Promise<string> => {
  const action = registry.action('qc-prep', 'initial-qc');
  if (!action) throw new Error('qc-prep/initial-qc is missing');
  await upsertScripts(db.pool, [
    {
      sha256: action.scriptSha256,
      tool: 'qc-prep',
      action: 'initial-qc',
      name: 'qc-prep/initial-qc.sh',
      interpreter: 'bash',
      content: action.scriptContent,
    },
  ]);
  const id = randomUUID();
  await insertRun(db.pool, {
    id,
    tool: 'qc-prep',
    action: 'initial-qc',
    params: {},
    scriptSha256: action.scriptSha256,
    requesterId: 'U0REQUESTER',
    channelId: OPS,
    approvalChannelId: 'C0APP00001',
    changeNumber: 'CHG0012345',
    planDigest: 'b'.repeat(64),
    approvalsRequired: 1,
    mutates: false,
    targetCount: 2,
    correlationId: randomUUID(),
    approvalExpiresAt: new Date(Date.now() + 60_000),
  });
  return id;
};

/** Drains until nothing of the run is pending (retries become due a few tens of milliseconds after a failure). */
const deliverAll = async (runId: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while ((await listOwed(db.pool, runId)).some((r) => r.state === 'pending')) {
    if (Date.now() > deadline) throw new Error('owed messages not delivered in time');
    await outbox.drain();
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** What was sent (chat.*), in order; the lookups a retried post makes first are not sends. */
const okCalls = (from = 0) =>
  slack.calls
    .slice(from)
    .filter((c) => c.ok && c.method.startsWith('chat.'))
    .map((c) => `${c.method} ${c.args['thread_ts'] ? 'reply ' : ''}${String(c.args['text']).slice(0, 8)}`);

describe('the outbox delivery', () => {
  it('sends a stream strictly in order: while the parent post fails, nothing of its thread goes out, and the ts it gets is used after', async () => {
    const runId = await newRun();
    slack.failNext('chat.postMessage', 'internal_error', { times: 3, status: 500 });
    await oweRunParent(db.pool, runId);
    await oweRunReply(db.pool, runId, { kind: 'text', text: 'first reply' });
    await oweRunReply(db.pool, runId, { kind: 'text', text: 'second reply' });
    await deliverAll(runId);

    expect(slack.callsOf('chat.postMessage').filter((c) => c.status === 500)).toHaveLength(3);
    // Each retry first looked whether the failed attempt had posted after all (it had not).
    expect(slack.callsOf('conversations.history').filter((c) => c.ok)).toHaveLength(3);
    expect(okCalls()).toEqual(['chat.postMessage Linux QC', 'chat.postMessage reply first re', 'chat.postMessage reply second r']);
    const run = await getRun(db.pool, runId);
    expect(slack.thread(OPS, run?.message_ts ?? '').map((m) => m.text)).toEqual(['first reply', 'second reply']);
    expect((await listOwed(db.pool, runId)).map((r) => [r.kind, r.state, r.attempts])).toEqual([
      ['run_parent', 'sent', 4],
      ['run_reply', 'sent', 1],
      ['run_reply', 'sent', 1],
    ]);
  });

  it('coalesces updates of one message that wait: five progress updates cost one chat.update, in its place before the next reply', async () => {
    const runId = await newRun();
    await oweRunParent(db.pool, runId);
    await deliverAll(runId);
    const from = slack.calls.length;
    for (let i = 0; i < 5; i += 1) await oweRunParent(db.pool, runId);
    await oweRunReply(db.pool, runId, { kind: 'text', text: 'after progress' });
    await deliverAll(runId);
    expect(okCalls(from)).toEqual(['chat.update Linux QC', 'chat.postMessage reply after pr']);
  });

  it('claims only the head of each stream, once, however many delivery loops claim at the same moment', async () => {
    const channels = ['C0STREAM001', 'C0STREAM002', 'C0STREAM003'];
    for (const channel of channels) for (let i = 0; i < 3; i += 1) await oweChannelPost(db.pool, channel, `${channel} #${i}`);
    const claims = await Promise.all(Array.from({ length: 4 }, () => claimOwed(db.pool, { limit: 10, leaseSeconds: 60 })));
    const claimed = claims.flat();
    expect(claimed.map((r) => r.stream).sort()).toEqual(channels.map((c) => `channel:${c}`));
    expect(claimed.map((r) => (r.payload as { text: string }).text).sort()).toEqual(channels.map((c) => `${c} #0`));
    // A claimed head waiting for its retry still holds back its stream.
    for (const row of claimed) await retryOwed(db.pool, row.id, { delayMs: 60_000, countAttempt: true });
    expect(await claimOwed(db.pool, { limit: 10, leaseSeconds: 60 })).toEqual([]);
  });
});
