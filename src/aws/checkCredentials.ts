import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { TargetAccount, Targets } from '../config/targetsSchema.ts';
import type { Partition } from '../domain/partition.ts';
import { credentialErrorDetail, credentialErrorKind, healthOfExpiry, type CredentialCheck } from '../domain/credentialStatus.ts';
import type { CredentialBroker } from './credentialBroker.ts';

export type CredentialChecker = { readonly checkAll: () => Promise<CredentialCheck[]> };

/** Runs a call inside the executor's per account+region bound (wired in main.ts). */
export type RegionBound = <T>(accountId: string, region: string, task: () => Promise<T>) => Promise<T>;

/**
 * The credential checks: per partition, the base credentials (GetCallerIdentity through that partition's STS
 * region, and their expiry when temporary); per account, a fresh AssumeRole of its execution role with its
 * ExternalId and one cheap SSM read (DescribeInstanceInformation, 5 results) in its first region. Each check has a
 * bounded time, and the SSM read runs within the per account+region bound shared with the executor. An account
 * of a partition whose base credentials fail is reported failing too (its role cannot be assumed).
 */
export const createCredentialChecker = (o: {
  readonly targets: Targets;
  readonly broker: CredentialBroker;
  readonly bound: RegionBound;
  readonly timeoutMs: number;
  readonly now?: () => number;
  /** Test seam: one SSM endpoint for every region (production honours AWS_ENDPOINT_URL_SSM or resolves per region). */
  readonly ssmEndpoint?: string;
}): CredentialChecker => {
  const now = o.now ?? Date.now;
  const failed = (kind: CredentialCheck['kind'], id: string, partition: string, error: unknown): CredentialCheck => ({
    kind,
    id,
    partition,
    health: 'failing',
    errorKind: credentialErrorKind(error),
    detail: credentialErrorDetail(error),
    expiresAt: null,
  });

  const checkPartition = async (partition: Partition): Promise<CredentialCheck> => {
    try {
      const base = await o.broker.checkBase(partition, AbortSignal.timeout(o.timeoutMs));
      return {
        kind: 'partition',
        id: partition,
        partition,
        health: healthOfExpiry(base.expiresAt, now()),
        errorKind: null,
        detail: null,
        expiresAt: base.expiresAt,
      };
    } catch (error) {
      return failed('partition', partition, partition, error);
    }
  };

  const checkAccount = async (account: TargetAccount): Promise<CredentialCheck> => {
    const region = account.regions[0] ?? '';
    try {
      const signal = AbortSignal.timeout(o.timeoutMs);
      const credentials = await o.broker.probeAccount(account, signal);
      const client = new SSMClient({ region, credentials, maxAttempts: 2, ...(o.ssmEndpoint ? { endpoint: o.ssmEndpoint } : {}) });
      try {
        await o.bound(account.id, region, () =>
          client.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }), { abortSignal: signal }),
        );
      } finally {
        client.destroy();
      }
      return {
        kind: 'account',
        id: account.id,
        partition: account.partition,
        health: 'ok',
        errorKind: null,
        detail: null,
        expiresAt: null,
      };
    } catch (error) {
      return failed('account', account.id, account.partition, error);
    }
  };

  return {
    checkAll: async () => {
      const partitions = [...new Set(o.targets.accounts.map((a) => a.partition))];
      const bases = await Promise.all(partitions.map(checkPartition));
      const accounts = await Promise.all(o.targets.accounts.map(checkAccount));
      return [...bases, ...accounts];
    },
  };
};
