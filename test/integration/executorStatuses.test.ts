// Every SSM invocation outcome the executor can meet, the per-instance refresh of long commands, full
// output fetched after InvocationDoesNotExist, and output destinations (S3 / CloudWatch) per action.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const id = (n: number) => `i-0${n.toString(16).padStart(16, '0')}`;
const at = (n: number, accountId: string, region: string, extra: Partial<FakeInstance>): FakeInstance => ({
  instanceId: id(n),
  accountId,
  region,
  ...extra,
});
const COM = ACCOUNTS.com.id;

// timeScale 0.05: TimeoutSeconds 30 → 1.5 s delivery timeout; executionTimeout 10 → 0.5 s.
const instances: FakeInstance[] = [
  at(1, COM, 'us-east-1', { behavior: { status: 'Success', stdout: 'fine\n' } }),
  at(2, COM, 'us-east-1', { behavior: { status: 'Failed', responseCode: 3, stderr: 'boom' } }),
  at(3, COM, 'us-east-1', { behavior: { status: 'TimedOut' } }),
  at(4, COM, 'us-east-1', { pingStatus: 'ConnectionLost' }),
  at(5, COM, 'us-east-1', { behavior: { status: 'Undeliverable' } }),
  at(6, COM, 'us-east-1', { behavior: { status: 'Terminated' } }),
  at(7, COM, 'us-east-1', { behavior: { status: 'Cancelled' } }),
  // Alone in its account+region so its command finishes long before GetCommandInvocation can see it.
  at(8, COM, 'us-west-2', {
    behavior: { status: 'Success', stdout: `${'x'.repeat(9_999)}\nPCM_RESULT {"status":"ok","summary":"big"}\n` },
  }),
  at(9, ACCOUNTS.gov.id, 'us-gov-west-1', { behavior: { status: 'Success', stdout: 'gov\n' } }),
];

