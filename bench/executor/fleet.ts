// The benchmark fleet: N instances over three accounts in both partitions (four account+regions).
import { makeInstances } from '../../src/sandbox/aws/makeInstances.ts';
import type { FakeInstance } from '../../src/sandbox/aws/types.ts';
import type { TargetAccount, Targets } from '../../src/config/targetsSchema.ts';

export const ACCOUNTS = {
  com: {
    id: '111111111111',
    name: 'prod-com',
    partition: 'aws',
    regions: ['us-east-1', 'us-west-2'],
    roleArn: 'arn:aws:iam::111111111111:role/PcmOpsExecution',
  },
  com2: {
    id: '333333333333',
    name: 'stage-com',
    partition: 'aws',
    regions: ['us-east-1'],
    roleArn: 'arn:aws:iam::333333333333:role/PcmOpsExecution',
  },
  gov: {
    id: '222222222222',
    name: 'prod-gov',
    partition: 'aws-us-gov',
    regions: ['us-gov-west-1'],
    roleArn: 'arn:aws-us-gov:iam::222222222222:role/PcmOpsExecution',
  },
} as const satisfies Record<string, TargetAccount>;

export const TARGETS: Targets = {
  partitions: { aws: {}, 'aws-us-gov': {} },
  accounts: Object.values(ACCOUNTS).map((a) => ({ ...a, regions: [...a.regions] })),
};

export const BASE_CREDENTIALS = {
  aws: { accessKeyId: 'AKIABENCHCOMMERCIAL1', secretAccessKey: 'bench-commercial-secret' },
  'aws-us-gov': { accessKeyId: 'AKIABENCHGOVCLOUD001', secretAccessKey: 'bench-govcloud-secret' },
};

/** 40 % in prod-com us-east-1, 20 % each in prod-com us-west-2, stage-com us-east-1 and GovCloud. */
export const benchFleet = (n: number): FakeInstance[] => {
  const shares: [string, string, number][] = [
    [ACCOUNTS.com.id, 'us-east-1', 0.4],
    [ACCOUNTS.com.id, 'us-west-2', 0.2],
    [ACCOUNTS.com2.id, 'us-east-1', 0.2],
    [ACCOUNTS.gov.id, 'us-gov-west-1', 0.2],
  ];
  let left = n;
  return shares.flatMap(([accountId, region, share], i) => {
    const count = i === shares.length - 1 ? left : Math.round(n * share);
    left -= count;
    return makeInstances({ accountId, region, count, name: 'bench' });
  });
};

/** The script's stdout on one instance: `outputBytes` of report lines, then the result line. */
export const benchStdout = (instanceId: string, outputBytes: number): string => {
  const last = `PCM_RESULT {"status":"ok","summary":"ready"}\n`;
  const head = `ok ${instanceId}\n`;
  if (outputBytes <= head.length + last.length) return head + last;
  const line = `${instanceId} kernel 5.14.0-427.13.1.el9_4.x86_64 /boot 812M free, / 18G free, 0 updates pending\n`;
  const body = line.repeat(Math.ceil(outputBytes / line.length)).slice(0, outputBytes - head.length - last.length);
  return `${head}${body.slice(0, body.lastIndexOf('\n') + 1)}${last}`;
};
