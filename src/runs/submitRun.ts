import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import type { ChangeVerifier } from '../changes/changeVerifier.ts';
import type { Partition } from '../domain/partition.ts';
import { requiredApprovals, type SecondApprovalPolicy } from '../domain/approvalPolicy.ts';
import { CHANGE_NUMBER } from '../domain/changeRules.ts';
import { preflight, type PreflightSummary } from '../domain/preflight.ts';
import { isRerunnable } from '../domain/rerunPolicy.ts';
import { describeSelector, parseTargetSelectors, type TargetScope, type TargetSelector } from '../domain/targetSelectors.ts';
import { findActiveMutatingLocks, lockMutatingSubmissions, setRunTargeting } from '../db/queries/targeting.ts';
import type { TargetResolver } from '../inventory/resolveTargets.ts';
import { lockRefusal, MAX_STORED_EXCLUSIONS, storedExclusion, targetRefusal } from './targetRefusal.ts';
import { planDigest } from '../domain/planDigest.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { insertChangeInstances } from '../db/queries/changes.ts';
import { findInstancesWithSuccess, insertExecutions } from '../db/queries/executions.ts';
import type { Db } from '../db/queries/db.ts';
import { countRecentSubmissions, findRunByOrigin, getRun, insertRun, lockRequester, type RunRow } from '../db/queries/runs.ts';
import { upsertScripts } from '../db/queries/scripts.ts';
import { scriptRecordOf } from '../tools/scriptRecordOf.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { RequestGate } from './requestGate.ts';

export type SubmitInput = {
  readonly toolId: string;
  readonly actionId: string;
  readonly params: Record<string, unknown>;
  readonly instanceText: string;
  readonly changeNumber: string;
  readonly requesterId: string;
  readonly channelId: string;
  /** The view submission this request comes from: a re-delivery of it is the same request. */
  readonly origin?: { readonly viewId: string; readonly viewHash: string };
  /** The modal's optional account/region/partition narrowing (empty lists: everything configured). */
  readonly scope?: TargetScope;
};

export type SubmitTarget = { instanceId: string; accountId: string; region: string; partition: Partition; computerName: string | null };

/** Field errors keyed by the modal field they belong under (`instances`, `change`, `action`, `param:<name>`). */
export type SubmitResult =
  | {
      readonly ok: true;
      readonly run: RunRow;
      readonly targets: readonly SubmitTarget[];
      readonly redelivered?: true;
      /** Pre-flight counts and resolver warnings, for the requester (absent on a re-delivery). */
      readonly preflight?: PreflightSummary;
      readonly warnings?: readonly string[];
    }
  | { readonly ok: false; readonly errors: Readonly<Record<string, string>> };

export type RunSubmitter = { readonly submit: (input: SubmitInput) => Promise<SubmitResult> };

const list = (ids: readonly string[], max = 10) => ids.slice(0, max).join(', ') + (ids.length > max ? ` and ${ids.length - max} more` : '');

