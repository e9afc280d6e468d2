// Credential status end to end (issue 14): the checks run at start and every CREDENTIAL_CHECK_MINUTES against the
// fake STS/SSM; `/ops status` and App Home show them; a request whose targets need failing credentials is refused
// at submit; the approvals channel hears of a partition's base credentials once per transition.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS, APPROVAL_CHANNEL, CHANGE, SIGNING_SECRET, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { latestRunId, openRequestModal, requestAndApprove, submitRequestModal, typeOps } from '../helpers/slackFlows.ts';
import { appHomeOpenedEvent } from '../helpers/slackPayloads.ts';
import { postEvent } from '../helpers/slackRequest.ts';

const com = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 2 });
const com2 = makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 1 });
const gov = makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 1 });
const ids = (list: readonly { instanceId: string }[]): string => list.map((i) => i.instanceId).join(' ');

describe('credential status', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox({ instances: [...com, ...com2, ...gov], env: { CREDENTIAL_CHECK_MINUTES: '0.05', SECOND_APPROVAL: 'off' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  const ops = async (user: string, text: string): Promise<string> => (await typeOps(s, user, text)).text ?? '';

  const healthOf = async (kind: string, id: string): Promise<string | null> =>
    s.db.pool.maybeOneFirst(
      sql.type(z.object({ health: z.string() }))`select health from credential_status where scope_kind = ${kind} and scope_id = ${id}`,
    );
  const waitForHealth = async (kind: string, id: string, health: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while ((await healthOf(kind, id)) !== health) {
      if (Date.now() > deadline) throw new Error(`${kind} ${id} is ${await healthOf(kind, id)}, not ${health}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const approvalChannelTexts = (pattern: RegExp): string[] =>
    s.slack
      .messages(APPROVAL_CHANNEL)
      .map((m) => m.text ?? '')
      .filter((t) => pattern.test(t));
  const submitErrors = async (instances: string): Promise<string> => {
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    const answer = await submitRequestModal(s, view, USERS.requester, { instances, change: CHANGE });
    return JSON.stringify(answer.body ?? {});
  };

  it('checks both partitions and every account at start: all ok, shown to anyone', async () => {
    for (const p of ['aws', 'aws-us-gov']) await waitForHealth('partition', p, 'ok');
    for (const a of Object.values(ACCOUNTS)) await waitForHealth('account', a.id, 'ok');
    const text = await ops(USERS.outsider, 'status');
    expect(text).toMatch(/\*COM\* base credentials: ok since/u);
    expect(text).toMatch(/\*GOV\* base credentials: ok since/u);
    expect(text).toMatch(/prod-gov \(222222222222, GOV\) role: ok since/u);
    // The checks are real calls: GetCallerIdentity per partition, AssumeRole with the ExternalId and one cheap SSM read per account.
    const calls = s.aws.calls;
    expect(calls.filter((c) => c.operation === 'GetCallerIdentity').map((c) => c.partition)).toEqual(
      expect.arrayContaining(['aws', 'aws-us-gov']),
    );
    const assumed = calls.filter(
      (c) => c.operation === 'AssumeRole' && (c.request as Record<string, string>).RoleArn === ACCOUNTS.com.roleArn,
    );
    expect((assumed[0]?.request as Record<string, string>).ExternalId).toBe(ACCOUNTS.com.externalId);
    expect(calls.some((c) => c.operation === 'DescribeInstanceInformation' && c.accountId === ACCOUNTS.gov.id)).toBe(true);
  });

  it('GovCloud base credentials rejected: GOV failing, commercial requests still work, a GovCloud request is refused naming the partition; one message per transition', async () => {
    s.aws.revokeBaseCredentials('aws-us-gov', true);
    await waitForHealth('partition', 'aws-us-gov', 'failing');
    expect(await healthOf('partition', 'aws')).toBe('ok');

    const forOutsider = await ops(USERS.outsider, 'status');
    expect(forOutsider).toMatch(/:red_circle: \*GOV\* base credentials: failing since .* \(invalid_credentials\)/u);
    expect(forOutsider).toMatch(/:large_green_circle: \*COM\* base credentials: ok/u);
    expect(forOutsider).not.toContain('InvalidClientTokenId'); // the AWS error text is for approvers and admins
    expect(await ops(USERS.approver, 'status')).toMatch(
      /GOV\* base credentials: failing since .*invalid_credentials\): InvalidClientTokenId/u,
    );

    // Observable: a gauge per partition and account, and a counter of failed checks by kind.
    const scrape = await (await fetch(`${s.bot.url}/metrics`)).text();
    expect(scrape).toMatch(/pcm_ops_credential_ok\{scope="partition",id="aws-us-gov",partition="aws-us-gov"\} 0/u);
    expect(scrape).toMatch(/pcm_ops_credential_ok\{scope="partition",id="aws",partition="aws"\} 1/u);
    expect(scrape).toMatch(/pcm_ops_credential_check_failures_total\{scope="partition",kind="invalid_credentials"\} [1-9]/u);

    const refused = await submitErrors(ids(gov));
    expect(refused).toMatch(/GOV \(aws-us-gov\) base credentials are failing/u);
    const { status } = await requestAndApprove(s, { command: '/qc-prep', values: { instances: ids(com), change: CHANGE } });
    expect(status).toBe('succeeded');

    // Several more check rounds: still one message for the transition.
    const rounds = s.aws.calls.filter((c) => c.operation === 'GetCallerIdentity').length;
    await s.slack.waitFor(() => s.aws.calls.filter((c) => c.operation === 'GetCallerIdentity').length >= rounds + 4, { timeoutMs: 20_000 });
    expect(approvalChannelTexts(/GOV\* \(aws-us-gov\) base credentials are failing/u)).toHaveLength(1);

    // The request modal warns before anyone types.
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    expect(JSON.stringify(view.blocks)).toMatch(/Credential problems.*GOV\* base credentials: failing/u);

    s.aws.revokeBaseCredentials('aws-us-gov', false);
    await waitForHealth('partition', 'aws-us-gov', 'ok');
    await s.slack.waitFor(() => approvalChannelTexts(/GOV\* \(aws-us-gov\) base credentials work again/u).length === 1, {
      timeoutMs: 10_000,
    });
    expect(await ops(USERS.outsider, 'status')).toMatch(/:large_green_circle: \*GOV\* base credentials: ok since/u);
    await waitForHealth('account', ACCOUNTS.gov.id, 'ok');
    const { status: govStatus } = await requestAndApprove(s, { command: '/qc-prep', values: { instances: ids(gov), change: CHANGE } });
    expect(govStatus).toBe('succeeded');
    expect(approvalChannelTexts(/GOV\* \(aws-us-gov\) base credentials/u)).toHaveLength(2);
  });

  it('an account whose role denies AssumeRole: refused at submit naming the account; the App Home shows it; recovery is shown', async () => {
    s.aws.breakRoleTrust(ACCOUNTS.com2.id, true);
    await waitForHealth('account', ACCOUNTS.com2.id, 'failing');
    const before = await latestRunId(s);
    const refused = await submitErrors(ids([...com, ...com2]));
    expect(refused).toMatch(/Account stage-com \(333333333333\) cannot be reached: its role check is failing since .* \(access_denied\)/u);
    expect(await latestRunId(s)).toBe(before);
    // No message for an account (only partitions are announced).
    expect(approvalChannelTexts(/stage-com/u)).toHaveLength(0);

    const published = s.slack.callsOf('views.publish').length;
    expect((await postEvent(s.bot.url, SIGNING_SECRET, appHomeOpenedEvent(USERS.requester))).status).toBe(200);
    await s.slack.waitFor((f) => f.callsOf('views.publish')[published], { timeoutMs: 10_000 });
    expect(JSON.stringify(s.slack.homeOf(USERS.requester)?.blocks ?? [])).toMatch(
      /Credential status.*stage-com \(333333333333, COM\) role: failing since/u,
    );

    s.aws.breakRoleTrust(ACCOUNTS.com2.id, false);
    await waitForHealth('account', ACCOUNTS.com2.id, 'ok');
    expect(await ops(USERS.outsider, 'status')).toMatch(/:large_green_circle: stage-com \(333333333333, COM\) role: ok since/u);
    expect(await submitErrors(ids(com2))).not.toMatch(/cannot be reached/u);
  });
});
