import type { SendCommandCommandInput } from '@aws-sdk/client-ssm';
import { buildCommands } from '../tools/buildCommands.ts';
import { outputParameters } from './actionOutput.ts';
import type { RunContext } from './executorDeps.ts';

/** Everything of a run's SendCommand but the chunk's instances and Comment: the same for every chunk. */
export type SendBase = Omit<SendCommandCommandInput, 'InstanceIds' | 'Comment'>;

/**
 * Builds the run's SendCommand once (the script with its parameters is ~30 kB; 200 chunks of a
 * 10,000-instance run share one copy), or says why it cannot be built.
 */
export const prepareSend = (
  ctx: RunContext,
): { readonly ok: true; readonly base: SendBase } | { readonly ok: false; readonly reason: string } => {
  const { run, action } = ctx;
  try {
    const commands = buildCommands({
      action,
      params: run.params,
      context: { runId: run.id, changeNumber: run.change_number, settings: action.toolSettings },
    });
    return {
      ok: true,
      base: {
        DocumentName: 'AWS-RunShellScript',
        TimeoutSeconds: action.timeouts.deliverySeconds,
        MaxConcurrency: action.rate?.maxConcurrency ?? '50',
        MaxErrors: action.rate?.maxErrors ?? '100%',
        Parameters: { commands, executionTimeout: [String(action.timeouts.executionSeconds)] },
        ...outputParameters(action, run.id),
      },
    };
  } catch (error) {
    return { ok: false, reason: `refused to build the command: ${(error as Error).message}` };
  }
};
