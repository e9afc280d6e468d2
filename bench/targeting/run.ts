// Targeting benchmark: `npm run bench:targeting` (`-- --runs 5 --latency-ms 0`).
// 10,000 instances in the inventory over two commercial accounts and GovCloud (four account+regions), half
// tagged PatchGroup=prod-a. Measured, per run: resolving `tag:PatchGroup=prod-a` (5,000 instances) through the
// product's resolver (DescribeInstanceInformation pages from the fake SSM, then the inventory upsert in
// PostgreSQL), the whole submit (resolve, pre-flight, locks, the frozen plan and its owed messages in one
// transaction), rendering the approval message from the database, and generating the target list and the
// results CSV files from the database — the same code the outbox runs when it sends them.
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createCredentialBroker } from '../../src/aws/credentialBroker.ts';
import { createSsmClients } from '../../src/aws/ssmClients.ts';
import { createTaggingClients } from '../../src/aws/taggingClients.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { listOwed } from '../../src/db/queries/outbox.ts';
import { listResultRows } from '../../src/db/queries/runFiles.ts';
import { setApprovalMessage } from '../../src/db/queries/runs.ts';
import { resultsCsv } from '../../src/domain/resultsCsv.ts';
import { parseTargetSelectors } from '../../src/domain/targetSelectors.ts';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import { createTargetResolver } from '../../src/inventory/resolveTargets.ts';
import { syncInventory } from '../../src/inventory/syncInventory.ts';
import { renderOwed } from '../../src/outbox/renderOwed.ts';
import { createRunSubmitter } from '../../src/runs/submitRun.ts';
import { makeInstances } from '../../src/sandbox/aws/makeInstances.ts';
import { startFakeAws } from '../../src/sandbox/aws/startFakeAws.ts';
import { validateMessageBlocks } from '../../src/sandbox/slack/blockKitLimits.ts';
import { loadRegistry } from '../../src/tools/registry.ts';
import { adminQuery, testServerUrl } from '../../test/helpers/pgAdmin.ts';
import { ACCOUNTS, BASE_CREDENTIALS, TARGETS } from '../executor/fleet.ts';
import { seedVerifiedChange } from '../../test/helpers/seedVerifiedChange.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'latency-ms': { type: 'string', default: '0' } } });
const runs = Number(values.runs);
const latency = Number(values['latency-ms']);

const scopes: [string, string, number][] = [
  [ACCOUNTS.com.id, 'us-east-1', 4000],
  [ACCOUNTS.com.id, 'us-west-2', 2000],
  [ACCOUNTS.com2.id, 'us-east-1', 2000],
  [ACCOUNTS.gov.id, 'us-gov-west-1', 2000],
];
const fleet = scopes.flatMap(([accountId, region, count]) => [
  ...makeInstances({ accountId, region, count: count / 2, tags: { PatchGroup: 'prod-a' }, name: `a-${region}` }),
  ...makeInstances({ accountId, region, count: count / 2, tags: { PatchGroup: 'prod-b' }, name: `b-${region}` }),
]);

const aws = await startFakeAws({
  partitions: BASE_CREDENTIALS,
  accounts: Object.values(ACCOUNTS).map((a) => ({ id: a.id, partition: a.partition, roleArn: a.roleArn })),
  instances: fleet,
  ...(latency > 0 ? { latencyMs: { min: latency, max: latency } } : {}),
});
const database = `pcm_ops_bench_${randomBytes(5).toString('hex')}`;
await adminQuery(`create database ${database}`);
const databaseUrl = testServerUrl(database);
await migrate(databaseUrl);
const pool = await createPool(databaseUrl);
const registry = await loadRegistry();
const broker = createCredentialBroker({
  targets: TARGETS,
  endpoint: aws.url,
  baseCredentials: { aws: async () => BASE_CREDENTIALS.aws, 'aws-us-gov': async () => BASE_CREDENTIALS['aws-us-gov'] },
});
const ssm = createSsmClients(broker, { endpoint: aws.url });
const tagging = createTaggingClients(broker, { endpoint: aws.url });
const bound = createWorkQueues({ global: 10, perRegion: 4 });
const resolver = createTargetResolver({ pool, targets: TARGETS, ssm, bound, cacheMinutes: 60 });
const submitter = createRunSubmitter({
  pool,
  registry,
  resolver,
  approvalChannelId: 'C0APPROVALS',
  approvalTtlMinutes: 60,
  changes: { verify: async (number) => ({ ok: true, change: { number } as never }) },
  gate: { check: async () => ({ ok: true }) } as never,
});

