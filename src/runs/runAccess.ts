import type { DatabasePool } from 'slonik';
import { appendRefusal } from '../db/queries/audit.ts';
import { listRecentRuns, listRecentRunsVisibleTo, type RunRow } from '../db/queries/runs.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { mayViewRun } from '../domain/runVisibility.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { ApproversFor } from './decideRun.ts';
import { findRun } from './findRun.ts';

export type RunAccess = {
  /** The newest runs this person may see: all for an admin, else their own and those of the tools they approve. */
  readonly history: (viewerId: string, limit: number) => Promise<readonly RunRow[]>;
  /** A run by id (or its first characters), if this person may see it; refused without details otherwise. */
  readonly find: (viewerId: string, ref: string) => Promise<{ readonly ok: true; readonly run: RunRow } | Refusal>;
};

/** Run details for the requester, the tool's approvers and the admins (ADMIN_USER_IDS) only. */
export const createRunAccess = (deps: {
  readonly pool: DatabasePool;
  readonly registry: Pick<ToolRegistry, 'tools'>;
  readonly approversFor: ApproversFor;
  readonly adminIds: readonly string[];
}): RunAccess => ({
  history: async (viewerId, limit) => {
    if (deps.adminIds.includes(viewerId)) return listRecentRuns(deps.pool, limit);
    const approved: string[] = [];
    for (const tool of deps.registry.tools) if ((await deps.approversFor(tool.id)).members.has(viewerId)) approved.push(tool.id);
    return listRecentRunsVisibleTo(deps.pool, { requesterId: viewerId, tools: approved }, limit);
  },

  find: async (viewerId, ref) => {
    const found = await findRun(deps.pool, ref);
    if (!found.ok) return found;
    const approvers = await deps.approversFor(found.run.tool);
    if (mayViewRun({ viewerId, requesterId: found.run.requester_id, isAdmin: deps.adminIds.includes(viewerId), toolApprovers: approvers }))
      return found;
    const refusal = !approvers.verified
      ? refuse(
          'approvers_unverified',
          'The approvers of this tool could not be verified with Slack just now, so this run cannot be shown. Try again in a few minutes.',
        )
      : refuse(
          'not_visible',
          'You can only see runs you requested or runs of tools you approve. Ask the requester or an approver of this tool.',
        );
    // Not attached to the run: its own trail is what happened to it, not who was refused a look.
    return appendRefusal(deps.pool, { actor: viewerId, attempted: 'view', refusal, data: { run: found.run.id, tool: found.run.tool } });
  },
});
