// The executor over a fleet in several accounts, regions and both partitions: results per instance,
// the cost of polling, and which credentials reached which endpoint.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS, BASE_CREDENTIALS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const fleetOf = (specs: readonly { accountId: string; region: string; count: number }[], runMs: number): FakeInstance[] =>
  specs.flatMap((s) =>
    makeInstances({ accountId: s.accountId, region: s.region, count: s.count }).map((i) => ({
      ...i,
      behavior: { status: 'Success' as const, runMs, stdout: `checked ${i.instanceId}\nPCM_RESULT {"status":"ok","summary":"ready"}\n` },
    })),
  );

const partitionOfAccount = new Map(Object.values(ACCOUNTS).map((a) => [a.id, a.partition]));
const partitionOfRegion = (region: string | undefined) => (region?.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

describe('executor: a fleet over accounts, regions and partitions', () => {
  let h: Harness;
  // 150 + 100 + 100 commercial in three account/regions, 50 in GovCloud: 8 chunks of ≤ 50.
  const fleet = fleetOf(
    [
      { accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 150 },
      { accountId: ACCOUNTS.com.id, region: 'us-west-2', count: 100 },
      { accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 100 },
      { accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 50 },
    ],
    700,
  );

  beforeAll(async () => {
    h = await startHarness({ instances: fleet });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends each instance exactly once, stores every result, and polls per account+region rather than per instance', async () => {
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));
    expect(await h.waitForRun(runId)).toBe('succeeded');

    const commands = commandsOf(h, runId);
    expect(commands).toHaveLength(8);
    expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(fleet.map((i) => i.instanceId).sort());
    expect(new Set(commands.map((c) => c.comment)).size).toBe(8);
    for (const c of commands) expect(c.instanceIds.length).toBeLessThanOrEqual(50);

    const rows = await executionsOf(h, runId);
    expect(rows).toHaveLength(400);
    for (const r of rows) {
      expect(r.status).toBe('success');
      expect(r.stdout).toContain(`checked ${r.instance_id}`);
      expect(r.command_id).toBe(commands.find((c) => c.instanceIds.includes(r.instance_id))?.commandId);
    }

    const rounds = await h.db.pool.oneFirst(
      sql.type(z.object({ poll_round: z.number() }))`select poll_round from runs where id = ${runId}`,
    );
    const count = (op: string) => h.aws.calls.filter((c) => c.operation === op).length;
    expect(rounds).toBeGreaterThan(3);
    expect(count('SendCommand')).toBe(8);
    // Finished commands are read once, one page of ≤ 50 each; nothing needed GetCommandInvocation.
    expect(count('ListCommandInvocations')).toBe(8);
    expect(count('GetCommandInvocation')).toBe(0);
    // Per round: one listing for the account+region with 3 commands, by id for the ones with ≤ 2 (2 + 2 + 1).
    expect(count('ListCommands')).toBeLessThanOrEqual((rounds + 1) * 6);
    const ssmCalls = h.aws.calls.filter((c) => c.service === 'ssm').length;
    expect(ssmCalls).toBeLessThan(400 / 2);
    // Three roles assumed once each for the run (one per account), whatever the number of calls.
    expect(h.aws.calls.filter((c) => c.operation === 'AssumeRole')).toHaveLength(3);

    const progress = h.notifier.calls.filter((c) => c.runId === runId);
    expect(progress[0]?.kind).toBe('started');
    expect(progress.at(-1)).toMatchObject({ kind: 'finished', status: 'succeeded', counts: { success: 400 } });
  });

  it('never calls a GovCloud account with commercial credentials or endpoints, nor the reverse', async () => {
    const ssm = h.aws.calls.filter((c) => c.service === 'ssm');
    const sts = h.aws.calls.filter((c) => c.service === 'sts');
    expect(ssm.length).toBeGreaterThan(0);
    expect(ssm.some((c) => c.partition === 'aws-us-gov')).toBe(true);
    expect(ssm.some((c) => c.partition === 'aws')).toBe(true);
    for (const c of ssm) {
      // Temporary credentials of the target account only, signed for a region of that account's partition.
      expect(c.status).toBe(200);
      expect(c.accessKeyId).toMatch(/^ASIA/u);
      expect(c.accessKeyId).not.toBe(BASE_CREDENTIALS.aws.accessKeyId);
      expect(c.accessKeyId).not.toBe(BASE_CREDENTIALS['aws-us-gov'].accessKeyId);
      expect(c.partition).toBe(partitionOfAccount.get(c.accountId ?? ''));
      expect(partitionOfRegion(c.region)).toBe(c.partition);
    }
    // A session key is only ever used in one account (so never in the other partition).
    const accountOfKey = new Map<string, string | undefined>();
    for (const c of ssm) {
      if (accountOfKey.has(c.accessKeyId ?? '')) expect(accountOfKey.get(c.accessKeyId ?? '')).toBe(c.accountId);
      accountOfKey.set(c.accessKeyId ?? '', c.accountId);
    }
    for (const c of sts) {
      expect(c.status).toBe(200);
      const roleArn = JSON.stringify(c.request);
      const gov = roleArn.includes(ACCOUNTS.gov.roleArn);
      expect(c.accessKeyId).toBe(gov ? BASE_CREDENTIALS['aws-us-gov'].accessKeyId : BASE_CREDENTIALS.aws.accessKeyId);
      expect(partitionOfRegion(c.region)).toBe(gov ? 'aws-us-gov' : 'aws');
    }
  });
});