type Sample = Record<string, number>;
const samples: Sample[] = [];
const ms = (from: number): number => performance.now() - from;
const describeCalls = (): number => aws.calls.filter((c) => c.operation === 'DescribeInstanceInformation').length;

try {
  await seedVerifiedChange(pool);
  let t = performance.now();
  const synced = await syncInventory({ pool, targets: TARGETS, ssm, tagging, bound });
  console.log(`inventory sync: ${synced.reduce((n, r) => n + r.instances, 0)} instances in ${ms(t).toFixed(0)} ms`);
  const selectors = parseTargetSelectors('tag:PatchGroup=prod-a').selectors;
  const scope = { accountIds: [], regions: [], partitions: [] };
  for (let i = 0; i < runs; i++) {
    const s: Sample = {};
    let calls = describeCalls();
    t = performance.now();
    const resolved = await resolver.resolve({ selectors, scope, changeNumber: 'CHG0012345', requesterId: 'U0BENCH' });
    s.resolveMs = ms(t);
    s.resolved = resolved.candidates.length;
    s.describeCalls = describeCalls() - calls;

    calls = describeCalls();
    t = performance.now();
    const result = await submitter.submit({
      toolId: 'qc-prep',
      actionId: 'initial-qc',
      params: {},
      instanceText: 'tag:PatchGroup=prod-a',
      changeNumber: 'CHG0012345',
      requesterId: 'U0BENCH',
      channelId: 'C0OPS',
    });
    s.submitMs = ms(t);
    if (!result.ok) throw new Error(result.message);
    s.targets = result.targets.length;

    const owed = await listOwed(pool, result.run.id);
    const approvalRow = owed.find((r) => r.kind === 'approval');
    const fileRow = owed.find((r) => r.kind === 'file');
    if (!approvalRow || !fileRow) throw new Error('the submit owed no approval or file');
    t = performance.now();
    const approval = await renderOwed(pool, registry, approvalRow);
    s.approvalMs = ms(t);
    if (!('delivery' in approval) || approval.delivery.method === 'files.upload') throw new Error('no approval message');
    const blocks = approval.delivery.content.blocks ?? [];
    s.approvalBytes = JSON.stringify(blocks).length;
    s.approvalErrors = validateMessageBlocks([...blocks]).length;

    // The approval thread's file needs the approval's ts: pretend it was posted.
    await setApprovalMessage(pool, result.run.id, '1700000000.000100');
    t = performance.now();
    const list = await renderOwed(pool, registry, fileRow);
    s.targetCsvMs = ms(t);
    if (!('delivery' in list) || list.delivery.method !== 'files.upload') throw new Error('no target list');
    s.targetCsvRows = list.delivery.content.split('\r\n').length - 2;
    s.targetCsvBytes = Buffer.byteLength(list.delivery.content);

    t = performance.now();
    const results = resultsCsv(await listResultRows(pool, result.run.id));
    s.resultsCsvMs = ms(t);
    s.resultsCsvBytes = Buffer.byteLength(results);
    samples.push(s);
    console.log(JSON.stringify(Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.round(v * 10) / 10]))));
  }
  const stat = (key: string): string => {
    const v = samples.map((x) => x[key] ?? 0).sort((a, b) => a - b);
    return `${v[Math.floor(v.length / 2)]?.toFixed(0)} (${v[0]?.toFixed(0)}–${v.at(-1)?.toFixed(0)})`;
  };
  console.log(
    `\nmachine: ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; fake SSM latency ${latency} ms; ${runs} runs`,
  );
  console.log('| step | median ms (min–max) |\n|---|---:|');
  for (const [label, key] of [
    ['resolve tag:PatchGroup=prod-a (5,000 of 10,000)', 'resolveMs'],
    ['submit (resolve + pre-flight + locks + frozen plan + owed rows)', 'submitMs'],
    ['render the approval message from the database', 'approvalMs'],
    ['generate the target list CSV from the database', 'targetCsvMs'],
    ['generate the results CSV from the database', 'resultsCsvMs'],
  ] as const) {
    console.log(`| ${label} | ${stat(key)} |`);
  }
  const last = samples.at(-1) ?? {};
  console.log(
    `\nper run: ${last.describeCalls} DescribeInstanceInformation calls to resolve; ${last.targets} targets; approval blocks ${last.approvalBytes} chars, ${last.approvalErrors} Block Kit errors; target list ${last.targetCsvRows} rows, ${last.targetCsvBytes} bytes; results ${last.resultsCsvBytes} bytes`,
  );
} finally {
  await pool.end();
  await aws.close();
  await adminQuery(`drop database ${database} with (force)`);
}
