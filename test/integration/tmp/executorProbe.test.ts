import { it } from 'vitest';
import { makeInstances } from '../../fakes/aws/index.ts';
import { ACCOUNTS } from '../../helpers/sandbox.ts';
import { startHarness } from '../executorHarness.ts';

it('probe', async () => {
  const fleet = [
    ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 200 }),
    ...makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 200 }),
    ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 100 }),
  ];
  const h = await startHarness({ instances: fleet, aws: { throttle: { rate: Number(process.env.RATE ?? 0.3) }, seed: 7 }, readerMaxAttempts: Number(process.env.ATT ?? 8) });
  const t0 = Date.now();
  const runId = await h.approveRun(fleet.map((i) => i.instanceId));
  await h.waitForRun(runId, undefined, 60_000);
  console.log('took', Date.now() - t0);
  const calls = h.aws.calls;
  const first = calls[0]?.at ?? 0;
  for (const c of calls) console.log(c.at - first, c.operation, c.accountId, c.status, c.errorCode ?? '', c.sdkAttempt);
  await h.close();
}, 60000);
