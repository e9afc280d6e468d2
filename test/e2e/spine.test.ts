import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadRegistry } from '../../src/tools/registry.ts';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { postSlashCommand } from '../helpers/slackRequest.ts';
import {
  ACCOUNTS,
  APPROVAL_CHANNEL,
  BASE_CREDENTIALS,
  CHANGE,
  defaultInstances,
  OPS_CHANNEL,
  SIGNING_SECRET,
  startSandbox,
  USERS,
  type Sandbox,
} from '../helpers/sandbox.ts';
import { approvalMessageFor, clickDecision, openRequestModal, submitRequestModal } from '../helpers/slackFlows.ts';

// Each simulated host answers with output that depends on what it was sent, so the test can tell the
// script and its parameters really arrived.
const instances: FakeInstance[] = defaultInstances().map((i) => ({
  ...i,
  behavior: ({ commands }) => ({
    status: 'Success',
    stdout: `host ${i.instanceId} ran ${commands.some((c) => c.includes("PCM_ACTION='initial-qc'")) ? 'initial-qc' : '?'}\nPCM_RESULT {"status":"ok","summary":"ready for patching","details":{"ready":true}}\n`,
  }),
}));

// What the bot ships: the script with its libraries inlined, as the registry composes it.
const scriptText = async (): Promise<string> => {
  const action = (await loadRegistry()).action('qc-prep', 'initial-qc');
  if (!action) throw new Error('qc-prep/initial-qc is not in the registry');
  return action.scriptContent;
};