export const createRunSubmitter = (deps: {
  readonly pool: DatabasePool;
  readonly registry: ToolRegistry;
  readonly resolver: TargetResolver;
  readonly changes: ChangeVerifier;
  readonly approvalChannelId: string;
  readonly approvalTtlMinutes: number;
  /** When a second, different approver is required (SECOND_APPROVAL); default every mutating action. */
  readonly secondApproval?: SecondApprovalPolicy;
  /** Who may request which tool from where: checked again here, whatever the form says. */
  readonly gate: RequestGate;
  /** Requests one person may submit per minute (SUBMIT_RATE_PER_MINUTE); unlimited when absent. */
  readonly submitRatePerMinute?: number;
  /** Why targets in these accounts cannot run now (failing base credentials or role check), or null. */
  readonly credentialRefusal?: (accountIds: readonly string[]) => Promise<string | null>;
  /** Every configured account id (to name failing credentials when an instance could not be located). */
  readonly accountIds?: readonly string[];
}): RunSubmitter => ({
  submit: async (input) => {
    // A re-delivered submission (same view id and hash) is answered like the first, never run twice.
    const earlier = input.origin ? await findRunByOrigin(deps.pool, input.origin.viewId, input.origin.viewHash) : null;
    if (earlier) return { ok: true, run: earlier, targets: [], redelivered: true };
    const allowed = await deps.gate.check({
      toolId: input.toolId,
      userId: input.requesterId,
      channelId: input.channelId,
      stage: 'submission',
    });
    if (!allowed.ok) return { ok: false, errors: { action: allowed.message } };
    // Checked before the AWS and ServiceNow look-ups (cheap refusal), and again under the lock below.
    const overLimit = await rateRefusal(deps.pool, input.requesterId, deps.submitRatePerMinute);
    if (overLimit) return overLimit;

    const action = deps.registry.action(input.toolId, input.actionId);
    if (!action) return { ok: false, errors: { action: 'Choose one of the listed actions.' } };

    const errors: Record<string, string> = {};
    const params = action.params.safeParse(input.params);
    if (!params.success) {
      for (const issue of params.error.issues) {
        const field = String(issue.path[0] ?? '');
        errors[field ? `param:${field}` : 'action'] ??= issue.message;
      }
    }
    const parsed = parseTargetSelectors(input.instanceText);
    if (parsed.invalid.length > 0) {
      errors.instances = `Not understood: ${list(parsed.invalid, 5)}. One per line: instance ids (i-… or mi-…), computer names, tag:Key=Value[,Value], tag-key:Key, step:tool/action=success|failed or rerun:<run id>.`;
    } else if (parsed.selectors.length === 0)
      errors.instances = `Name at least ${action.targets.min} instance(s): ids, computer names or a tag:Key=Value line.`;
    const changeNumber = input.changeNumber.trim().toUpperCase();
    if (!CHANGE_NUMBER.test(changeNumber)) errors.change = 'A ServiceNow change number looks like CHG0012345.';
    const rerunOf = await rerunRefusal(deps.pool, parsed.selectors, action.toolId);
    if (rerunOf && !rerunOf.ok) errors.instances ??= rerunOf.message;
    if (Object.keys(errors).length > 0 || !params.success) return { ok: false, errors };

    // Resolve every selector now: the plan is this list, frozen, whatever the tags say later.
    const scope = input.scope ?? { accountIds: [], regions: [], partitions: [] };
    const resolved = await deps.resolver.resolve({ selectors: parsed.selectors, scope, changeNumber, requesterId: input.requesterId });
    const candidateIds = [...new Set(resolved.candidates.flatMap((c) => (c.instance ? [c.instance.instanceId] : [])))];
    const locks = action.mutates ? await findActiveMutatingLocks(deps.pool, candidateIds) : [];
    const checked = preflight({ candidates: resolved.candidates, platform: action.platform, mutates: action.mutates, locks });
    const refused = targetRefusal(checked, resolved.warnings, action.targets);
    if (refused) {
      // Accounts that could not be asked may be failing their credential checks: say so, it is the actual cause.
      const credentials = resolved.warnings.length > 0 ? await deps.credentialRefusal?.(deps.accountIds ?? []) : null;
      return { ok: false, errors: { instances: credentials ? `${refused} ${credentials}` : refused } };
    }
    const targets: SubmitTarget[] = checked.eligible.map((t) => ({
      instanceId: t.instanceId,
      accountId: t.accountId,
      region: t.region,
      partition: t.partition,
      computerName: t.computerName,
    }));
    const credentials = await deps.credentialRefusal?.([...new Set(targets.map((t) => t.accountId))]);
    if (credentials) return { ok: false, errors: { instances: credentials } };
    const eligibleIds = targets.map((t) => t.instanceId);

    if (action.requires) {
      const done = new Set(
        await findInstancesWithSuccess(deps.pool, {
          tool: action.requires.tool,
          action: action.requires.action,
          changeNumber,
          instanceIds: eligibleIds,
        }),
      );
      const lacking = eligibleIds.filter((id) => !done.has(id));
      if (lacking.length > 0) {
        return {
          ok: false,
          errors: {
            instances: `No successful ${action.requires.tool} ${action.requires.action} under ${changeNumber} on: ${list(lacking)}. Run it first, or select step:${action.requires.tool}/${action.requires.action}=success.`,
          },
        };
      }
    }

    // A change whose window opens later is accepted: once approved, the run waits for the window (scheduled).
    const change = await deps.changes.verify(
      changeNumber,
      targets.map((t) => ({ instanceId: t.instanceId, computerName: t.computerName })),
      { allowScheduled: true },
    );
    if (!change.ok) return { ok: false, errors: { change: change.message } };

    const runId = randomUUID();
    const digest = planDigest({
      tool: action.toolId,
      action: action.id,
      scriptSha256: action.scriptSha256,
      params: params.data,
      changeNumber,
      targets,
    });
    const approvalsRequired = requiredApprovals({
      actionApprovals: action.approval.approvals,
      mutates: action.mutates,
      partitions: [...new Set(targets.map((t) => t.partition))],
      policy: deps.secondApproval ?? 'mutating',
    });
    const created = await deps.pool.transaction(async (tx): Promise<SubmitResult> => {
      await lockRequester(tx, input.requesterId);
      const again = input.origin ? await findRunByOrigin(tx, input.origin.viewId, input.origin.viewHash) : null;
      if (again) return { ok: true, run: again, targets: [], redelivered: true };
      const overRate = await rateRefusal(tx, input.requesterId, deps.submitRatePerMinute);
      if (overRate) return overRate;
      if (action.mutates) {
        // Two submissions racing for the same hosts: serialise mutating ones and look again under the lock.
        await lockMutatingSubmissions(tx);
        const taken = await findActiveMutatingLocks(tx, eligibleIds);
        if (taken.length > 0) return { ok: false, errors: { instances: lockRefusal(taken) } };
      }
      await upsertScripts(tx, [scriptRecordOf(action)]);
      const row = await insertRun(tx, {
        id: runId,
        tool: action.toolId,
        action: action.id,
        params: params.data,
        scriptSha256: action.scriptSha256,
        requesterId: input.requesterId,
        channelId: input.channelId,
        approvalChannelId: deps.approvalChannelId,
        changeNumber,
        planDigest: digest,
        approvalsRequired,
        mutates: action.mutates,
        targetCount: targets.length,
        correlationId: randomUUID(),
        approvalExpiresAt: new Date(Date.now() + deps.approvalTtlMinutes * 60_000),
        scheduledFor: change.startsAt ?? null,
        rerunOf: rerunOf?.ok ? rerunOf.runId : null,
        ...(input.origin ? { origin: input.origin } : {}),
      });
      // The unique key is the guarantee (the lock above makes this rare): the first delivery's run stands.
      if (!row) {
        const first = input.origin ? await findRunByOrigin(tx, input.origin.viewId, input.origin.viewHash) : null;
        if (!first) throw new Error('the run insert conflicted but no earlier run was found');
        return { ok: true, run: first, targets: [], redelivered: true };
      }
      await insertExecutions(tx, runId, action.scriptSha256, targets);
      await setRunTargeting(tx, runId, {
        selectors: parsed.selectors.map(describeSelector),
        scope,
        warnings: resolved.warnings.slice(0, 50),
        summary: checked.summary,
        excluded: checked.excluded.slice(0, MAX_STORED_EXCLUSIONS).map(storedExclusion),
      });
      await insertChangeInstances(tx, changeNumber, runId, targets);
      await appendAudit(tx, {
        runId,
        actor: input.requesterId,
        action: 'requested',
        toStatus: 'pending_approval',
        correlationId: row.correlation_id,
        data: {
          tool: action.toolId,
          action: action.id,
          targets: targets.length,
          planDigest: digest,
          change: changeNumber,
          approvalsRequired,
          ...(rerunOf?.ok ? { rerunOf: rerunOf.runId } : {}),
        },
      });
      return { ok: true, run: row, targets, preflight: checked.summary, warnings: resolved.warnings };
    });
    return created;
  },
});

