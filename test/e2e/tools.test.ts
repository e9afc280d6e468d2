import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { CHANGE, defaultInstances, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { chooseAction, latestRunId, openRequestModal, requestAndApprove, submitRequestModal } from '../helpers/slackFlows.ts';

// Hosts echo which tool/action they were sent, then a PCM_RESULT line as the real scripts print.
const instances: FakeInstance[] = defaultInstances().map((i) => ({
  ...i,
  behavior: ({ commands }) => {
    const text = commands.join('\n');
    const tool = /export PCM_TOOL='([^']+)'/u.exec(text)?.[1];
    const action = /export PCM_ACTION='([^']+)'/u.exec(text)?.[1];
    return {
      status: 'Success',
      stdout: `ran ${tool}/${action}\nPCM_RESULT {"status":"ok","summary":"${tool}/${action} ok","details":{}}\n`,
    };
  },
}));
const [a, b] = instances.map((i) => i.instanceId) as [string, string];

describe('tool catalogue through the spine', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox({ instances });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('rebuilds the modal for the chosen action and shows parameter errors under their field', async () => {
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    expect(JSON.stringify(view.blocks)).toContain('param:minRootFreeMb');
    const staging = await chooseAction(s, view, USERS.requester, 'kernel-staging');
    expect(JSON.stringify(staging.blocks)).toContain('param:targetKernel');
    expect(JSON.stringify(staging.blocks)).not.toContain('param:minRootFreeMb');
    const answer = await submitRequestModal(s, staging, USERS.requester, {
      instances: a,
      change: CHANGE,
      'param:targetKernel': '5.14.0-1.el9; rm -rf /',
    });
    expect(answer.body).toMatchObject({ response_action: 'errors', errors: { 'param:targetKernel': expect.stringMatching(/.+/u) } });
    // apt-get would read this as a regular expression and install three debug kernels.
    const pattern = await submitRequestModal(s, staging, USERS.requester, {
      instances: a,
      change: CHANGE,
      'param:targetKernel': '6.1.0-47-.+-dbg',
    });
    expect(pattern.body).toMatchObject({
      response_action: 'errors',
      errors: { 'param:targetKernel': expect.stringContaining('letters, digits and . _ ~ - only') },
    });
    const bad = await submitRequestModal(s, staging, USERS.requester, {
      instances: `${a} not_an_id!`,
      change: 'CHG12',
      'param:targetKernel': '5.14.0-1.el9',
    });
    expect(bad.body).toMatchObject({
      response_action: 'errors',
      errors: { instances: expect.stringContaining('not_an_id!'), change: expect.stringContaining('CHG') },
    });
  });

  it('names unknown instances in the modal', async () => {
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    const answer = await submitRequestModal(s, view, USERS.requester, { instances: `${a} i-0000000000000dead`, change: CHANGE });
    expect(answer.body).toMatchObject({ response_action: 'errors', errors: { instances: expect.stringContaining('i-0000000000000dead') } });
  });

  it('allows /qc-post only where Initial QC succeeded under the same change', async () => {
    const view = await openRequestModal(s, '/qc-post', USERS.requester);
    const refused = await submitRequestModal(s, view, USERS.requester, { instances: a, change: CHANGE });
    expect(refused.body).toMatchObject({ response_action: 'errors', errors: { instances: expect.stringContaining(a) } });

    const prep = await requestAndApprove(s, { command: '/qc-prep', values: { instances: a, change: CHANGE } });
    expect(prep.status).toBe('succeeded');

    const mixed = await submitRequestModal(s, await openRequestModal(s, '/qc-post', USERS.requester), USERS.requester, {
      instances: `${a} ${b}`,
      change: CHANGE,
    });
    expect(mixed.body).toMatchObject({ response_action: 'errors', errors: { instances: expect.stringContaining(b) } });
    expect(JSON.stringify(mixed.body)).not.toContain(`${a},`);

    const post = await requestAndApprove(s, {
      command: '/qc-post',
      action: 'reboot-verification',
      values: { instances: a, change: CHANGE },
    });
    expect(post.status).toBe('succeeded');
    const sent = s.aws.commands().at(-1);
    expect(sent?.commands.join('\n')).toContain("export PCM_TOOL='qc-post'");
    expect(sent?.commands.join('\n')).toContain("export PCM_ACTION='reboot-verification'");
  });

  it('runs /sft-fix on one instance at a time, with its tool setting and typed parameters', async () => {
    const view = await chooseAction(s, await openRequestModal(s, '/sft-fix', USERS.requester), USERS.requester, 'enrollment');
    const two = await submitRequestModal(s, view, USERS.requester, { instances: `${a} ${b}`, change: CHANGE });
    expect(two.body).toMatchObject({ response_action: 'errors', errors: { instances: expect.stringMatching(/at most 1/u) } });

    // Enrollment changes the host: two different approvers (SECOND_APPROVAL=mutating, the default).
    const run = await requestAndApprove(s, {
      command: '/sft-fix',
      action: 'enrollment',
      values: { instances: b, change: CHANGE, 'param:force': ['true'] },
      approvers: [USERS.approver, USERS.second],
    });
    expect(run.status).toBe('succeeded');
    const text = s.aws.commands().at(-1)?.commands.join('\n') ?? '';
    expect(text).toContain("export PCM_SETTING_ENROLLMENT_TOKEN_PARAMETER='/pcm-ops/scaleft/enrollment-token'");
    expect(text).toContain("export PCM_PARAM_FORCE='true'");
    const params = await s.db.pool.oneFirst(
      sql.type(z.object({ params: z.record(z.string(), z.unknown()) }))`select params from runs where id = ${await latestRunId(s)}`,
    );
    expect(params).toEqual({ force: true });
  });
});
