import type { FakePartition } from './types.ts';

/** Only the two partitions the product uses: us-gov-* is GovCloud, everything else commercial. */
export const partitionOfRegion = (region: string): FakePartition => (region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

const ARN = /^arn:(aws|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

export const parseRoleArn = (arn: string): { partition: FakePartition; accountId: string; roleName: string } | undefined => {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1] as FakePartition, accountId: m[2] ?? '', roleName: m[3] ?? '' };
};