describe('executor: SSM statuses and outputs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances,
      aws: { timeScale: 0.05, invocationVisibleAfterMs: 1_000 },
      settings: { detailRefreshMs: 150 },
      actions: (a) =>
        ({
          ...a,
          timeouts: { deliverySeconds: 30, executionSeconds: 10 },
          output: { s3Bucket: 'pcm-ops-output', s3KeyPrefix: 'runs/', cloudWatchLogGroup: '/pcm-ops/runs' },
        }) as typeof a,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('maps every outcome, follows Delayed until Delivery Timed Out, and waits out InvocationDoesNotExist for the full output', async () => {
    const runId = await h.approveRun(instances.map((i) => i.instanceId));
    // Watch the unreachable host while the run goes on: it is Delayed (not final) before it times out.
    const seen = new Set<string>();
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      const row = await h.db.pool.one(sql.type(z.object({ run: z.string(), ssm: z.string().nullable(), status: z.string() }))`
        select r.status as run, e.ssm_status as ssm, e.status from executions e join runs r on r.id = e.run_id
        where e.run_id = ${runId} and e.instance_id = ${id(4)}`);
      if (row.ssm) seen.add(`${row.ssm}/${row.status}`);
      if (row.run !== 'running' && row.run !== 'approved') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await h.waitForRun(runId)).toBe('partially_failed');
    expect(seen).toContain('Delayed/sent');

    const rows = new Map((await executionsOf(h, runId)).map((r) => [r.instance_id, r]));
    const outcome = (n: number) => {
      const r = rows.get(id(n));
      return [r?.status, r?.ssm_status, r?.status_details];
    };
    expect(outcome(1)).toEqual(['success', 'Success', 'Success']);
    expect(outcome(2)).toEqual(['failed', 'Failed', 'Failed']);
    expect(outcome(3)).toEqual(['timed_out', 'TimedOut', 'Execution Timed Out']);
    expect(outcome(4)).toEqual(['undeliverable', 'TimedOut', 'Delivery Timed Out']);
    expect(outcome(5)).toEqual(['undeliverable', 'Failed', 'Undeliverable']);
    expect(outcome(6)).toEqual(['terminated', 'Failed', 'Terminated']);
    expect(outcome(7)).toEqual(['cancelled', 'Cancelled', 'Cancelled']);
    expect(outcome(9)).toEqual(['success', 'Success', 'Success']);
    expect(rows.get(id(2))?.stdout).toBe('');

    // The listed output was cut at ~2,500 characters; the full text came from GetCommandInvocation once visible.
    const big = rows.get(id(8));
    expect(big?.status).toBe('success');
    expect(big?.stdout?.length).toBeGreaterThan(10_000);
    expect(big?.stdout_truncated).toBe(false);
    const gets = h.aws.calls.filter((c) => c.operation === 'GetCommandInvocation');
    expect(gets.some((c) => c.errorCode === 'InvocationDoesNotExist')).toBe(true);
    expect(gets.at(-1)?.status).toBe(200);
    const result = await h.db.pool.oneFirst(
      sql.type(z.object({ result: z.unknown() }))`select result from executions where run_id = ${runId} and instance_id = ${id(8)}`,
    );
    expect(result).toMatchObject({ summary: 'big' });
  });

  it('asks SSM to write output to S3 and CloudWatch Logs when the action says so, and stores where per execution', async () => {
    const runId = await h.db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`select id from runs order by created_at desc limit 1`);
    const sends = h.aws.calls.filter((c) => c.operation === 'SendCommand' && JSON.stringify(c.request).includes(runId));
    expect(sends).toHaveLength(3);
    for (const s of sends) {
      expect(s.request).toMatchObject({
        OutputS3BucketName: 'pcm-ops-output',
        OutputS3KeyPrefix: `runs/${runId}`,
        CloudWatchOutputConfig: { CloudWatchLogGroupName: '/pcm-ops/runs', CloudWatchOutputEnabled: true },
      });
    }
    const command = commandsOf(h, runId).find((c) => c.instanceIds.includes(id(1)));
    const row = (await executionsOf(h, runId)).find((r) => r.instance_id === id(1));
    expect(row?.output_location).toEqual({
      s3: {
        stdout: `https://s3.us-east-1.amazonaws.com/pcm-ops-output/runs/${runId}/${command?.commandId}/${id(1)}/awsrunShellScript/0.awsrunShellScript/stdout`,
        stderr: `https://s3.us-east-1.amazonaws.com/pcm-ops-output/runs/${runId}/${command?.commandId}/${id(1)}/awsrunShellScript/0.awsrunShellScript/stderr`,
      },
      cloudWatch: {
        logGroup: '/pcm-ops/runs',
        stdoutStream: `${command?.commandId}/${id(1)}/aws-runShellScript/stdout`,
        stderrStream: `${command?.commandId}/${id(1)}/aws-runShellScript/stderr`,
      },
    });
  });
});

describe('executor: long commands', () => {
  let h: Harness;
  const fleet: FakeInstance[] = Array.from({ length: 60 }, (_, n) =>
    at(100 + n, COM, 'us-east-1', { behavior: { status: 'Success', stdout: 'done\n', runMs: n < 30 ? 50 : 1_500 } }),
  );
  beforeAll(async () => {
    h = await startHarness({ instances: fleet, settings: { detailRefreshMs: 300 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refreshes per-instance detail of a running command at a bounded rate, so early finishers show before the command ends', async () => {
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));
    let sawPartial = false;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      const rows = await executionsOf(h, runId);
      const done = rows.filter((r) => r.status === 'success').length;
      const running = rows.filter((r) => r.ssm_status === 'InProgress' && r.status === 'in_progress').length;
      if (done > 0 && running > 0) sawPartial = true;
      if (done === rows.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await h.waitForRun(runId)).toBe('succeeded');
    expect(sawPartial).toBe(true);
    // Two commands (50 + 10) over ~1.5 s with a 300 ms refresh: a handful of pages, never one per instance per round.
    const pages = h.aws.calls.filter((c) => c.operation === 'ListCommandInvocations').length;
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBeLessThanOrEqual(2 * (1 + Math.ceil(1_500 / 300) + 1));
    expect(h.aws.calls.filter((c) => c.operation === 'GetCommandInvocation')).toHaveLength(0);
  });
});
