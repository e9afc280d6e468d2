import type { Logger } from 'pino';
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import type { CredentialChecker } from '../aws/checkCredentials.ts';
import type { TargetAccount } from '../config/targetsSchema.ts';
import { listCredentialStatus, recordCredentialCheck } from '../db/queries/credentialStatus.ts';
import { credentialRefusalText, type CredentialCheck, type CredentialHealth, type CredentialStatus } from '../domain/credentialStatus.ts';

export type CredentialScope = {
  readonly kind: 'partition' | 'account';
  readonly id: string;
  readonly partition: string;
  readonly name: string;
};

export type CredentialMonitor = {
  /** Every configured scope: the partitions that have accounts, then the accounts. */
  readonly scopes: readonly CredentialScope[];
  /** Runs every check once, records it, and reports each partition that started failing or recovered. */
  readonly checkNow: () => Promise<readonly CredentialCheck[]>;
  readonly status: () => Promise<readonly CredentialStatus[]>;
  /**
   * Why targets in these accounts must be refused now (their partition's base credentials or their role check
   * is failing), or null. A scope never checked, or only warning, does not refuse.
   */
  readonly refusalFor: (accountIds: readonly string[]) => Promise<string | null>;
};

export type PartitionTransition = { readonly status: CredentialStatus; readonly previous: CredentialHealth | null };

const failing = (h: CredentialHealth | null): boolean => h === 'failing';

export const createCredentialMonitor = (deps: {
  readonly pool: DatabasePool;
  readonly checker: CredentialChecker;
  readonly accounts: readonly TargetAccount[];
  readonly logger: Logger;
  /**
   * A partition's base credentials started failing (or failed at their first check) or recovered: called in the
   * transaction that records it, so what is owed to people is queued with the change (the outbox sends it).
   */
  readonly onPartitionTransition: (t: PartitionTransition, tx: DatabaseTransactionConnection) => Promise<void>;
  /** After a round that queued a transition message. */
  readonly onQueued?: () => void;
  readonly onChecked?: (checks: readonly CredentialCheck[]) => void;
}): CredentialMonitor => {
  const partitions = [...new Set(deps.accounts.map((a) => a.partition))];
  const scopes: CredentialScope[] = [
    ...partitions.map((p) => ({ kind: 'partition' as const, id: p, partition: p, name: p })),
    ...deps.accounts.map((a) => ({ kind: 'account' as const, id: a.id, partition: a.partition, name: a.name })),
  ];
  const byId = new Map(deps.accounts.map((a) => [a.id, a]));

  return {
    scopes,
    checkNow: async () => {
      const checks = await deps.checker.checkAll();
      let queued = false;
      for (const check of checks) {
        const recorded = await deps.pool.transaction(async (tx) => {
          const r = await recordCredentialCheck(tx, check);
          // One message per transition, not per check: only the check whose upsert replaced the health reports it.
          if (
            r.status.kind === 'partition' &&
            failing(r.previous) !== failing(r.status.health) &&
            (r.previous !== null || failing(r.status.health))
          ) {
            await deps.onPartitionTransition(r, tx);
            queued = true;
          }
          return r;
        });
        const { status, previous } = recorded;
        if (previous !== status.health) {
          const log = status.health === 'failing' ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
          log(
            {
              scope: status.kind,
              id: status.id,
              partition: status.partition,
              health: status.health,
              previous,
              errorKind: status.errorKind,
            },
            'credential status changed',
          );
        }
      }
      if (queued) deps.onQueued?.();
      deps.onChecked?.(checks);
      return checks;
    },
    status: () => listCredentialStatus(deps.pool),
    refusalFor: async (accountIds) => {
      const wanted = new Set(accountIds);
      const wantedPartitions = new Set([...wanted].map((id) => byId.get(id)?.partition).filter(Boolean));
      const statuses = (await listCredentialStatus(deps.pool)).filter((s) => s.health === 'failing');
      const reasons = [
        ...statuses
          .filter((s) => s.kind === 'partition' && wantedPartitions.has(s.partition as TargetAccount['partition']))
          .map((s) => credentialRefusalText(s)),
        // An account of a failing partition fails for the same reason: say the partition once.
        ...statuses
          .filter(
            (s) => s.kind === 'account' && wanted.has(s.id) && !statuses.some((p) => p.kind === 'partition' && p.partition === s.partition),
          )
          .map((s) => credentialRefusalText(s, byId.get(s.id)?.name)),
      ];
      return reasons.length > 0 ? reasons.join(' ') : null;
    },
  };
};
