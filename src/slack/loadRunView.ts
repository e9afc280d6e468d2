import type { DatabasePool } from 'slonik';
import type { Halt } from '../domain/rolloutPolicy.ts';
import { listRunTargets } from '../db/queries/executions.ts';
import { getRun, type RunRow } from '../db/queries/runs.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { RunView, TargetGroup } from './blocks/runView.ts';

export const toRunView = (run: RunRow, registry: ToolRegistry): RunView => {
  const tool = registry.byId(run.tool);
  return {
    id: run.id,
    tool: run.tool,
    toolTitle: tool?.title ?? run.tool,
    action: run.action,
    actionTitle: registry.action(run.tool, run.action)?.title ?? run.action,
    params: run.params,
    requesterId: run.requester_id,
    changeNumber: run.change_number,
    status: run.status,
    scriptSha256: run.script_sha256,
    planDigest: run.plan_digest,
    mutates: run.mutates,
    approvalsRequired: run.approvals_required,
    targetCount: run.target_count,
    correlationId: run.correlation_id,
    cancelRequestedBy: run.cancel_requested_by,
    createdAt: run.created_at,
    approvalExpiresAt: run.approval_expires_at,
    rollout: run.rollout,
    // Written only by the executor's halt (rolloutGate), from the domain's Halt.
    halt: (run.halt as Halt | null) ?? null,
    scheduledFor: run.scheduled_for,
    rerunOf: run.rerun_of,
  };
};

export const loadRunView = async (
  pool: DatabasePool,
  registry: ToolRegistry,
  runId: string,
): Promise<{ row: RunRow; view: RunView } | null> => {
  const row = await getRun(pool, runId);
  return row ? { row, view: toRunView(row, registry) } : null;
};

export const loadTargetGroups = async (pool: DatabasePool, runId: string): Promise<TargetGroup[]> => {
  const groups = new Map<string, { partition: string; accountId: string; region: string; instanceIds: string[] }>();
  for (const t of await listRunTargets(pool, runId)) {
    const key = `${t.partition}|${t.accountId}|${t.region}`;
    const g = groups.get(key) ?? { partition: t.partition, accountId: t.accountId, region: t.region, instanceIds: [] };
    g.instanceIds.push(t.instanceId);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) =>
    `${a.partition}${a.accountId}${a.region}`.localeCompare(`${b.partition}${b.accountId}${b.region}`),
  );
};
