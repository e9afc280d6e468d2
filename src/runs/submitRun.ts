import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import type { ChangeVerifier } from '../changes/changeVerifier.ts';
import type { Partition } from '../domain/partition.ts';
import { requiredApprovals, type SecondApprovalPolicy } from '../domain/approvalPolicy.ts';
import { CHANGE_NUMBER } from '../domain/changeRules.ts';
import { listSome } from '../domain/listSome.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { preflight, type PreflightSummary } from '../domain/preflight.ts';
import {
  classifyTargetToken,
  describeSelector,
  mergeSelectors,
  parseTargetSelectors,
  type TargetScope,
  type TargetSelector,
} from '../domain/targetSelectors.ts';
import { parseTargetFile } from '../domain/targetFile.ts';
import { isRerunnable } from '../domain/rerunPolicy.ts';
import { statusLabel } from '../domain/statusLabel.ts';
import { findActiveMutatingLocks, lockMutatingSubmissions, setRunTargeting } from '../db/queries/targeting.ts';
import { oweSubmitted } from '../db/queries/outbox.ts';
import type { TargetResolver } from '../inventory/resolveTargets.ts';
import { lockRefusal, MAX_STORED_EXCLUSIONS, storedExclusion, targetRefusal } from './targetRefusal.ts';
import { planDigest } from '../domain/planDigest.ts';
import { chooseRollout, type RolloutInput } from '../domain/rolloutChoice.ts';
import { assignWaves } from '../domain/rolloutPolicy.ts';
import { appendAudit, appendRefusal } from '../db/queries/audit.ts';
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
  /** Instance ids chosen in the type-ahead picker. */
  readonly pickedIds?: readonly string[];
  /** The uploaded target list, read only once the requester passed the gate (it costs a download). */
  readonly targetFile?: () => Promise<TargetFileContent>;
  /** The requester's rollout adjustments (empty: the action's defaults), checked against the definition's bounds. */
  readonly rollout?: RolloutInput;
};

/** An uploaded target list as the Slack side fetched it, or why it could not (a field error). */
export type TargetFileContent =
  { readonly ok: true; readonly name: string; readonly text: string } | { readonly ok: false; readonly message: string };

export type SubmitTarget = {
  instanceId: string;
  accountId: string;
  region: string;
  partition: Partition;
  computerName: string | null;
  /** What pre-flight saw (the approval thread's target list shows it). */
  platform: string | null;
  pingStatus: string | null;
  /** The rollout wave (null: the action has no rollout). */
  wave?: number | null;
};

/** Instances one request may pick (the picker's max_selected_items; a forged payload may send more). */
export const MAX_PICKS = 100;

/** A file name for the record: what people may put in one is not markup. */
const fileLabel = (name: string): string => name.replace(/[^\w. -]/gu, '_').slice(0, 60) || 'file';

/** A refusal's `field`/`fields` name the modal field it belongs under (`instances`, `targets_picker`, `targets_file`, `change`, `action`, `param:<name>`). */
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
  | Refusal;

