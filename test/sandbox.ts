// `npm run sandbox:demo`: the bot against the same fakes the tests use (Slack, SSM+STS in both partitions,
// ServiceNow), with its embedded PostgreSQL. With `--demo` it also drives one whole /qc-prep run the
// way Slack would and prints the thread. Stops on Ctrl-C.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'slonik';
import { z } from 'zod';
import { makeInstances } from '../src/sandbox/aws/index.ts';
import type { FakeInstance } from '../src/sandbox/aws/index.ts';
import { ACCOUNTS, CHANGE, OPS_CHANNEL, startSandbox, USERS } from './helpers/sandbox.ts';
import { requestAndApprove } from './helpers/slackFlows.ts';

const { values } = parseArgs({ options: { demo: { type: 'boolean', default: false }, port: { type: 'string', default: '3000' } } });

// A small fleet where most hosts are ready and a few are not, so the summary has something to say.
const fleet = (accountId: string, region: string, count: number): FakeInstance[] =>
  makeInstances({ accountId, region, count }).map((instance, i) => ({
    ...instance,
    behavior:
      i % 7 === 3
        ? {
            status: 'Failed',
            responseCode: 1,
            stdout: 'PCM_RESULT {"status":"fail","summary":"not ready: /boot has 80 MB free (needs 200)","details":{"ready":false}}\n',
          }
        : { status: 'Success', stdout: 'PCM_RESULT {"status":"ok","summary":"ready for patching","details":{"ready":true}}\n' },
  }));
const instances = [
  ...fleet(ACCOUNTS.com.id, 'us-east-1', 12),
  ...fleet(ACCOUNTS.com.id, 'us-west-2', 6),
  ...fleet(ACCOUNTS.com2.id, 'us-east-1', 4),
  ...fleet(ACCOUNTS.gov.id, 'us-gov-west-1', 5),
];

const s = await startSandbox({
  instances,
  database: 'embedded',
  dataDir: path.resolve('.data/sandbox'),
  botPort: Number(values.port),
  env: { LOG_LEVEL: 'warn', POLL_INTERVAL_MS: '500', POLL_MAX_INTERVAL_MS: '2000' },
});
console.log(`pcm-ops-bot sandbox
  bot           ${s.bot.url}  (POST /slack/events, GET /healthz)
  fake Slack    ${s.slack.url}
  fake AWS      ${s.aws.url}  (SSM + STS, accounts ${Object.values(ACCOUNTS)
    .map((a) => a.id)
    .join(', ')})
  fake SN       ${s.serviceNow.url}  (change ${CHANGE} in its window)
  instances     ${instances.length}: ${instances
    .slice(0, 3)
    .map((i) => i.instanceId)
    .join(' ')} …
  users         requester ${USERS.requester}, approvers ${USERS.approver} ${USERS.second}
  data          ${path.resolve('.data/sandbox')}`);

if (values.demo) {
  const { runId, status } = await requestAndApprove(s, {
    command: '/qc-prep',
    values: { instances: instances.map((i) => i.instanceId).join('\n'), change: CHANGE },
  });
  console.log(`\nrun ${runId} ${status}`);
  const parent = s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(runId));
  for (const reply of parent ? s.slack.thread(OPS_CHANNEL, parent.ts) : []) console.log(`  › ${reply.text ?? ''}`);
  const counts = await s.db.pool.any(sql.type(z.object({ status: z.string(), n: z.number() }))`
    select status, count(*)::int as n from executions where run_id = ${runId} group by status order by status`);
  console.log(`  executions: ${counts.map((c) => `${c.status} ${c.n}`).join(', ')}`);
  console.log(`  SSM/STS calls: ${JSON.stringify(s.aws.callCounts())}`);
}

console.log('\nCtrl-C to stop.');
const stop = async () => {
  await s.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
