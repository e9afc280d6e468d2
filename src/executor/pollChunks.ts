import { ListCommandsCommand, type Command, type ListCommandsCommandInput, type SSMClient } from '@aws-sdk/client-ssm';
import { completeChunks, type ChunkRow } from '../db/queries/chunks.ts';
import { collectInvocations } from './collectInvocations.ts';
import type { RunContext } from './executorDeps.ts';

const TERMINAL_COMMAND = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

export type PollProgress = { readonly completed: number; readonly errors: number; readonly target: number };

/**
 * One poll round for a run's sent chunks. Cost is per account+region, not per instance: the commands'
 * own status and counts come from ListCommands (by id when there are few, else one paged listing of the
 * window), and invocations are read only for commands that have finished.
 */
export const pollChunks = async (ctx: RunContext, chunks: readonly ChunkRow[]): Promise<PollProgress> => {
  const groups = new Map<string, ChunkRow[]>();
  for (const c of chunks) {
    const key = `${c.account_id}|${c.region}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const progress = { completed: 0, errors: 0, target: 0 };
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const first = group[0];
      const account = first ? ctx.deps.accounts.get(first.account_id) : undefined;
      if (!first || !account) return;
      const client = ctx.deps.ssm.reader(account, first.region, ctx.session);
      const wanted = new Map(group.flatMap((c) => (c.command_id ? [[c.command_id, c] as const] : [])));
      const seen = await listCommands(ctx, client, first.account_id, first.region, wanted, Math.min(...group.map((c) => c.sent_at ?? Date.now())));
      const finished: string[] = [];
      for (const [commandId, chunk] of wanted) {
        const command = seen.get(commandId);
        if (!command) continue;
        progress.completed += command.CompletedCount ?? 0;
        progress.errors += command.ErrorCount ?? 0;
        progress.target += command.TargetCount ?? chunk.instance_ids.length;
        if (command.Status && TERMINAL_COMMAND.has(command.Status)) {
          await collectInvocations(ctx, client, commandId, first.account_id, first.region);
          finished.push(chunk.id);
        }
      }
      await completeChunks(ctx.deps.pool, finished);
    }),
  );
  return progress;
};

const listCommands = async (
  ctx: RunContext,
  client: SSMClient,
  accountId: string,
  region: string,
  wanted: ReadonlyMap<string, ChunkRow>,
  earliestSentAt: number,
): Promise<Map<string, Command>> => {
  const seen = new Map<string, Command>();
  const call = (input: ListCommandsCommandInput) =>
    ctx.deps.queues.run(accountId, region, () => client.send(new ListCommandsCommand(input), { abortSignal: ctx.signal }));
  if (wanted.size <= 2) {
    for (const id of wanted.keys()) {
      const page = await call({ CommandId: id });
      for (const c of page.Commands ?? []) if (c.CommandId) seen.set(c.CommandId, c);
    }
    return seen;
  }
  let nextToken: string | undefined;
  do {
    const page = await call({
      Filters: [{ key: 'InvokedAfter', value: new Date(earliestSentAt - 60_000).toISOString() }],
      MaxResults: 50,
      NextToken: nextToken,
    });
    for (const c of page.Commands ?? []) if (c.CommandId && wanted.has(c.CommandId)) seen.set(c.CommandId, c);
    nextToken = page.NextToken;
  } while (nextToken && seen.size < wanted.size);
  return seen;
};