/**
 * A `rerun:` selector names a finished run of the same tool whose failed instances are re-run; the first one
 * links this request to it (rerun_of). Null when the request re-runs nothing.
 */
const rerunRefusal = async (
  db: Db,
  selectors: readonly TargetSelector[],
  toolId: string,
): Promise<{ ok: true; runId: string } | { ok: false; message: string } | null> => {
  const reruns = selectors.flatMap((s) => (s.kind === 'rerun' ? [s.runId] : []));
  for (const id of reruns) {
    const run = await getRun(db, id);
    if (!run) return { ok: false, message: `rerun:${id} names no run. Copy the run id from its message or \`/ops history\`.` };
    if (run.tool !== toolId) return { ok: false, message: `rerun:${id} is a run of another tool (${run.tool}); re-run it from that tool.` };
    if (!isRerunnable(run.status))
      return { ok: false, message: `rerun:${id} is ${run.status.replace(/_/gu, ' ')}; only a finished run with failures can be re-run.` };
  }
  return reruns[0] ? { ok: true, runId: reruns[0] } : null;
};

const rateRefusal = async (db: Db, requesterId: string, limit: number | undefined): Promise<SubmitResult | null> => {
  if (limit === undefined) return null;
  const recent = await countRecentSubmissions(db, requesterId);
  if (recent < limit) return null;
  return {
    ok: false,
    errors: {
      action: `You submitted ${recent} requests in the last minute; the limit is ${limit} a minute. Wait a minute, then submit again.`,
    },
  };
};
