import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { approverSourcesFor, type ApproverSources } from '../domain/approvalPolicy.ts';

export type ApproverDirectory = {
  /** The global approvers (APPROVER_USER_IDS plus APPROVER_USERGROUP_ID's members). */
  readonly members: () => Promise<ReadonlySet<string>>;
  /** The approvers of one tool: its own (TOOL_APPROVER_GROUPS) when configured, else the global ones. */
  readonly forTool: (toolId: string) => Promise<ReadonlySet<string>>;
};

/**
 * Approvers are Slack user ids: configured ids plus the members of user groups, each group cached for
 * `ttlMs` and refreshed after. If a group cannot be read, its last known members are kept; with none
 * known, it adds nobody (fail closed: nobody is added by an error).
 */
export const createApproverDirectory = (o: {
  readonly client: WebClient;
  readonly userIds: readonly string[];
  readonly usergroupId?: string;
  /** Tool id → user group ids (S…) and/or user ids (U…/W…). */
  readonly toolApprovers?: Readonly<Record<string, readonly string[]>>;
  readonly ttlMs?: number;
  readonly logger: Logger;
}): ApproverDirectory => {
  const ttl = o.ttlMs ?? 5 * 60_000;
  const cache = new Map<string, { at: number; members: ReadonlySet<string> }>();
  const inFlight = new Map<string, Promise<ReadonlySet<string>>>();

  const group = async (id: string): Promise<ReadonlySet<string>> => {
    const cached = cache.get(id);
    if (cached && Date.now() - cached.at < ttl) return cached.members;
    let pending = inFlight.get(id);
    if (!pending) {
      pending = (async () => {
        try {
          const answer = await o.client.usergroups.users.list({ usergroup: id });
          const members = new Set(answer.users ?? []);
          cache.set(id, { at: Date.now(), members });
          return members;
        } catch (error) {
          o.logger.warn({ err: error, usergroup: id }, 'could not read an approvers user group; using its last known members');
          return cached?.members ?? new Set<string>();
        } finally {
          inFlight.delete(id);
        }
      })();
      inFlight.set(id, pending);
    }
    return pending;
  };

  const resolve = async (sources: ApproverSources): Promise<ReadonlySet<string>> => {
    const all = new Set(sources.userIds);
    for (const members of await Promise.all(sources.groupIds.map(group))) for (const m of members) all.add(m);
    return all;
  };

  const global: ApproverSources = { userIds: o.userIds, groupIds: o.usergroupId ? [o.usergroupId] : [] };
  return {
    members: () => resolve(global),
    forTool: (toolId) => resolve(approverSourcesFor(toolId, global, o.toolApprovers ?? {})),
  };
};
