import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { approverSourcesFor, type ApproverSources } from '../domain/approvalPolicy.ts';
import type { Roster } from '../domain/roster.ts';

export type ApproverDirectory = {
  /** The global approvers (APPROVER_USER_IDS plus APPROVER_USERGROUP_ID's members). */
  readonly members: () => Promise<Roster>;
  /** The approvers of one tool: its own (TOOL_APPROVER_GROUPS) when configured, else the global ones. */
  readonly forTool: (toolId: string) => Promise<Roster>;
  /** Who may request one tool (TOOL_REQUESTER_GROUPS); undefined when anyone may. */
  readonly requestersFor: (toolId: string) => Promise<Roster | undefined>;
};

/** Members read from Slack are re-read after this. */
export const GROUP_TTL_MS = 5 * 60_000;
/** How long members last read from Slack are trusted while Slack keeps failing; after it the group adds nobody. */
export const GROUP_MAX_STALE_MS = 10 * 60_000;

/**
 * People are Slack user ids: configured ids plus the members of user groups, each group cached for
 * `ttlMs` and read again after. If a group cannot be read, its last known members are trusted only
 * while they are younger than `maxStaleMs`; after that (or with none known) the group adds nobody and
 * the roster is marked unverified (fail closed: an error never lets anyone in, and never forever).
 */
export const createApproverDirectory = (o: {
  readonly client: WebClient;
  readonly userIds: readonly string[];
  readonly usergroupId?: string;
  /** Tool id → user group ids (S…) and/or user ids (U…/W…). */
  readonly toolApprovers?: Readonly<Record<string, readonly string[]>>;
  /** Tool id → who may request it (same shape); a tool not listed may be requested by anyone. */
  readonly toolRequesters?: Readonly<Record<string, readonly string[]>>;
  readonly ttlMs?: number;
  readonly maxStaleMs?: number;
  /** Milliseconds since the epoch; injectable so tests move time without waiting. */
  readonly now?: () => number;
  readonly logger: Logger;
}): ApproverDirectory => {
  const ttl = o.ttlMs ?? GROUP_TTL_MS;
  const maxStale = Math.max(ttl, o.maxStaleMs ?? GROUP_MAX_STALE_MS);
  const now = o.now ?? Date.now;
  const cache = new Map<string, { at: number; members: ReadonlySet<string> }>();
  const inFlight = new Map<string, Promise<Roster>>();

  const group = async (id: string): Promise<Roster> => {
    const cached = cache.get(id);
    if (cached && now() - cached.at < ttl) return { members: cached.members, verified: true };
    let pending = inFlight.get(id);
    if (!pending) {
      pending = (async (): Promise<Roster> => {
        try {
          const answer = await o.client.usergroups.users.list({ usergroup: id });
          const members = new Set(answer.users ?? []);
          cache.set(id, { at: now(), members });
          return { members, verified: true };
        } catch (error) {
          const last = cache.get(id);
          const age = last ? now() - last.at : undefined;
          if (last && age !== undefined && age < maxStale) {
            o.logger.warn(
              { err: error, usergroup: id, ageMs: age },
              'could not read a user group; trusting its members read shortly before',
            );
            return { members: last.members, verified: true };
          }
          o.logger.error(
            { err: error, usergroup: id, ageMs: age ?? null },
            'could not read a user group; nobody is taken from it until Slack answers',
          );
          return { members: new Set<string>(), verified: false };
        } finally {
          inFlight.delete(id);
        }
      })();
      inFlight.set(id, pending);
    }
    return pending;
  };

  const resolve = async (sources: ApproverSources): Promise<Roster> => {
    const all = new Set(sources.userIds);
    let verified = true;
    for (const g of await Promise.all(sources.groupIds.map(group))) {
      verified &&= g.verified;
      for (const m of g.members) all.add(m);
    }
    return { members: all, verified };
  };

  const global: ApproverSources = { userIds: o.userIds, groupIds: o.usergroupId ? [o.usergroupId] : [] };
  const nobody: ApproverSources = { userIds: [], groupIds: [] };
  return {
    members: () => resolve(global),
    forTool: (toolId) => resolve(approverSourcesFor(toolId, global, o.toolApprovers ?? {})),
    requestersFor: async (toolId) => {
      if (!o.toolRequesters?.[toolId]?.length) return undefined;
      return resolve(approverSourcesFor(toolId, nobody, o.toolRequesters));
    },
  };
};
