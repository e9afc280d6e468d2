/** The AWS partitions the bot reaches; no credential ever crosses from one to the other. */
export const partitions = ['aws', 'aws-us-gov'] as const;
export type Partition = (typeof partitions)[number];

/** The partition a region belongs to. */
export const partitionOfRegion = (region: string): Partition => (region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');
