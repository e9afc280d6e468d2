import { GetCommandInvocationCommand, ListCommandInvocationsCommand, type CommandInvocation, type SSMClient } from '@aws-sdk/client-ssm';
import { executionStatusFromSsm, isTerminalExecution } from '../domain/executionStatus.ts';
import { applyInvocationUpdates, type InvocationUpdate } from '../db/queries/executions.ts';
import { parsePcmResult } from '../tools/parseResult.ts';
import type { RunContext } from './executorDeps.ts';
import { splitPluginOutput } from './splitPluginOutput.ts';

// GetCommandInvocation returns at most this much; a value this long was cut by SSM.
const STDOUT_LIMIT = 24_000;
const STDERR_LIMIT = 8_000;

const toDate = (d: Date | undefined): Date | null => (d instanceof Date && !Number.isNaN(d.getTime()) ? d : null);

/**
 * Reads a finished command's invocations page by page (50 per call) and writes each page in one
 * statement. The full output is fetched with GetCommandInvocation only for finished invocations whose
 * listed output was truncated.
 */
export const collectInvocations = async (ctx: RunContext, client: SSMClient, commandId: string, accountId: string, region: string): Promise<number> => {
  const { deps } = ctx;
  let nextToken: string | undefined;
  let written = 0;
  do {
    const page = await deps.queues.run(accountId, region, () =>
      client.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken: nextToken }), { abortSignal: ctx.signal }),
    );
    const updates = await Promise.all((page.CommandInvocations ?? []).map((inv) => toUpdate(ctx, client, inv, accountId, region)));
    written += await applyInvocationUpdates(deps.pool, updates.filter((u): u is InvocationUpdate => u !== null));
    nextToken = page.NextToken;
  } while (nextToken);
  return written;
};

const toUpdate = async (ctx: RunContext, client: SSMClient, inv: CommandInvocation, accountId: string, region: string): Promise<InvocationUpdate | null> => {
  if (!inv.InstanceId || !inv.CommandId) return null;
  const plugin = inv.CommandPlugins?.[0];
  const status = executionStatusFromSsm(inv.Status, inv.StatusDetails);
  const split = splitPluginOutput(plugin?.Output);
  let stdout = split.stdout;
  let stderr = split.stderr;
  let stdoutTruncated = false;
  let stderrTruncated = false;
  if (split.truncated && isTerminalExecution(status)) {
    const full = await ctx.deps.queues.run(accountId, region, () =>
      client.send(new GetCommandInvocationCommand({ CommandId: inv.CommandId, InstanceId: inv.InstanceId }), { abortSignal: ctx.signal }),
    );
    stdout = full.StandardOutputContent ?? stdout;
    stderr = full.StandardErrorContent ?? stderr;
    stdoutTruncated = stdout.length >= STDOUT_LIMIT;
    stderrTruncated = stderr.length >= STDERR_LIMIT;
  } else if (split.truncated) {
    stdoutTruncated = true;
  }
  const terminal = isTerminalExecution(status);
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
    result: terminal ? (parsePcmResult(stdout) ?? null) : null,
    startedAt: toDate(plugin?.ResponseStartDateTime),
    finishedAt: terminal ? (toDate(plugin?.ResponseFinishDateTime) ?? new Date()) : null,
  };
};
