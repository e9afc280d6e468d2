import type { Partition } from '../domain/partition.ts';

/** STS is called in a region of the role's own partition: a GovCloud role is never assumed through a commercial endpoint. */
export const stsRegionOf: Readonly<Record<Partition, string>> = { aws: 'us-east-1', 'aws-us-gov': 'us-gov-west-1' };
