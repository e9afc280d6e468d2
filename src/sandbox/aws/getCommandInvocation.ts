import { AwsError } from './awsError.ts';
import { outputUrl } from './commandJson.ts';
import { viewInvocation } from './commandSimulation.ts';
import { scopedCommand } from './scopedCommand.ts';
import type { SsmContext } from './ssmContext.ts';
import { asInput, COMMAND_ID, INSTANCE_ID, optString, reqString } from './ssmInput.ts';
import { STDERR_CONTENT_LIMIT, STDOUT_CONTENT_LIMIT } from './truncateOutput.ts';

const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

export const getCommandInvocation = (ctx: SsmContext, body: unknown): unknown => {
  const input = asInput(body);
  const commandId = reqString(input, 'CommandId', COMMAND_ID);
  const instanceId = reqString(input, 'InstanceId', INSTANCE_ID);
  const pluginName = optString(input, 'PluginName', { min: 4 });
  const cmd = scopedCommand(ctx, commandId);
  const inv = cmd?.invocationByInstance.get(instanceId);
  // Real SSM needs a moment before a fresh invocation can be read; pollers must tolerate this.
  if (!cmd || !inv || ctx.now - inv.requestedAt < ctx.invocationVisibleAfterMs)
    throw new AwsError('InvocationDoesNotExist', 'The command invocation does not exist.');
  if (pluginName !== undefined && pluginName !== cmd.pluginName)
    throw new AwsError('InvalidPluginName', `Plugin ${pluginName} is not part of the document.`);
  const view = viewInvocation(inv, ctx.now, ctx.deliveryMs);
  const elapsed = view.startedAt === undefined ? '' : `PT${(((view.endedAt ?? ctx.now) - view.startedAt) / 1000).toFixed(3)}S`;
  return {
    CommandId: cmd.commandId,
    InstanceId: instanceId,
    Comment: cmd.comment,
    DocumentName: cmd.documentName,
    DocumentVersion: '$DEFAULT',
    PluginName: cmd.pluginName,
    ResponseCode: view.responseCode,
    ExecutionStartDateTime: iso(view.startedAt),
    ExecutionElapsedTime: elapsed,
    ExecutionEndDateTime: iso(view.endedAt),
    Status: view.status,
    StatusDetails: view.statusDetails,
    StandardOutputContent: view.stdout.slice(0, STDOUT_CONTENT_LIMIT),
    StandardOutputUrl: outputUrl(cmd, instanceId, 'stdout'),
    StandardErrorContent: view.stderr.slice(0, STDERR_CONTENT_LIMIT),
    StandardErrorUrl: outputUrl(cmd, instanceId, 'stderr'),
    CloudWatchOutputConfig: cmd.cloudWatchOutputConfig,
  };
};
