// Nothing twice in Slack: a post Slack accepted whose answer was lost (a gateway's 5xx after the fact; the same
// state as a crash between Slack's accept and the outbox's record) is found by its metadata on the retry and not
// posted again. The real outbox against the fake Slack over HTTP and the real database.
import { randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { z } from 'zod';
import { oweChannelPost, oweDm, oweRunParent, oweRunReply } from '../../src/db/queries/outbox.ts';
import { getRun, insertRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { createOutbox, type Outbox } from '../../src/outbox/createOutbox.ts';
import { OWED_EVENT_TYPE } from '../../src/outbox/findPosted.ts';
import { DEFAULT_SCOPES } from '../../src/sandbox/slack/slackState.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { scriptRecordOf } from '../../src/tools/scriptRecordOf.ts';
import { loadRegistry, type ToolRegistry } from '../../src/tools/registry.ts';
import { fastOutbox } from '../helpers/fastOutbox.ts';
import { seedVerifiedChange } from '../helpers/seedVerifiedChange.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const OPS = 'C0OPS00001';
const APPROVALS = 'C0APP00001';
const REQUESTER = 'U0REQUESTER';
let slack: FakeSlack;
let db: TestDatabase;
let registry: ToolRegistry;
let outbox: Outbox;

beforeAll(async () => {
  [slack, db, registry] = await Promise.all([
    startFakeSlack({ channels: { [OPS]: { name: 'ops' }, [APPROVALS]: { name: 'approvals' } } }),
    createTestDatabase(),
    loadRegistry(),
  ]);
  await seedVerifiedChange(db.pool);
  const action = registry.action('qc-prep', 'initial-qc');
  if (!action) throw new Error('qc-prep/initial-qc is missing');
  await upsertScripts(db.pool, [scriptRecordOf(action)]);
  outbox = fastOutbox({ pool: db.pool, registry, slack });
});
afterAll(async () => {
  await outbox?.stop();
  await Promise.all([slack?.close(), db?.drop()]);
});
beforeEach(() => slack.reset());

const newRun = async (): Promise<string> => {
  const action = registry.action('qc-prep', 'initial-qc');
  if (!action) throw new Error('qc-prep/initial-qc is missing');
  const id = randomUUID();
  await insertRun(db.pool, {
    id,
    tool: 'qc-prep',
    action: 'initial-qc',
    params: {},
    scriptSha256: action.scriptSha256,
    requesterId: REQUESTER,
    channelId: OPS,
    approvalChannelId: APPROVALS,
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

/** Drains `o` until nothing owed is pending (retries are due tens of milliseconds after a failure). */
const deliverAll = async (o: Outbox = outbox): Promise<void> => {
  const pending = async () =>
    (await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from slack_outbox where state = 'pending'`)) >
    0;
  const deadline = Date.now() + 10_000;
  while (await pending()) {
    if (Date.now() > deadline) throw new Error('owed messages not delivered in time');
    await o.drain();
    await new Promise((r) => setTimeout(r, 10));
  }
};

const texts = (channel: string) => slack.messages(channel).map((m) => m.text);
const lostAnswer = () => slack.failNext('chat.postMessage', 'internal_error', { status: 500, applied: true });

describe('an owed post whose answer was lost', () => {
  it('in a channel: found by its metadata on the retry, posted once', async () => {
    lostAnswer();
    await oweChannelPost(db.pool, OPS, 'freeze switched on');
    await deliverAll();
    expect(texts(OPS)).toEqual(['freeze switched on']);
    expect(slack.callsOf('chat.postMessage').map((c) => c.status)).toEqual([500]);
    const [look] = slack.callsOf('conversations.history');
    expect(look?.args['channel']).toBe(OPS);
    expect(String(look?.args['include_all_metadata'])).toBe('true');
    // Every owed post carries the row it delivers.
    expect(slack.messages(OPS)[0]?.metadata).toMatchObject({ event_type: OWED_EVENT_TYPE });
  });

  it("a run's parent message: found, its ts recorded, and the run's thread hangs under that one message", async () => {
    const runId = await newRun();
    lostAnswer();
    await oweRunParent(db.pool, runId);
    await oweRunReply(db.pool, runId, { kind: 'text', text: 'first reply' });
    await deliverAll();
    const parents = slack.messages(OPS).filter((m) => m.thread_ts === undefined);
    expect(parents).toHaveLength(1);
    const run = await getRun(db.pool, runId);
    expect(run?.message_ts).toBe(parents[0]?.ts);
    expect(slack.thread(OPS, parents[0]?.ts ?? '').map((m) => m.text)).toEqual(['first reply']);
  });

  it('a thread reply: found in the thread (conversations.replies), posted once', async () => {
    const runId = await newRun();
    await oweRunParent(db.pool, runId);
    await deliverAll();
    lostAnswer();
    await oweRunReply(db.pool, runId, { kind: 'text', text: 'the summary' });
    await oweRunReply(db.pool, runId, { kind: 'text', text: 'after it' });
    await deliverAll();
    const run = await getRun(db.pool, runId);
    expect(slack.thread(OPS, run?.message_ts ?? '').map((m) => m.text)).toEqual(['the summary', 'after it']);
    expect(slack.callsOf('conversations.replies')[0]?.args).toMatchObject({ channel: OPS, ts: run?.message_ts });
  });

  it("a DM: found in the person's DM channel, posted once", async () => {
    lostAnswer();
    await oweDm(db.pool, REQUESTER, 'your request could not be delivered');
    await deliverAll();
    expect(texts(slack.dmChannelOf(REQUESTER))).toEqual(['your request could not be delivered']);
  });
});

describe('an owed post whose earlier attempt never reached Slack', () => {
  it('is looked for, not found, and posted once', async () => {
    slack.failNext('chat.postMessage', 'internal_error', { status: 500 });
    await oweChannelPost(db.pool, OPS, 'the approvals channel is frozen');
    await deliverAll();
    expect(texts(OPS)).toEqual(['the approvals channel is frozen']);
    expect(slack.callsOf('conversations.history')).toHaveLength(1);
  });
});

describe('without a history scope (an app installed without it)', () => {
  it('cannot prove the post absent, so it posts again rather than lose it, and says so', async () => {
    const narrow = await startFakeSlack({
      channels: { [OPS]: { name: 'ops' } },
      scopes: DEFAULT_SCOPES.filter((s) => !s.endsWith(':history')),
    });
    const lines: string[] = [];
    const o = createOutbox({
      pool: db.pool,
      registry,
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
      retryBaseMs: 20,
      retryMaxMs: 50,
      postBurst: 100,
      client: new WebClient(narrow.botToken, { slackApiUrl: narrow.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
    });
    try {
      narrow.failNext('chat.postMessage', 'internal_error', { status: 500, applied: true });
      await oweChannelPost(db.pool, OPS, 'posted twice');
      await deliverAll(o);
      expect(narrow.messages(OPS).map((m) => m.text)).toEqual(['posted twice', 'posted twice']);
      expect(narrow.callsOf('conversations.history').map((c) => c.error)).toEqual(['missing_scope']);
      expect(lines.join('\n')).toMatch(/cannot tell whether an earlier attempt posted this message; posting it/u);
    } finally {
      await o.stop();
      await narrow.close();
    }
  });
});
