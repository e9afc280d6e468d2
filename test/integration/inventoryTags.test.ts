// Issue 9: the inventory's tags from the Resource Groups Tagging API (GetResources), read in every scope's sync with
// the real SDK client over HTTP against the strict fake, into the real PostgreSQL; the picker searches them.
import {
  GetResourcesCommand,
  InvalidParameterException,
  ResourceGroupsTaggingAPIClient,
  type GetResourcesCommandInput,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCredentialBroker } from '../../src/aws/credentialBroker.ts';
import { createTaggingClients, type TaggingClients } from '../../src/aws/taggingClients.ts';
import type { TargetAccount } from '../../src/config/targetsSchema.ts';
import { searchInventory } from '../../src/db/queries/inventorySearch.ts';
import { createPool } from '../../src/db/pool.ts';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import type { OpsMetrics } from '../../src/http/opsMetrics.ts';
import type { ScopeBound } from '../../src/inventory/describeScope.ts';
import { syncInventory, type ScopeSyncResult } from '../../src/inventory/syncInventory.ts';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { inventorySyncText } from '../../src/slack/blocks/inventorySyncText.ts';
import { startHarness, TARGETS, type Harness } from '../helpers/executorHarness.ts';
import { testRuntimeUrl } from '../helpers/pgAdmin.ts';
import { ACCOUNTS, BASE_CREDENTIALS } from '../helpers/sandbox.ts';

// 10,000 instances over three accounts, four scopes and both partitions; each tagged one carries an Asset tag of
// its own, which nothing ever selects it by.
const tagsOf = (fleet: string) => (i: number) => ({ PatchGroup: i % 2 ? 'prod-a' : 'prod-b', Asset: `asset-${fleet}-${i}` });
const comEast = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 3000, tags: tagsOf('ce'), name: 'ce' });
const comUntagged = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 500, name: 'cu' });
const comWest = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-west-2', count: 2000, tags: tagsOf('cw'), name: 'cw' });
const com2 = makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 1999, tags: tagsOf('c2'), name: 'c2' });
// A hybrid (on-premises) managed node: GetResources lists it as ssm:managed-instance.
const hybrid: FakeInstance = {
  instanceId: 'mi-0123456789abcdef0',
  accountId: ACCOUNTS.com2.id,
  region: 'us-east-1',
  computerName: 'onprem-db-01',
  tags: { PatchGroup: 'prod-a', Asset: 'asset-onprem-db' },
};
const gov = makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 2500, tags: tagsOf('gv'), name: 'gv' });
const fleet = [...comEast, ...comUntagged, ...comWest, ...com2, hybrid, ...gov];
const tagged = fleet.filter((i) => i.tags !== undefined);
const session = { runId: 'tags-test', requesterId: 'U0TEST' };

let h: Harness;
let broker: ReturnType<typeof createCredentialBroker>;
const metered: { service: string; operation: string; partition: string; outcome: string }[] = [];
const ignored = (): void => {};
const metrics: OpsMetrics = {
  slackCall: ignored,
  slackRateLimited: ignored,
  serviceNowCall: ignored,
  runFinished: ignored,
  approvalWaited: ignored,
  leaseTakeover: ignored,
  credentialCheckFailed: ignored,
  awsCall: (service, operation, partition, outcome) => metered.push({ service, operation, partition, outcome }),
};
let tagging: TaggingClients;
/** The bot's own database role: the sync runs with exactly its grants. */
let runtime: Awaited<ReturnType<typeof createPool>>;

const account = (id: string): TargetAccount => {
  const a = TARGETS.accounts.find((x) => x.id === id);
  if (!a) throw new Error(id);
  return a;
};
const bound = (): ScopeBound => createWorkQueues({ global: 10, perRegion: 4 });
const sync = async (o: { bound?: ScopeBound; accounts?: TargetAccount[]; tagging?: TaggingClients } = {}): Promise<ScopeSyncResult[]> =>
  syncInventory({
    pool: runtime,
    targets: TARGETS,
    ssm: h.ssm,
    tagging: o.tagging ?? tagging,
    bound: o.bound ?? bound(),
    ...(o.accounts ? { accounts: o.accounts } : {}),
  });
