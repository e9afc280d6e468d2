// awsJson shapes of Command, CommandInvocation and CommandPlugin as SSM returns them.
import { viewCommand, viewInvocation } from './commandSimulation.ts';
import type { InvocationEntry, InvocationView } from './commandSimulation.ts';
import type { CommandEntry } from './fakeState.ts';
import { epochSeconds } from './ssmContext.ts';
import { truncateOutput } from './truncateOutput.ts';

export const commandJson = (cmd: CommandEntry, now: number, deliveryMs: number): Record<string, unknown> => {
  const view = viewCommand(
    cmd.invocations.map((inv) => viewInvocation(inv, now, deliveryMs)),
    cmd.maxErrorsLimit,
    cmd.cancelRequested,
  );
  return {
    CommandId: cmd.commandId,
    DocumentName: cmd.documentName,
    DocumentVersion: '$DEFAULT',
    Comment: cmd.comment,
    ExpiresAfter: epochSeconds(cmd.expiresAt),
    Parameters: cmd.parameters,
    InstanceIds: cmd.instanceIds,
    Targets: [],
    RequestedDateTime: epochSeconds(cmd.requestedAt),
    Status: view.status,
    StatusDetails: view.statusDetails,
    OutputS3Region: cmd.outputS3Region,
    OutputS3BucketName: cmd.outputS3BucketName,
    OutputS3KeyPrefix: cmd.outputS3KeyPrefix,
    MaxConcurrency: cmd.maxConcurrency,
    MaxErrors: cmd.maxErrors,
    TargetCount: view.targetCount,
    CompletedCount: view.completedCount,
    ErrorCount: view.errorCount,
    DeliveryTimedOutCount: view.deliveryTimedOutCount,
    ServiceRole: '',
    NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
    CloudWatchOutputConfig: cmd.cloudWatchOutputConfig,
    TimeoutSeconds: cmd.timeoutSeconds,
  };
};

/** The agent's S3 layout: <prefix>/<commandId>/<instanceId>/awsrunShellScript/0.awsrunShellScript/stdout. */
export const outputUrl = (cmd: CommandEntry, instanceId: string, stream: 'stdout' | 'stderr'): string => {
  if (!cmd.outputS3BucketName) return '';
  const plugin = cmd.pluginName.replace(':', '');
  const prefix = cmd.outputS3KeyPrefix ? `${cmd.outputS3KeyPrefix}/` : '';
  return `https://s3.${cmd.outputS3Region}.amazonaws.com/${cmd.outputS3BucketName}/${prefix}${cmd.commandId}/${instanceId}/${plugin}/0.${plugin}/${stream}`;
};

const pluginJson = (cmd: CommandEntry, inv: InvocationEntry, view: InvocationView): Record<string, unknown> => ({
  Name: cmd.pluginName,
  Status: view.status,
  StatusDetails: view.statusDetails,
  ResponseCode: view.responseCode,
  ...(view.startedAt === undefined ? {} : { ResponseStartDateTime: epochSeconds(view.startedAt) }),
  ...(view.endedAt === undefined ? {} : { ResponseFinishDateTime: epochSeconds(view.endedAt) }),
  Output: view.terminal ? truncateOutput(view.stdout, view.stderr) : '',
  StandardOutputUrl: outputUrl(cmd, inv.instanceId, 'stdout'),
  StandardErrorUrl: outputUrl(cmd, inv.instanceId, 'stderr'),
  OutputS3Region: cmd.outputS3Region,
  OutputS3BucketName: cmd.outputS3BucketName,
  OutputS3KeyPrefix: cmd.outputS3KeyPrefix,
});

export const invocationJson = (
  cmd: CommandEntry,
  inv: InvocationEntry,
  now: number,
  deliveryMs: number,
  details: boolean,
): Record<string, unknown> => {
  const view = viewInvocation(inv, now, deliveryMs);
  return {
    CommandId: cmd.commandId,
    InstanceId: inv.instanceId,
    InstanceName: inv.instanceName,
    Comment: cmd.comment,
    DocumentName: cmd.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: epochSeconds(inv.requestedAt),
    Status: view.status,
    StatusDetails: view.statusDetails,
    TraceOutput: '',
    StandardOutputUrl: outputUrl(cmd, inv.instanceId, 'stdout'),
    StandardErrorUrl: outputUrl(cmd, inv.instanceId, 'stderr'),
    CommandPlugins: details ? [pluginJson(cmd, inv, view)] : [],
    ServiceRole: '',
    NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
    CloudWatchOutputConfig: cmd.cloudWatchOutputConfig,
  };
};
