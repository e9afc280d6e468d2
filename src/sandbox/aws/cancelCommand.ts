import { AwsError } from './awsError.ts';
import { viewInvocation } from './commandSimulation.ts';
import { scopedCommand } from './scopedCommand.ts';
import type { SsmContext } from './ssmContext.ts';
import { asInput, COMMAND_ID, INSTANCE_ID, optStringList, reqString } from './ssmInput.ts';

/** Non-terminal invocations pass through Cancelling to Cancelled; finished ones are left alone. */
export const cancelCommand = (ctx: SsmContext, body: unknown): unknown => {
  const input = asInput(body);
  const commandId = reqString(input, 'CommandId', COMMAND_ID);
  const instanceIds = optStringList(input, 'InstanceIds', 50, INSTANCE_ID);
  const cmd = scopedCommand(ctx, commandId);
  if (!cmd) throw new AwsError('InvalidCommandId', 'The specified command ID is not valid.');
  const targets = (instanceIds ?? cmd.instanceIds).map((id) => {
    const inv = cmd.invocationByInstance.get(id);
    if (!inv) throw new AwsError('InvalidInstanceId', `Instance ${id} is not a target of command ${commandId}.`);
    return inv;
  });
  let cancelled = 0;
  for (const inv of targets) {
    if (inv.cancelledAt !== undefined || viewInvocation(inv, ctx.now, ctx.deliveryMs).terminal) continue;
    inv.cancelledAt = ctx.now;
    cancelled++;
  }
  if (!instanceIds && cancelled > 0) cmd.cancelRequested = true;
  return {};
};
