import { z } from 'zod';
import { partitionOfRegion, partitions } from '../domain/partition.ts';

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/u, 'must look like us-east-1');

const account = z
  .object({
    id: z.string().regex(/^[0-9]{12}$/u, 'must be a 12-digit account id'),
    name: z.string().min(1).max(64),
    partition: z.enum(partitions),
    regions: z.array(region).min(1),
    roleArn: z.string().regex(/^arn:(aws|aws-us-gov):iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/u, 'must be an IAM role ARN'),
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/u)
      .optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const arnPartition = a.roleArn.split(':')[1];
    if (arnPartition !== a.partition) {
      ctx.addIssue({ code: 'custom', path: ['roleArn'], message: `is in partition ${arnPartition} but the account is in ${a.partition}` });
    }
    if (a.roleArn.split(':')[4] !== a.id) {
      ctx.addIssue({ code: 'custom', path: ['roleArn'], message: `names account ${a.roleArn.split(':')[4]}, not ${a.id}` });
    }
    for (const r of a.regions) {
      if (partitionOfRegion(r) !== a.partition) {
        ctx.addIssue({ code: 'custom', path: ['regions'], message: `region ${r} is not in partition ${a.partition}` });
      }
    }
  });

export const targetsSchema = z
  .object({
    // Per partition (the domain's list; any other key is refused): the base credentials' profile.
    partitions: z.partialRecord(z.enum(partitions), z.strictObject({ profile: z.string().min(1).optional() })).default({}),
    accounts: z.array(account).min(1, 'at least one account is required'),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.accounts.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'id'], message: `duplicate account ${a.id}` });
      seen.add(a.id);
    });
  });

export type Targets = z.infer<typeof targetsSchema>;
export type TargetAccount = Targets['accounts'][number];
