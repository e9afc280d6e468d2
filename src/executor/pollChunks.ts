import { ListCommandsCommand, type Command, type ListCommandsCommandInput, type SSMClient } from '@aws-sdk/client-ssm';
import PQueue from 'p-queue';
import { completeChunks, type ChunkState } from '../db/queries/chunks.ts';
import { finishExecutionsOfCommand, listOpenExecutions } from '../db/queries/executions.ts';
import { collectInvocations } from './collectInvocations.ts';
import { jobFor, type RunContext } from './executorDeps.ts';
import { isAbort, isUnknownCommand } from './ssmErrors.ts';
import { ssmTimestamp } from './ssmTimestamp.ts';

// Command-level statuses after which no invocation changes any more (Cancelling and Pending/InProgress do).
const TERMINAL_COMMAND = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
// With this many commands or fewer in an account+region, ask for each by id; above, one paged listing.
const BY_ID_MAX = 2;
// Commands of one account+region whose invocations are read at the same time.
const COLLECT_PARALLEL = 4;

export type PollProgress = { readonly completed: number; readonly errors: number; readonly target: number; readonly written: number };

/** Per-driver memory of when each chunk's per-instance detail was last read. */
export type PollMemory = Map<string, number>;

export type PollOptions = {
  /** 'due': per-instance detail of running commands at most every detailRefreshMs; 'all': now (deadline). */
  readonly details: 'due' | 'all';
};

/**
 * One poll round over a run's sent chunks. Cost is per account+region, not per instance: each
 * command's status and counts come from ListCommands (by id when there are few, else one paged
 * listing), invocations are read (ListCommandInvocations, 50 a page) only for commands that have
 * finished, plus, for long-running commands, at most once per detailRefreshMs. A chunk is complete
 * once every one of its executions holds a final status.
 */
export const pollChunks = async (
  ctx: RunContext,
  chunks: readonly ChunkState[],
  memory: PollMemory,
  options: PollOptions,
): Promise<PollProgress> => {
  const progress = { completed: 0, errors: 0, target: 0, written: 0 };
  await Promise.all(
    [...Map.groupBy(chunks, (c) => `${c.account_id}|${c.region}`).values()].map(async (group) => {
      try {
        await pollScope(ctx, group, memory, options, progress);
      } catch (error) {
        if (ctx.signal.aborted || isAbort(error)) throw error;
        // One unreachable account+region must not stall the others; it is asked again next round.
        ctx.log.warn(
          { err: error, accountId: group[0]?.account_id, region: group[0]?.region },
          'poll failed for this account+region; retrying next round',
        );
      }
    }),
  );
  return progress;
};

const pollScope = async (
  ctx: RunContext,
  group: readonly ChunkState[],
  memory: PollMemory,
  options: PollOptions,
  progress: { completed: number; errors: number; target: number; written: number },
): Promise<void> => {
  const first = group[0];
  const account = first ? ctx.deps.accounts.get(first.account_id) : undefined;
  if (!first || !account) return;
  const client = ctx.deps.ssm.reader(account, first.region, ctx.session);
  const wanted = new Map(group.flatMap((c) => (c.command_id ? [[c.command_id, c] as const] : [])));
  const seen = await listCommands(ctx, client, first, wanted);

  const now = Date.now();
  const finished: ChunkState[] = [];
  const refresh: ChunkState[] = [];
  for (const [commandId, chunk] of wanted) {
    const command = seen.get(commandId);
    if (!command) continue;
    progress.completed += command.CompletedCount ?? 0;
    progress.errors += command.ErrorCount ?? 0;
    progress.target += command.TargetCount ?? chunk.instance_count;
    if (command.Status && TERMINAL_COMMAND.has(command.Status)) finished.push(chunk);
    else if (options.details === 'all' || now - (memory.get(chunk.id) ?? chunk.sent_at ?? now) >= ctx.deps.settings.detailRefreshMs)
      refresh.push(chunk);
  }
  if (finished.length === 0 && refresh.length === 0) return;

  const open = await listOpenExecutions(
    ctx.deps.pool,
    [...finished, ...refresh].map((c) => c.id),
  );
  const complete: string[] = [];
  const collect = async (chunk: ChunkState, isFinished: boolean): Promise<void> => {
    const target = { accountId: chunk.account_id, region: chunk.region, commandId: chunk.command_id ?? '' };
    const waiting = open.get(chunk.id) ?? new Set<string>();
    if (!isFinished) {
      memory.set(chunk.id, now);
      if (waiting.size > 0) progress.written += (await collectInvocations(ctx, client, target, waiting)).written;
      return;
    }
    if (waiting.size > 0) {
      const got = await collectInvocations(ctx, client, target, waiting);
      progress.written += got.written;
      // A finished command lists every target; one it does not list never got an invocation.
      const unlisted = [...waiting].filter((id) => !got.listed.has(id));
      if (unlisted.length > 0) {
        ctx.log.warn({ commandId: target.commandId, instances: unlisted }, 'finished command lists no invocation for some targets');
        progress.written += await finishExecutionsOfCommand(
          ctx.deps.pool,
          target.commandId,
          unlisted,
          'failed',
          'SSM reported no invocation for this instance',
        );
      }
      // Still open (full output not readable yet): the chunk is read again next round.
      if ([...waiting].some((id) => got.listed.has(id) && !got.finished.has(id))) return;
    }
    complete.push(chunk.id);
    memory.delete(chunk.id);
  };
  // A few commands at a time per account+region: each holds at most one page until it is written. The work
  // queue bounds the calls, not what follows a call (a page waiting for a database connection): this bounds both.
  const collecting = new PQueue({ concurrency: COLLECT_PARALLEL });
  await collecting.addAll([...finished.map((c) => () => collect(c, true)), ...refresh.map((c) => () => collect(c, false))]);
  await completeChunks(ctx.deps.pool, complete);
};

const listCommands = async (
  ctx: RunContext,
  client: SSMClient,
  first: ChunkState,
  wanted: ReadonlyMap<string, ChunkState>,
): Promise<Map<string, Command>> => {
  const seen = new Map<string, Command>();
  const job = jobFor(ctx, first.account_id, first.region);
  const call = (input: ListCommandsCommandInput) =>
    ctx.deps.queues.run(job, () => client.send(new ListCommandsCommand(input), { abortSignal: ctx.signal }));
  if (wanted.size <= BY_ID_MAX) {
    for (const id of wanted.keys()) {
      try {
        const page = await call({ CommandId: id });
        for (const c of page.Commands ?? []) if (c.CommandId) seen.set(c.CommandId, c);
      } catch (error) {
        // Right after SendCommand SSM may not know the id yet: not seen this round.
        if (!isUnknownCommand(error)) throw error;
      }
    }
    return seen;
  }
  // Newest first: page back until every wanted command was seen (or the listing ends).
  const earliest = Math.min(...[...wanted.values()].map((c) => c.sent_at ?? Date.now()));
  let nextToken: string | undefined;
  do {
    const page = await call({
      Filters: [{ key: 'InvokedAfter', value: ssmTimestamp(earliest - 60_000) }],
      MaxResults: 50,
      NextToken: nextToken,
    });
    for (const c of page.Commands ?? []) if (c.CommandId && wanted.has(c.CommandId)) seen.set(c.CommandId, c);
    nextToken = page.NextToken;
  } while (nextToken && seen.size < wanted.size);
  return seen;
};
