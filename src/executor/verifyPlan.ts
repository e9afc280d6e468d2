import { planDigest } from '../domain/planDigest.ts';
import { listApprovedDigests } from '../db/queries/approvals.ts';
import type { ChunkRow } from '../db/queries/chunks.ts';
import { listRunTargets } from '../db/queries/executions.ts';
import type { RunRow } from '../db/queries/runs.ts';
import type { RunContext } from './executorDeps.ts';

/**
 * Just before dispatch: the plan about to be sent must still be the one approved. The digest is
 * recomputed from what the database holds now (tool, action, script, parameters, change, targets)
 * and from the parameters this driver will send, and compared with the run's digest and every
 * approval's; each planned chunk may only name targets of the plan. Returns why not, or null.
 */
export const verifyPlan = async (ctx: RunContext, current: RunRow, planned: readonly ChunkRow[]): Promise<string | null> => {
  const { deps, run } = ctx;
  const targets = await listRunTargets(deps.pool, run.id);
  const digestOf = (r: RunRow) =>
    planDigest({
      tool: r.tool,
      action: r.action,
      scriptSha256: r.script_sha256,
      params: r.params,
      changeNumber: r.change_number,
      targets,
      rollout: r.rollout,
    });
  const approved = await listApprovedDigests(deps.pool, run.id);
  const expected = new Set([run.plan_digest, current.plan_digest, ...approved]);
  if (expected.size !== 1) return 'the approved plan digest was altered';
  if (digestOf(current) !== run.plan_digest) return 'the stored plan (parameters, targets, script or change) differs from the approved one';
  if (digestOf(run) !== run.plan_digest) return 'the plan this replica holds differs from the approved one';
  const known = new Map(targets.map((t) => [`${t.accountId}/${t.region}/${t.instanceId}`, t.wave ?? null]));
  const stray = planned.flatMap((c) => c.instance_ids.filter((id) => !known.has(`${c.account_id}/${c.region}/${id}`)));
  if (stray.length > 0) return `a planned batch names ${stray.length} instance(s) outside the approved targets`;
  // A batch sent in another wave than the approved one would bypass the canary or the budget.
  const moved = planned.flatMap((c) => c.instance_ids.filter((id) => known.get(`${c.account_id}/${c.region}/${id}`) !== c.wave));
  if (moved.length > 0) return `a planned batch puts ${moved.length} instance(s) in another wave than the approved one`;
  return null;
};
