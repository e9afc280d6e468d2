import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { TargetAccount, Targets } from '../config/targetsSchema.ts';
import type { Partition } from '../domain/partition.ts';
import type { OpsMetrics } from '../http/opsMetrics.ts';
import { observeAwsCalls } from './observeAwsCalls.ts';
import { stsRegionOf } from './partitionDefaults.ts';

export type SessionTag = { readonly runId: string; readonly requesterId: string };

export type CredentialBroker = {
  /** Temporary credentials for `account`, assumed with that account's partition base credentials. */
  readonly forAccount: (account: TargetAccount, session: SessionTag) => Promise<AwsCredentialIdentity>;
  /**
   * Checks a partition's base credentials (sts:GetCallerIdentity through that partition's STS region) and says
   * when they expire, for temporary ones.
   */
  readonly checkBase: (partition: Partition, signal: AbortSignal) => Promise<{ readonly arn: string; readonly expiresAt: Date | null }>;
  /** A fresh AssumeRole of the account's execution role (never cached): the role check. */
  readonly probeAccount: (account: TargetAccount, signal: AbortSignal) => Promise<AwsCredentialIdentity>;
  readonly destroy: () => void;
};

export type CredentialBrokerOptions = {
  readonly targets: Targets;
  /** Refresh this long before expiry (default 5 minutes). */
  readonly refreshBeforeMs?: number;
  readonly durationSeconds?: number;
  readonly now?: () => number;
  /** Test seam: base credentials per partition instead of the profile/default chain. */
  readonly baseCredentials?: Partial<Record<Partition, AwsCredentialIdentityProvider>>;
  /** Test/bench seam: one STS endpoint for both partitions (production resolves the partition's own, or AWS_ENDPOINT_URL_STS). */
  readonly endpoint?: string;
  /** Counts AssumeRole calls by partition and outcome for /metrics. */
  readonly metrics?: OpsMetrics;
};

const sessionName = (runId: string) => `pcm-ops-${runId}`.slice(0, 64);
// SourceIdentity shows in CloudTrail: who asked for this run. Slack user ids fit its charset.
const sourceIdentity = (requesterId: string) =>
  requesterId
    .replace(/[^\w+=,.@-]/gu, '')
    .slice(0, 64)
    .padEnd(2, '_');

/**
 * One STS client per partition, each with that partition's own base credentials (a named profile
 * or the default chain). AssumeRole results are cached per account and run until `refreshBeforeMs`
 * before they expire; concurrent callers share one in-flight request.
 */
export const createCredentialBroker = (options: CredentialBrokerOptions): CredentialBroker => {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  const sts = new Map<Partition, STSClient>();
  const stsFor = (partition: Partition): STSClient => {
    let client = sts.get(partition);
    if (!client) {
      const profile = options.targets.partitions[partition]?.profile;
      const credentials = options.baseCredentials?.[partition] ?? fromNodeProviderChain(profile ? { profile } : {});
      client = new STSClient({
        region: stsRegionOf[partition],
        credentials,
        maxAttempts: 5,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      });
      if (options.metrics) observeAwsCalls(client, 'sts', partition, options.metrics);
      sts.set(partition, client);
    }
    return client;
  };
  const cache = new Map<string, Promise<AwsCredentialIdentity>>();

  const assume = async (account: TargetAccount, session: SessionTag, signal?: AbortSignal): Promise<AwsCredentialIdentity> => {
    const answer = await stsFor(account.partition).send(
      new AssumeRoleCommand({
        RoleArn: account.roleArn,
        RoleSessionName: sessionName(session.runId),
        SourceIdentity: sourceIdentity(session.requesterId),
        ExternalId: account.externalId,
        DurationSeconds: signal ? 900 : (options.durationSeconds ?? 3600),
      }),
      signal ? { abortSignal: signal } : {},
    );
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole for ${account.id} returned no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };

  const forAccount = async (account: TargetAccount, session: SessionTag): Promise<AwsCredentialIdentity> => {
    const key = `${account.id}|${session.runId}`;
    const cached = cache.get(key);
    if (cached) {
      const value = await cached.catch(() => undefined);
      if (value && (!value.expiration || value.expiration.getTime() - refreshBeforeMs > now())) return value;
      if (cache.get(key) === cached) cache.delete(key);
    }
    for (const [k, p] of cache) {
      // Opportunistic sweep so finished runs' entries do not pile up.
      void p.then(
        (v) => {
          if (v.expiration && v.expiration.getTime() < now()) cache.delete(k);
        },
        () => cache.delete(k),
      );
    }
    const pending = assume(account, session);
    cache.set(key, pending);
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
    return pending;
  };

  const checkBase = async (partition: Partition, signal: AbortSignal) => {
    const client = stsFor(partition);
    const answer = await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
    // The identity the client signed with; temporary base credentials carry their expiry.
    const identity = await client.config.credentials();
    return { arn: answer.Arn ?? '', expiresAt: identity.expiration ?? null };
  };

  return {
    forAccount,
    checkBase,
    probeAccount: (account, signal) => assume(account, { runId: 'credential-check', requesterId: 'pcm-ops-bot' }, signal),
    destroy: () => {
      for (const client of sts.values()) client.destroy();
      sts.clear();
      cache.clear();
    },
  };
};
