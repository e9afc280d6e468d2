import { CancelCommandCommand } from '@aws-sdk/client-ssm';
import type { ChunkState } from '../db/queries/chunks.ts';
import { jobFor, type RunContext } from './executorDeps.ts';
import { isAbort } from './ssmErrors.ts';

/** CancelCommand for each sent chunk's command; returns the command ids SSM accepted the cancel for. */
export const cancelCommands = async (ctx: RunContext, chunks: readonly ChunkState[]): Promise<string[]> => {
  const accepted: string[] = [];
  await Promise.all(
    chunks.map(async (c) => {
      const account = ctx.deps.accounts.get(c.account_id);
      if (c.status !== 'sent' || !c.command_id || !account) return;
      const commandId = c.command_id;
      try {
        await ctx.deps.queues.run(jobFor(ctx, c.account_id, c.region), () =>
          ctx.deps.ssm
            .reader(account, c.region, ctx.session)
            .send(new CancelCommandCommand({ CommandId: commandId }), { abortSignal: ctx.signal }),
        );
        accepted.push(commandId);
      } catch (error) {
        if (ctx.signal.aborted || isAbort(error)) throw error;
        ctx.log.warn({ err: error, commandId }, 'CancelCommand failed');
      }
    }),
  );
  return accepted;
};