export type RunSubmitter = { readonly submit: (input: SubmitInput) => Promise<SubmitResult> };

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
}): RunSubmitter => {
  // Everything after the request gate; each "no" it returns is audited by `submit` below.
  const attempt = async (input: SubmitInput): Promise<SubmitResult> => {
    // Checked before the AWS and ServiceNow look-ups (cheap refusal), and again under the lock below.
    const overLimit = await rateRefusal(deps.pool, input.requesterId, deps.submitRatePerMinute);
    if (overLimit) return overLimit;

    const action = deps.registry.action(input.toolId, input.actionId);
    if (!action) return refuse('unknown_action', 'Choose one of the listed actions.', 'action');

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
      errors.instances = `Not understood: ${listSome(parsed.invalid, 5)}. One per line: instance ids (i-… or mi-…), computer names, tag:Key=Value[,Value], tag-key:Key, step:tool/action=success|failed or rerun:<run id>.`;
    }
    // The picker's values come from our own options, but the payload is the client's: check them again.
    const picked = [...new Set(input.pickedIds ?? [])];
    const badPicks = picked.filter((v) => classifyTargetToken(v)?.kind !== 'id');
    if (badPicks.length > 0) errors.targets_picker = `Not instance ids: ${listSome(badPicks, 5)}.`;
    else if (picked.length > MAX_PICKS) errors.targets_picker = `At most ${MAX_PICKS} picked instances; upload a list or use a tag.`;
    const pickedIds = picked.filter((v) => !badPicks.includes(v)).map((v) => v.toLowerCase());
    const file = input.targetFile ? await input.targetFile() : undefined;
    const fromFile = file?.ok ? parseTargetFile(file.text) : undefined;
    if (file && !file.ok) errors.targets_file = file.message;
    else if (fromFile && !fromFile.ok) errors.targets_file = fromFile.message;
    const selectors = mergeSelectors([
      parsed.selectors,
      pickedIds.length > 0 ? [{ kind: 'ids', ids: pickedIds }] : [],
      fromFile?.ok ? fromFile.selectors : [],
    ]);
    if (selectors.length === 0 && !errors.instances && !errors.targets_picker && !errors.targets_file)
      errors.instances = `Name at least ${action.targets.min} instance(s): ids, computer names or a tag:Key=Value line, pick them, or upload a list.`;
    // For the record: each source as the requester gave it (the paste box's selectors, the picks, the file).
    const recorded = [
      ...parsed.selectors.map(describeSelector),
      ...(pickedIds.length > 0 ? [`picker: ${pickedIds.join(', ')}`] : []),
      ...(file?.ok && fromFile?.ok ? [`file ${fileLabel(file.name)}: ${fromFile.selectors.map(describeSelector).join(', ')}`] : []),
    ];
    const changeNumber = input.changeNumber.trim().toUpperCase();
    if (!CHANGE_NUMBER.test(changeNumber)) errors.change = 'A ServiceNow change number looks like CHG0012345.';
    const rerunOf = await rerunRefusal(deps.pool, parsed.selectors, action.toolId);
    if (rerunOf && !rerunOf.ok) errors.instances ??= rerunOf.message;
    if (Object.keys(errors).length > 0 || !params.success) return invalidForm(errors);

    // Resolve every selector now: the plan is this list, frozen, whatever the tags say later.
    const scope = input.scope ?? { accountIds: [], regions: [], partitions: [] };
    const resolved = await deps.resolver.resolve({ selectors, scope, changeNumber, requesterId: input.requesterId });
    const candidateIds = [...new Set(resolved.candidates.flatMap((c) => (c.instance ? [c.instance.instanceId] : [])))];
    const locks = action.mutates ? await findActiveMutatingLocks(deps.pool, candidateIds) : [];
    const checked = preflight({ candidates: resolved.candidates, platform: action.platform, mutates: action.mutates, locks });
    const refused = targetRefusal(checked, resolved.warnings, action.targets);
    if (refused) {
      // Accounts that could not be asked may be failing their credential checks: say so, it is the actual cause.
      const credentials = resolved.warnings.length > 0 ? await deps.credentialRefusal?.(deps.accountIds ?? []) : null;
      return credentials ? refuse('credentials', `${refused.message} ${credentials}`, 'instances') : refused;
    }
    const eligible = checked.eligible.map((t) => ({
      instanceId: t.instanceId,
      accountId: t.accountId,
      region: t.region,
      partition: t.partition,
      computerName: t.computerName,
      platform: t.platformName ?? t.platformType,
      pingStatus: t.pingStatus ?? null,
    }));
    // The rollout is decided now, on the frozen plan, and the digest covers it: what is approved is what runs.
    const rollout = chooseRollout(action.rollout, input.rollout ?? {}, eligible.length);
    if (!rollout.ok) return invalidForm(rollout.errors);
    const waves = rollout.policy ? assignWaves(eligible, rollout.policy) : null;
    const targets: SubmitTarget[] = eligible.map((t) => ({ ...t, wave: waves?.get(t.instanceId) ?? null }));
    const credentials = await deps.credentialRefusal?.([...new Set(targets.map((t) => t.accountId))]);
    if (credentials) return refuse('credentials', credentials, 'instances');
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
        return refuse(
          'prerequisite_missing',
          `No successful ${action.requires.tool} ${action.requires.action} under ${changeNumber} on: ${listSome(lacking)}. Run it first, or select step:${action.requires.tool}/${action.requires.action}=success.`,
          'instances',
        );
      }
    }

    // A change whose window opens later is accepted: once approved, the run waits for the window (scheduled).
    const change = await deps.changes.verify(
      changeNumber,
      targets.map((t) => ({ instanceId: t.instanceId, computerName: t.computerName })),
      { allowScheduled: true },
    );
    if (!change.ok) return refuse(change.code, change.message, 'change');

    const runId = randomUUID();
    const digest = planDigest({
      tool: action.toolId,
      action: action.id,
      scriptSha256: action.scriptSha256,
      params: params.data,
      changeNumber,
      targets,
      rollout: rollout.policy,
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
        if (taken.length > 0) return lockRefusal(taken);
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
        rollout: rollout.policy,
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
        selectors: recorded,
        scope,
        warnings: resolved.warnings.slice(0, 50),
        summary: checked.summary,
        excluded: checked.excluded.slice(0, MAX_STORED_EXCLUSIONS).map(storedExclusion),
      });
      await insertChangeInstances(tx, changeNumber, runId, targets);
      // What the request owes Slack, in this transaction: parent, thread, approval, and the complete target list.
      await oweSubmitted(tx, runId);
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
          rollout: rollout.policy,
          ...(rerunOf?.ok ? { rerunOf: rerunOf.runId } : {}),
        },
      });
      return { ok: true, run: row, targets, preflight: checked.summary, warnings: resolved.warnings };
    });
    return created;
  };

  return {
    submit: async (input) => {
      // A re-delivered submission (same view id and hash) is answered like the first, never run twice.
      const earlier = input.origin ? await findRunByOrigin(deps.pool, input.origin.viewId, input.origin.viewHash) : null;
      if (earlier) return { ok: true, run: earlier, targets: [], redelivered: true };
      // The gate audits its own refusals (on the slash command too).
      const allowed = await deps.gate.check({
        toolId: input.toolId,
        userId: input.requesterId,
        channelId: input.channelId,
        stage: 'submission',
      });
      if (!allowed.ok) return { ...allowed, field: 'action' };
      const result = await attempt(input);
      if (result.ok) return result;
      return appendRefusal(deps.pool, {
        actor: input.requesterId,
        attempted: 'request',
        refusal: result,
        data: {
          stage: 'submission',
          tool: input.toolId,
          action: input.actionId.slice(0, 100),
          change: input.changeNumber.trim().toUpperCase().slice(0, 40),
          channel: input.channelId,
        },
      });
    },
  };
};

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
      return { ok: false, message: `rerun:${id} is ${statusLabel(run.status)}; only a finished run with failures can be re-run.` };
  }
  return reruns[0] ? { ok: true, runId: reruns[0] } : null;
};

/** A form that failed validation: one message per field, and all of them in one text for the record. */
const invalidForm = (fields: Readonly<Record<string, string>>): Refusal => {
  const placed = Object.keys(fields).length > 0 ? fields : { action: 'The parameters are not valid.' };
  const message = Object.entries(placed)
    .map(([field, text]) => `${field.replace(/^param:/u, '')}: ${text}`)
    .join('\n');
  return { ok: false, code: 'invalid_request', message, fields: placed };
};

const rateRefusal = async (db: Db, requesterId: string, limit: number | undefined): Promise<Refusal | null> => {
  if (limit === undefined) return null;
  const recent = await countRecentSubmissions(db, requesterId);
  if (recent < limit) return null;
  return refuse(
    'rate_limited',
    `You submitted ${recent} requests in the last minute; the limit is ${limit} a minute. Wait a minute, then submit again.`,
    'action',
  );
};