describe('spine: /qc-prep from a signed Slack request to SSM and PostgreSQL', () => {
  let s: Sandbox;
  let runId: string;

  beforeAll(async () => {
    s = await startSandbox({ instances });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a bad signature and a replayed (stale) timestamp', async () => {
    const bad = await postSlashCommand(
      s.bot.url,
      SIGNING_SECRET,
      { command: '/qc-prep', user_id: USERS.requester, channel_id: OPS_CHANNEL },
      { badSignature: true },
    );
    expect(bad.status).toBe(401);
    const stale = await postSlashCommand(
      s.bot.url,
      SIGNING_SECRET,
      { command: '/qc-prep', user_id: USERS.requester, channel_id: OPS_CHANNEL },
      { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
    );
    expect(stale.status).toBe(401);
    expect(s.slack.callsOf('views.open')).toHaveLength(0);
  });

  it('opens the modal and stores a pending request with an approval message', async () => {
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    expect(view.callback_id).toBe('run_request');
    const blockIds = (view.blocks as { block_id?: string }[]).map((b) => b.block_id);
    expect(blockIds).toEqual(expect.arrayContaining(['action', 'instances', 'change']));

    const ids = instances.map((i) => i.instanceId);
    const answer = await submitRequestModal(s, view, USERS.requester, { instances: ids.join('\n'), change: CHANGE });
    expect(answer.status).toBe(200);
    expect(answer.body).toBeUndefined();

    runId = await s.db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`select id from runs`);
    const run = await s.db.pool.one(
      sql.type(
        z.object({ status: z.string(), target_count: z.number(), script_sha256: z.string() }),
      )`select status, target_count, script_sha256 from runs where id = ${runId}`,
    );
    expect(run).toMatchObject({ status: 'pending_approval', target_count: 4 });

    const approval = await approvalMessageFor(s, runId);
    const text = JSON.stringify(approval.blocks);
    expect(text).toContain(run.script_sha256);
    expect(text).toContain(CHANGE);
    expect(text).toContain(USERS.requester);
    for (const account of [ACCOUNTS.com.id, ACCOUNTS.gov.id]) expect(text).toContain(account);
    expect(text).toContain('approve_run');

    // The parent message lives in the requester's channel with a "submitted" thread reply.
    const parent = await s.slack.waitFor((f) =>
      f.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(runId)),
    );
    await s.slack.waitFor((f) => f.thread(OPS_CHANNEL, parent.ts).find((m) => /Submitted/u.test(m.text ?? '')));
  });

  it('refuses self-approval and non-approvers with an ephemeral reason, and nothing runs', async () => {
    expect(await clickDecision(s, runId, USERS.requester)).toBe(200);
    await s.slack.waitFor((f) => f.ephemerals(USERS.requester).find((e) => /cannot approve your own request/u.test(e.text ?? '')), {
      timeoutMs: 5_000,
    });
    expect(await clickDecision(s, runId, USERS.outsider)).toBe(200);
    await s.slack.waitFor((f) => f.ephemerals(USERS.outsider).find((e) => /not in the approvers group/u.test(e.text ?? '')), {
      timeoutMs: 5_000,
    });
    const status = await s.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
    expect(status).toBe('pending_approval');
    expect(s.aws.commands()).toHaveLength(0);
  });

  it('approves once (a double click changes nothing), runs on every account and region, and records everything', async () => {
    const clicks = await Promise.all([clickDecision(s, runId, USERS.approver), clickDecision(s, runId, USERS.approver)]);
    expect(clicks).toEqual([200, 200]);

    const finalStatus = async () =>
      s.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
    const deadline = Date.now() + 30_000;
    while (!['succeeded', 'failed', 'partially_failed'].includes(await finalStatus())) {
      if (Date.now() > deadline) throw new Error(`run did not finish:\n${s.bot.output.slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await finalStatus()).toBe('succeeded');

    // SSM: one SendCommand per account+region, exact script content, Comment carrying the run id.
    const script = await scriptText();
    const commands = s.aws.commands();
    expect(commands).toHaveLength(3);
    const groups = commands.map((c) => `${c.partition}/${c.accountId}/${c.region}`).sort();
    expect(groups).toEqual(['aws-us-gov/222222222222/us-gov-west-1', 'aws/111111111111/us-east-1', 'aws/111111111111/us-west-2']);
    expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(instances.map((i) => i.instanceId).sort());
    for (const c of commands) {
      expect(c.documentName).toBe('AWS-RunShellScript');
      expect(c.commands.join('\n')).toContain(script.trimEnd());
      expect(c.comment).toContain(runId);
      expect(c.sentBy.roleSessionName).toBe(`pcm-ops-${runId}`);
      expect(c.sentBy.sourceIdentity).toBe(USERS.requester);
    }
    // STS: the GovCloud role was assumed with the GovCloud base credentials in a GovCloud region, and the reverse.
    const assumes = s.aws.calls.filter((c) => c.service === 'sts' && c.operation === 'AssumeRole' && c.status === 200);
    const gov = assumes.filter((c) => JSON.stringify(c.request).includes(ACCOUNTS.gov.roleArn));
    expect(gov.length).toBeGreaterThan(0);
    for (const c of gov) {
      expect(c.accessKeyId).toBe(BASE_CREDENTIALS['aws-us-gov'].accessKeyId);
      expect(c.region).toMatch(/^us-gov-/u);
    }
    for (const c of assumes.filter((a) => !gov.includes(a))) expect(c.accessKeyId).toBe(BASE_CREDENTIALS.aws.accessKeyId);
    expect(s.aws.calls.filter((c) => c.operation === 'SendCommand')).toHaveLength(3);

    // PostgreSQL: final rows.
    const executions = await s.db.pool.any(sql.type(
      z.object({
        instance_id: z.string(),
        status: z.string(),
        stdout: z.string().nullable(),
        result: z.unknown(),
        command_id: z.string().nullable(),
        script_sha256: z.string(),
      }),
    )`
      select instance_id, status, stdout, result, command_id, script_sha256 from executions where run_id = ${runId}`);
    expect(executions).toHaveLength(4);
    for (const e of executions) {
      expect(e.status).toBe('success');
      expect(e.stdout).toContain(`host ${e.instance_id} ran initial-qc`);
      expect(e.result).toMatchObject({ status: 'ok', summary: 'ready for patching' });
      expect(e.command_id).not.toBeNull();
    }
    const counts = await s.db.pool.one(sql.type(
      z.object({ changes: z.number(), change_instances: z.number(), approvals: z.number(), scripts: z.number() }),
    )`
      select (select count(*)::int from changes where number = ${CHANGE} and sys_id is not null) as changes,
             (select count(*)::int from change_instances where run_id = ${runId}) as change_instances,
             (select count(*)::int from approvals where run_id = ${runId} and decision = 'approved') as approvals,
             (select count(*)::int from scripts s join runs r on r.script_sha256 = s.sha256 where r.id = ${runId} and s.content = ${script}) as scripts`);
    expect(counts).toEqual({ changes: 1, change_instances: 4, approvals: 1, scripts: 1 });
    const audit = await s.db.pool.anyFirst(
      sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId} order by id`,
    );
    expect(audit.filter((a) => a === 'approved')).toHaveLength(1);
    expect(audit).toEqual(expect.arrayContaining(['requested', 'approval_recorded', 'approved', 'started', 'command_sent', 'finished']));
    expect(audit.filter((a) => a === 'command_sent')).toHaveLength(3);

    // Slack: the thread tells the story and the parent shows the outcome.
    const parent = s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(runId));
    expect(parent).toBeDefined();
    const thread = await s.slack.waitFor(
      (f) => {
        const replies = f.thread(OPS_CHANNEL, parent?.ts ?? '');
        return replies.some((r) => /Finished/u.test(JSON.stringify(r.blocks ?? r.text))) ? replies : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const texts = thread.map((r) => `${r.text ?? ''} ${JSON.stringify(r.blocks ?? [])}`);
    expect(texts.some((t) => /Submitted/u.test(t))).toBe(true);
    expect(texts.some((t) => t.includes(`Approved by <@${USERS.approver}>`))).toBe(true);
    expect(texts.some((t) => /Started/u.test(t))).toBe(true);
    expect(texts.some((t) => /Finished/u.test(t) && /succeeded/u.test(t))).toBe(true);
    await s.slack.waitFor((f) => /succeeded/u.test(f.message(OPS_CHANNEL, parent?.ts ?? '')?.text ?? ''), { timeoutMs: 5_000 });
    // The approval message lost its buttons.
    const approval = s.slack.messages(APPROVAL_CHANNEL).find((m) => JSON.stringify(m.blocks).includes(runId));
    await s.slack.waitFor(() => !JSON.stringify(s.slack.message(APPROVAL_CHANNEL, approval?.ts ?? '')?.blocks).includes('approve_run'), {
      timeoutMs: 5_000,
    });
  });
});
