import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type ApproverDirectory = { readonly members: () => Promise<ReadonlySet<string>> };

/**
 * Approvers are Slack user ids: the configured ids plus the members of the approvers user group,
 * cached for `ttlMs`. If the group cannot be read, the last known members are kept; with none known,
 * only the explicit ids count (fail closed: nobody is added by an error).
 */
export const createApproverDirectory = (o: {
  readonly client: WebClient;
  readonly userIds: readonly string[];
  readonly usergroupId?: string;
  readonly ttlMs?: number;
  readonly logger: Logger;
}): ApproverDirectory => {
  const ttl = o.ttlMs ?? 5 * 60_000;
  let cache: { at: number; members: ReadonlySet<string> } | undefined;
  return {
    members: async () => {
      if (!o.usergroupId) return new Set(o.userIds);
      if (cache && Date.now() - cache.at < ttl) return cache.members;
      try {
        const answer = await o.client.usergroups.users.list({ usergroup: o.usergroupId });
        cache = { at: Date.now(), members: new Set([...o.userIds, ...(answer.users ?? [])]) };
      } catch (error) {
        o.logger.warn({ err: error }, 'could not read the approvers user group; using the last known members');
        if (!cache) return new Set(o.userIds);
      }
      return cache.members;
    },
  };
};
