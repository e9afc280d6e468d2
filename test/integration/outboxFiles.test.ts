// Issue 9: files through the outbox against the fake Slack's strict external upload and the real database —
// the approval thread's complete target list (generated from the frozen plan when sent, formula-safe CSV),
// the run's results, a retry that never shares a file twice, and Slack's refusals given up on the record.
import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { insertExecutions } from '../../src/db/queries/executions.ts';
import { listOwed, oweFile, oweSubmitted } from '../../src/db/queries/outbox.ts';
import { getRun, insertRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { setRunTargeting } from '../../src/db/queries/targeting.ts';
import { planDigest } from '../../src/domain/planDigest.ts';
import { type Outbox } from '../../src/outbox/createOutbox.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { scriptRecordOf } from '../../src/tools/scriptRecordOf.ts';
import { loadRegistry, type ToolRegistry } from '../../src/tools/registry.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';
import { seedVerifiedChange } from '../helpers/seedVerifiedChange.ts';
import { fastOutbox } from '../helpers/fastOutbox.ts';

const OPS = 'C0OPS00001';
const APPROVALS = 'C0APP00001';
const CLOSED = 'C0CLOSED01';
let db: TestDatabase;
let registry: ToolRegistry;

const outboxFor = (slack: FakeSlack): Outbox => fastOutbox({ pool: db.pool, registry, slack: slack });

beforeAll(async () => {
  [db, registry] = await Promise.all([createTestDatabase(), loadRegistry()]);
  await seedVerifiedChange(db.pool);
});
afterAll(async () => db?.drop());

const TARGETS = [
  {
    instanceId: 'i-0aaaaaaaaaaaaaaa1',
    accountId: '111111111111',
    region: 'us-east-1',
    partition: 'aws' as const,
    computerName: 'web-1',
    platform: 'Amazon Linux',
    pingStatus: 'Online',
  },
  // A host that names itself like a spreadsheet formula, with a comma and a quote.
  {
    instanceId: 'i-0aaaaaaaaaaaaaaa2',
    accountId: '111111111111',
    region: 'us-east-1',
    partition: 'aws' as const,
    computerName: '=HYPERLINK("http://x",1),"a"',
    platform: '@evil',
    pingStatus: 'Online',
  },
  {
    instanceId: 'i-0bbbbbbbbbbbbbbb1',
    accountId: '222222222222',
    region: 'us-gov-west-1',
    partition: 'aws-us-gov' as const,
    computerName: null,
    platform: 'Ubuntu',
    pingStatus: 'Online',
  },
];

/** A submitted run as submitRun leaves it: executions with the pre-flight snapshot, targeting, the owed rows. */
const submittedRun = async (approvalChannel = APPROVALS): Promise<string> => {
  const action = registry.action('qc-prep', 'initial-qc');
  if (!action) throw new Error('qc-prep/initial-qc is missing');
  await upsertScripts(db.pool, [scriptRecordOf(action)]);
  const id = randomUUID();
  const digest = planDigest({
    tool: 'qc-prep',
    action: 'initial-qc',
    scriptSha256: action.scriptSha256,
    params: {},
    changeNumber: 'CHG0012345',
    targets: TARGETS,
  });
  await db.pool.transaction(async (tx) => {
    await insertRun(tx, {
      id,
      tool: 'qc-prep',
      action: 'initial-qc',
      params: {},
      scriptSha256: action.scriptSha256,
      requesterId: 'U0REQUESTER',
      channelId: OPS,
      approvalChannelId: approvalChannel,
      changeNumber: 'CHG0012345',
      planDigest: digest,
      approvalsRequired: 1,
      mutates: false,
      targetCount: TARGETS.length,
      correlationId: randomUUID(),
      approvalExpiresAt: new Date(Date.now() + 60_000),
    });
    await insertExecutions(tx, id, action.scriptSha256, TARGETS);
    await setRunTargeting(tx, id, {
      selectors: ['tag:PatchGroup=prod-a'],
      scope: {},
      warnings: [],
      summary: { eligible: 3, excluded: 1, byScope: [], byPlatform: [], byReason: { connection_lost: 1 } },
      excluded: [
        {
          ref: 'i-0ccccccccccccccc1',
          reason: 'connection_lost',
          detail: 'SSM agent ConnectionLost',
          instanceId: 'i-0ccccccccccccccc1',
          accountId: '111111111111',
          region: 'us-east-1',
          partition: 'aws',
          name: '+lost',
          platform: 'Amazon Linux',
          pingStatus: 'ConnectionLost',
        },
      ],
    });
    await oweSubmitted(tx, id);
  });
  return id;
};

const deliverAll = async (outbox: Outbox, runId: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while ((await listOwed(db.pool, runId)).some((r) => r.state === 'pending')) {
    if (Date.now() > deadline) throw new Error('owed messages not delivered in time');
    await outbox.drain();
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('files through the outbox', () => {
  it('the approval thread gets the complete target list, generated from the frozen plan, RFC 4180 and formula-safe', async () => {
    const slack = await startFakeSlack({ channels: { [OPS]: { name: 'ops' }, [APPROVALS]: { name: 'approvals' } } });
    const outbox = outboxFor(slack);
    try {
      const runId = await submittedRun();
      await deliverAll(outbox, runId);
      const run = await getRun(db.pool, runId);
      const files = slack.filesIn(APPROVALS, run?.approval_ts ?? '');
      expect(files).toHaveLength(1);
      const csv = slack.fileContent(files[0]!.id) ?? '';
      expect(csv.split('\r\n')).toEqual([
        'instance_id,name,account,region,partition,platform,ping_status,plan,excluded_reason',
        'i-0aaaaaaaaaaaaaaa1,web-1,111111111111,us-east-1,aws,Amazon Linux,Online,target,',
        `i-0aaaaaaaaaaaaaaa2,"'=HYPERLINK(""http://x"",1),""a""",111111111111,us-east-1,aws,'@evil,Online,target,`,
        'i-0bbbbbbbbbbbbbbb1,,222222222222,us-gov-west-1,aws-us-gov,Ubuntu,Online,target,',
        "i-0ccccccccccccccc1,'+lost,111111111111,us-east-1,aws,Amazon Linux,ConnectionLost,excluded,SSM agent ConnectionLost",
        '',
      ]);
      const message = slack.thread(APPROVALS, run?.approval_ts ?? '').find((m) => m.files?.length);
      expect(message?.text).toContain('*3* target(s) and *1* excluded');
      expect((await listOwed(db.pool, runId)).map((r) => [r.kind, r.state])).toEqual([
        ['run_parent', 'sent'],
        ['run_reply', 'sent'],
        ['approval', 'sent'],
        ['file', 'sent'],
      ]);
      expect(slack.thread(OPS, run?.message_ts ?? '')[0]?.text).toContain('Submitted by <@U0REQUESTER>');
    } finally {
      await outbox.stop();
      await slack.close();
    }
  });

  it('a retry never shares a file twice: a lost completion is redone with a new upload, a completed one is recognised', async () => {
    const slack = await startFakeSlack();
    const outbox = outboxFor(slack);
    try {
      const runId = await submittedRun();
      slack.failNext('files.completeUploadExternal', 'internal_error', { status: 500 });
      await deliverAll(outbox, runId);
      const run = await getRun(db.pool, runId);
      expect(slack.callsOf('files.getUploadURLExternal').filter((c) => c.ok)).toHaveLength(2);
      expect(slack.filesIn(APPROVALS, run?.approval_ts ?? '')).toHaveLength(1);

      // A crash after Slack completed the upload but before the row was marked sent: the row is due again.
      const row = (await listOwed(db.pool, runId)).find((r) => r.kind === 'file');
      expect(row?.file_id).toBe(slack.filesIn(APPROVALS)[0]?.id);
      await db.pool.query(sql.type(z.object({}))`update slack_outbox set state = 'pending', done_at = null where id = ${row!.id}`);
      await deliverAll(outbox, runId);
      expect(slack.callsOf('files.getUploadURLExternal').filter((c) => c.ok)).toHaveLength(2);
      expect(slack.callsOf('files.info').filter((c) => c.ok)).toHaveLength(1);
      expect(slack.filesIn(APPROVALS, run?.approval_ts ?? '')).toHaveLength(1);
    } finally {
      await outbox.stop();
      await slack.close();
    }
  });

  it('the results of a finished run go to its thread; a channel the bot is not in, or a missing scope, is given up on the record', async () => {
    const slack = await startFakeSlack({ channels: { [OPS]: { name: 'ops' }, [CLOSED]: { name: 'closed', member: false } } });
    const outbox = outboxFor(slack);
    try {
      const runId = await submittedRun(CLOSED);
      await db.pool.query(sql.type(z.object({}))`
        update executions set status = 'success', result = '{"status":"ok","summary":"-2+3 ready"}', response_code = 0,
          started_at = now(), finished_at = now() where run_id = ${runId}`);
      await oweFile(db.pool, runId, { file: 'results', to: { kind: 'run_thread' } });
      await deliverAll(outbox, runId);
      const owed = await listOwed(db.pool, runId);
      expect(owed.filter((r) => r.kind === 'file').map((r) => [r.state, r.last_error])).toEqual([
        ['failed', 'not_in_channel'],
        ['sent', null],
      ]);
      const run = await getRun(db.pool, runId);
      const [results] = slack.filesIn(OPS, run?.message_ts ?? '');
      const lines = (slack.fileContent(results!.id) ?? '').split('\r\n');
      expect(lines[0]).toBe(
        'instance_id,name,account,region,partition,wave,status,status_details,result_status,summary,response_code,started_at,ended_at,stdout_truncated,stderr_truncated',
      );
      expect(lines).toHaveLength(TARGETS.length + 2);
      expect(lines[1]).toMatch(
        /^i-0aaaaaaaaaaaaaaa1,web-1,111111111111,us-east-1,aws,,success,,ok,'-2\+3 ready,0,\d{4}-.*Z,.*Z,false,false$/u,
      );
    } finally {
      await outbox.stop();
      await slack.close();
    }
    const noScope = await startFakeSlack({ scopes: ['chat:write', 'files:read'] });
    const limited = outboxFor(noScope);
    try {
      const runId = await submittedRun();
      await deliverAll(limited, runId);
      expect((await listOwed(db.pool, runId)).find((r) => r.kind === 'file')).toMatchObject({
        state: 'failed',
        last_error: 'missing_scope',
      });
      expect(noScope.botFiles()).toEqual([]);
    } finally {
      await limited.stop();
      await noScope.close();
    }
  });
});