const tagsInDb = async (ids: readonly string[]): Promise<Map<string, Record<string, string>>> => {
  const rows = await h.db.pool.any(
    sql.type(z.object({ instance_id: z.string(), tags: z.record(z.string(), z.string()) }))`
      select instance_id, tags from instances where instance_id = any(${sql.array([...ids], 'text')})`,
  );
  return new Map(rows.map((r) => [r.instance_id, r.tags]));
};
const getResourcesCalls = () => h.aws.calls.filter((c) => c.operation === 'GetResources');

beforeAll(async () => {
  h = await startHarness({ instances: fleet });
  broker = createCredentialBroker({
    targets: TARGETS,
    endpoint: h.aws.url,
    baseCredentials: { aws: async () => BASE_CREDENTIALS.aws, 'aws-us-gov': async () => BASE_CREDENTIALS['aws-us-gov'] },
  });
  tagging = createTaggingClients(broker, { endpoint: h.aws.url, metrics });
  runtime = await createPool(testRuntimeUrl(h.db.name), { maximumPoolSize: 8 });
}, 60_000);
afterAll(async () => {
  await runtime?.end();
  tagging?.destroy();
  broker?.destroy();
  await h?.close();
});

describe('inventory tags (GetResources)', () => {
  it('a sync over 10,000 instances fills every instance tags in both partitions, a page of 100 a call', async () => {
    h.aws.resetCalls();
    const results = await sync();
    expect(results.every((r) => r.ok && r.tags.ok)).toBe(true);
    expect(results.reduce((n, r) => n + r.instances, 0)).toBe(10_000);
    expect(results.reduce((n, r) => n + r.tags.tagged, 0)).toBe(tagged.length);
    expect(Object.fromEntries(results.map((r) => [`${r.accountId} ${r.region}`, r.tags.tagged]))).toEqual({
      [`${ACCOUNTS.com.id} us-east-1`]: 3000,
      [`${ACCOUNTS.com.id} us-west-2`]: 2000,
      [`${ACCOUNTS.com2.id} us-east-1`]: 2000,
      [`${ACCOUNTS.gov.id} us-gov-west-1`]: 2500,
    });

    // Pages, not instances: 3000 + 2000 + 2000 + 2500 tagged → 30 + 20 + 20 + 25 calls.
    const calls = getResourcesCalls();
    expect(calls).toHaveLength(95);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    for (const c of calls) {
      expect(c.request).toMatchObject({ ResourceTypeFilters: ['ec2:instance', 'ssm:managed-instance'], ResourcesPerPage: 100 });
    }
    const govCalls = calls.filter((c) => c.region === 'us-gov-west-1');
    expect(govCalls).toHaveLength(25);
    expect(govCalls.every((c) => c.partition === 'aws-us-gov' && c.accountId === ACCOUNTS.gov.id)).toBe(true);
    expect(calls.filter((c) => c.partition === 'aws')).toHaveLength(70);
    // Counted like every other AWS call, by partition.
    const counted = (partition: string) =>
      metered.filter((m) => m.service === 'tagging' && m.operation === 'GetResources' && m.partition === partition && m.outcome === 'ok');
    expect(counted('aws')).toHaveLength(70);
    expect(counted('aws-us-gov')).toHaveLength(25);

    // Exactly the fake's tags for every instance; never-tagged ones have none.
    const stored = await tagsInDb(fleet.map((i) => i.instanceId));
    expect(stored.size).toBe(10_000);
    for (const i of fleet) expect(stored.get(i.instanceId), i.instanceId).toEqual(i.tags ?? {});
    expect(stored.get(hybrid.instanceId)).toEqual({ PatchGroup: 'prod-a', Asset: 'asset-onprem-db' });
  }, 180_000);

  it('a GovCloud instance gets its tags with GovCloud credentials, through a GovCloud region', async () => {
    const target = gov[1234]!;
    const stored = await tagsInDb([target.instanceId]);
    expect(stored.get(target.instanceId)).toEqual({ PatchGroup: 'prod-b', Asset: 'asset-gv-1234' });
    // The role was assumed with the GovCloud base key through GovCloud STS, and only those credentials read its tags.
    const assumed = h.aws.calls.filter(
      (c) => c.operation === 'AssumeRole' && (c.request as { RoleArn?: string }).RoleArn === ACCOUNTS.gov.roleArn,
    );
    expect(assumed.length).toBeGreaterThan(0);
    for (const c of assumed) {
      expect(c).toMatchObject({
        status: 200,
        partition: 'aws-us-gov',
        region: 'us-gov-west-1',
        accessKeyId: BASE_CREDENTIALS['aws-us-gov'].accessKeyId,
      });
    }
    const govReads = getResourcesCalls().filter((c) => c.accountId === ACCOUNTS.gov.id);
    expect(new Set(govReads.map((c) => `${c.partition} ${c.region}`))).toEqual(new Set(['aws-us-gov us-gov-west-1']));
    const govKeys = new Set(govReads.map((c) => c.accessKeyId));
    const commercialKeys = new Set(
      getResourcesCalls()
        .filter((c) => c.partition === 'aws')
        .map((c) => c.accessKeyId),
    );
    for (const k of govKeys) expect(commercialKeys.has(k)).toBe(false);
    // Commercial credentials are refused by a GovCloud region (and the SDK client never gets to try).
    const creds = await broker.forAccount(account(ACCOUNTS.com.id), session);
    const wrong = new ResourceGroupsTaggingAPIClient({ region: 'us-gov-west-1', endpoint: h.aws.url, credentials: creds, maxAttempts: 1 });
    await expect(wrong.send(new GetResourcesCommand({ ResourcesPerPage: 10 }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    wrong.destroy();
  });

  it('the picker finds an instance by a tag value it was never selected by, in either partition', async () => {
    const com = comWest[777]!;
    expect((await searchInventory(h.db.pool, 'ASSET-CW-777', 100)).map((m) => m.instanceId)).toEqual([com.instanceId]);
    const g = gov[42]!;
    const found = await searchInventory(h.db.pool, 'asset-gv-42', 100);
    expect(found.map((m) => [m.instanceId, m.partition, m.accountId])).toEqual([[g.instanceId, 'aws-us-gov', ACCOUNTS.gov.id]]);
    expect((await searchInventory(h.db.pool, 'asset-onprem-db', 100)).map((m) => m.instanceId)).toEqual([hybrid.instanceId]);
    // A shared value: bounded by the picker's limit.
    expect(await searchInventory(h.db.pool, 'prod-a', 100)).toHaveLength(100);
  });

  it('a failing GetResources keeps the last good tags, marks the scope with their age and never blocks the ids', async () => {
    const changed = gov[7]!;
    h.aws.setTags(changed.instanceId, { PatchGroup: 'prod-z', Asset: 'asset-renamed' });
    const late = makeInstances({
      accountId: ACCOUNTS.gov.id,
      region: 'us-gov-west-1',
      count: 1,
      tags: { Asset: 'asset-late' },
      name: 'late',
    });
    h.aws.addInstances(late);

    // An outage of the tagging API only.
    h.aws.failOperations(['GetResources']);
    const failed = await sync({ accounts: [account(ACCOUNTS.gov.id)] });
    h.aws.failOperations([]);
    expect(failed).toHaveLength(1);
    const [r] = failed;
    expect(r).toMatchObject({ ok: true, instances: 2501, tags: { ok: false, tagged: 2500 } });
    expect(r?.tags.error).toMatch(/InternalServiceException/u);
    expect(r?.tags.lastSuccessAt).toBeInstanceOf(Date);
    // The ids and names moved on: the new instance is in the inventory (without tags yet).
    const stored = await tagsInDb([changed.instanceId, late[0]!.instanceId]);
    expect(stored.get(late[0]!.instanceId)).toEqual({});
    expect(stored.get(changed.instanceId)).toEqual({ PatchGroup: 'prod-a', Asset: 'asset-gv-7' });
    const scope = await h.db.pool.one(
      sql.type(
        z.object({
          tags_last_error: z.string().nullable(),
          tags_last_success_at: z.number().nullable(),
          last_error: z.string().nullable(),
        }),
      )`
        select tags_last_error, tags_last_success_at, last_error from inventory_scopes where account_id = ${ACCOUNTS.gov.id}`,
    );
    expect(scope.tags_last_error).toMatch(/InternalServiceException/u);
    expect(scope.tags_last_success_at).toBe(r?.tags.lastSuccessAt?.getTime());
    expect(scope.last_error).toBeNull();
    const text = inventorySyncText(failed);
    expect(text).toContain('1 failed');
    expect(text).toMatch(
      /:warning: .*prod-gov us-gov-west-1 \(GovCloud\): 2501 instance\(s\); tags could not be read \(InternalServiceException: .*\); keeping tags from <!date\^/u,
    );

    // Failing part-way: two pages read and staged, the third refused. Nothing of the read is applied or left behind.
    const before = getResourcesCalls().length;
    const queues = bound();
    const partWay: ScopeBound = {
      run: async (job, task) => {
        if (getResourcesCalls().length >= before + 2 && h.aws.calls.at(-1)?.operation === 'GetResources') {
          throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
        }
        return queues.run(job, task);
      },
    };
    const broken = await sync({ bound: partWay, accounts: [account(ACCOUNTS.gov.id)] });
    expect(getResourcesCalls().length - before).toBe(2);
    expect(broken[0]).toMatchObject({ ok: true, tags: { ok: false, error: 'TimeoutError: connection reset' } });
    expect((await tagsInDb([changed.instanceId])).get(changed.instanceId)).toEqual({ PatchGroup: 'prod-a', Asset: 'asset-gv-7' });
    expect(await searchInventory(h.db.pool, 'asset-renamed', 100)).toEqual([]);
    const staged = await h.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from instance_tag_reads`);
    expect(staged).toBe(0);

    // The next good read replaces them, and clears the mark.
    const healed = await sync({ accounts: [account(ACCOUNTS.gov.id)] });
    expect(healed[0]).toMatchObject({ ok: true, tags: { ok: true, tagged: 2501 } });
    const now = await tagsInDb([changed.instanceId, late[0]!.instanceId]);
    expect(now.get(changed.instanceId)).toEqual({ PatchGroup: 'prod-z', Asset: 'asset-renamed' });
    expect(now.get(late[0]!.instanceId)).toEqual({ Asset: 'asset-late' });
    expect((await searchInventory(h.db.pool, 'asset-renamed', 100)).map((m) => m.instanceId)).toEqual([changed.instanceId]);
    expect(await searchInventory(h.db.pool, 'asset-gv-7', 100)).toEqual([]);
    expect(inventorySyncText(healed)).not.toContain(':warning:');
  }, 120_000);
});

describe('throttled tag reads', () => {
  it('a throttled GetResources page is asked again after the region pause, and the read completes', async () => {
    h.aws.resetCalls();
    metered.length = 0;
    // No SDK retries here, so every throttle reaches the per-region work queue, which pauses and asks again.
    const once = createTaggingClients(broker, { endpoint: h.aws.url, metrics, maxAttempts: 1 });
    h.aws.setThrottle({ rate: 0.3, operations: ['GetResources'] });
    const queues = createWorkQueues({ global: 10, perRegion: 4, baseBackoffMs: 5, maxBackoffMs: 20, throttleRetries: 50 });
    const results = await sync({ bound: queues, accounts: [account(ACCOUNTS.com.id)], tagging: once }).finally(() => {
      h.aws.setThrottle(undefined);
      once.destroy();
    });
    expect(results.map((r) => r.tags.ok)).toEqual([true, true]);
    const calls = getResourcesCalls();
    const throttled = calls.filter((c) => c.errorCode === 'ThrottledException');
    expect(throttled.length).toBeGreaterThan(0);
    // 50 pages (3,000 + 2,000 tagged) answered once each; the throttled calls had no effect.
    expect(calls.filter((c) => c.status === 200)).toHaveLength(50);
    expect(calls).toHaveLength(50 + throttled.length);
    const stored = await tagsInDb([comEast[2999]!.instanceId, comWest[0]!.instanceId]);
    expect(stored.get(comEast[2999]!.instanceId)).toEqual(comEast[2999]!.tags);
    // Counted like SSM's calls: ok or throttled, by partition.
    const counted = metered.filter((m) => m.service === 'tagging' && m.partition === 'aws');
    expect(counted.filter((m) => m.outcome === 'ok')).toHaveLength(50);
    expect(counted.filter((m) => m.outcome === 'throttled')).toHaveLength(throttled.length);
  }, 60_000);
});

describe('the fake GetResources is strict', () => {
  const client = () => tagging.reader(account(ACCOUNTS.com.id), 'us-east-1', session);
  const send = (input: GetResourcesCommandInput) => client().send(new GetResourcesCommand(input));

  it('pages at most 100 resources, ends with an empty token, and its tokens belong to their scope and filters', async () => {
    await expect(send({ ResourcesPerPage: 101 })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(send({ ResourcesPerPage: 0 })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(send({ TagsPerPage: 99 })).rejects.toBeInstanceOf(InvalidParameterException);
    const first = await send({ ResourceTypeFilters: ['ec2:instance'] });
    expect(first.ResourceTagMappingList).toHaveLength(100);
    expect(first.ResourceTagMappingList?.[0]?.ResourceARN).toBe(
      `arn:aws:ec2:us-east-1:${ACCOUNTS.com.id}:instance/${comEast[0]!.instanceId}`,
    );
    const token = first.PaginationToken ?? '';
    expect(token).not.toBe('');
    // Another filter set, or another account's scope, cannot use it.
    await expect(send({ ResourceTypeFilters: ['ssm:managed-instance'], PaginationToken: token })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    const other = tagging.reader(account(ACCOUNTS.com2.id), 'us-east-1', session);
    await expect(
      other.send(new GetResourcesCommand({ ResourceTypeFilters: ['ec2:instance'], PaginationToken: token })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(send({ ResourceARNList: [first.ResourceTagMappingList![0]!.ResourceARN!], ResourcesPerPage: 5 })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    // The hybrid node is the only ssm:managed-instance of its scope; the last page's token is "".
    const hybrids = await other.send(new GetResourcesCommand({ ResourceTypeFilters: ['ssm:managed-instance'] }));
    expect(hybrids).toMatchObject({
      PaginationToken: '',
      ResourceTagMappingList: [{ ResourceARN: `arn:aws:ssm:us-east-1:${ACCOUNTS.com2.id}:managed-instance/${hybrid.instanceId}` }],
    });
  });

  it('refuses resource type filters it cannot be, and base credentials', async () => {
    for (const bad of ['ec2:instance/', 'EC2', 'foo:bar', 's3']) {
      await expect(send({ ResourceTypeFilters: [bad] }), bad).rejects.toBeInstanceOf(InvalidParameterException);
    }
    const base = new ResourceGroupsTaggingAPIClient({
      region: 'us-east-1',
      endpoint: h.aws.url,
      credentials: BASE_CREDENTIALS.aws,
      maxAttempts: 1,
    });
    await expect(base.send(new GetResourcesCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    base.destroy();
  });

  it('lists exactly the instances DescribeInstanceInformation selects by the same tag', async () => {
    const a = account(ACCOUNTS.com.id);
    const byTags: string[] = [];
    let token: string | undefined;
    do {
      const page = await send({ TagFilters: [{ Key: 'PatchGroup', Values: ['prod-a'] }], ...(token ? { PaginationToken: token } : {}) });
      byTags.push(...(page.ResourceTagMappingList ?? []).map((m) => m.ResourceARN!.split('/')[1]!));
      token = page.PaginationToken || undefined;
    } while (token);
    const ssm = h.ssm.reader(a, 'us-east-1', session);
    const bySsm: string[] = [];
    let next: string | undefined;
    do {
      const page = await ssm.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'tag:PatchGroup', Values: ['prod-a'] }],
          MaxResults: 50,
          ...(next ? { NextToken: next } : {}),
        }),
      );
      bySsm.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId!));
      next = page.NextToken;
    } while (next);
    expect(byTags).toHaveLength(1500);
    expect(byTags.sort()).toEqual(bySsm.sort());
  });
});
