import { GetCommandInvocationCommand, ListCommandInvocationsCommand, type CommandInvocation, type SSMClient } from '@aws-sdk/client-ssm';
import { executionStatusFromSsm, isTerminalExecution } from '../domain/executionStatus.ts';
import { applyInvocationUpdates, type InvocationUpdate } from '../db/queries/executions.ts';
import { parsePcmResult } from '../tools/parseResult.ts';
import { jobFor, type RunContext } from './executorDeps.ts';
import { outputLocationOf } from './outputLocation.ts';
import { splitPluginOutput } from './splitPluginOutput.ts';
import { isInvocationNotYetVisible } from './ssmErrors.ts';

// GetCommandInvocation returns at most this much; a value this long was cut by SSM.
const STDOUT_LIMIT = 24_000;
const STDERR_LIMIT = 8_000;
// Like the SDK's waiter (5 s × 20): an invocation finished this long ago that GetCommandInvocation still
// cannot find will not appear; keep the listed (truncated) output instead of waiting for ever.
const INVISIBLE_GIVE_UP_MS = 100_000;

export type CollectTarget = { readonly accountId: string; readonly region: string; readonly commandId: string };

export type Collected = {
  /** Instances SSM listed for the command. */
  readonly listed: ReadonlySet<string>;
  /** Instances whose terminal result is now stored. */
  readonly finished: ReadonlySet<string>;
  /** Rows written. */
  readonly written: number;
};

const toDate = (d: Date | undefined): Date | null => (d instanceof Date && !Number.isNaN(d.getTime()) ? d : null);

/**
 * Reads one command's invocations page by page (ListCommandInvocations, Details=true, 50 a page) and
 * writes each page in one statement, for the instances in `open` only (already finished rows are
 * never rewritten). Stops paging once every open instance has been seen. The full output is fetched
 * with GetCommandInvocation only for finished invocations whose listed output was truncated; one that
 * is not visible yet is left open for the next round.
 */
export const collectInvocations = async (
  ctx: RunContext,
  client: SSMClient,
  target: CollectTarget,
  open: ReadonlySet<string>,
): Promise<Collected> => {
  const listed = new Set<string>();
  const finished = new Set<string>();
  let written = 0;
  let nextToken: string | undefined;
  const job = jobFor(ctx, target.accountId, target.region);
  do {
    const page = await ctx.deps.queues.run(job, () =>
      client.send(new ListCommandInvocationsCommand({ CommandId: target.commandId, Details: true, MaxResults: 50, NextToken: nextToken }), {
        abortSignal: ctx.signal,
      }),
    );
    const wanted = (page.CommandInvocations ?? []).filter((inv) => inv.InstanceId && open.has(inv.InstanceId));
    for (const inv of page.CommandInvocations ?? []) if (inv.InstanceId) listed.add(inv.InstanceId);
    const updates = (await Promise.all(wanted.map((inv) => toUpdate(ctx, client, target, inv)))).filter(
      (u): u is InvocationUpdate => u !== null,
    );
    if (updates.length > 0) written += await applyInvocationUpdates(ctx.deps.pool, updates);
    for (const u of updates) if (isTerminalExecution(u.status)) finished.add(u.instanceId);
    nextToken = page.NextToken;
  } while (nextToken && [...open].some((id) => !listed.has(id)));
  return { listed, finished, written };
};

const toUpdate = async (
  ctx: RunContext,
  client: SSMClient,
  target: CollectTarget,
  inv: CommandInvocation,
): Promise<InvocationUpdate | null> => {
  if (!inv.InstanceId || !inv.CommandId) return null;
  const plugin = inv.CommandPlugins?.[0];
  const status = executionStatusFromSsm(inv.Status, inv.StatusDetails);
  const terminal = isTerminalExecution(status);
  const split = splitPluginOutput(plugin?.Output);
  let stdout = split.stdout;
  let stderr = split.stderr;
  let stdoutTruncated = split.truncated;
  let stderrTruncated = split.truncated && stderr.length > 0;
  if (split.truncated && terminal) {
    try {
      const full = await ctx.deps.queues.run(jobFor(ctx, target.accountId, target.region), () =>
        client.send(new GetCommandInvocationCommand({ CommandId: inv.CommandId, InstanceId: inv.InstanceId }), { abortSignal: ctx.signal }),
      );
      stdout = full.StandardOutputContent ?? stdout;
      stderr = full.StandardErrorContent ?? stderr;
      stdoutTruncated = stdout.length >= STDOUT_LIMIT;
      stderrTruncated = stderr.length >= STDERR_LIMIT;
    } catch (error) {
      if (!isInvocationNotYetVisible(error)) throw error;
      const endedAt = toDate(plugin?.ResponseFinishDateTime)?.getTime() ?? Date.now();
      if (Date.now() - endedAt < INVISIBLE_GIVE_UP_MS) return null;
      ctx.log.warn(
        { commandId: inv.CommandId, instanceId: inv.InstanceId },
        'full output never became readable; keeping the listed (truncated) output',
      );
    }
  }
  return {
    commandId: inv.CommandId,
    instanceId: inv.InstanceId,
    status,
    ssmStatus: inv.Status ?? null,
    statusDetails: inv.StatusDetails ?? null,
    responseCode: plugin?.ResponseCode ?? null,
    stdout: terminal ? stdout : null,
    stdoutTruncated,
    stderr: terminal ? stderr : null,
    stderrTruncated,
    // A cut stdout cannot end in the script's own result line; a PCM_RESULT inside it came from earlier output.
    result: terminal && !stdoutTruncated ? (parsePcmResult(stdout) ?? null) : null,
    startedAt: toDate(plugin?.ResponseStartDateTime),
    finishedAt: terminal ? (toDate(plugin?.ResponseFinishDateTime) ?? new Date()) : null,
    outputLocation: outputLocationOf(inv),
  };
};
