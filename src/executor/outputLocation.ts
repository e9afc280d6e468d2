import type { CommandInvocation } from '@aws-sdk/client-ssm';

// Run Command names CloudWatch streams <CommandId>/<InstanceId>/<PluginId>/stdout|stderr; the plugin
// id of AWS-RunShellScript is aws:runShellScript with ':' (not allowed in stream names) as '-'.
const SHELL_PLUGIN_STREAM = 'aws-runShellScript';

/**
 * Where SSM also wrote this invocation's output, as reported with the invocation: the S3 object URLs
 * and/or the CloudWatch Logs group and streams. Null when the command had neither.
 */
export const outputLocationOf = (inv: CommandInvocation): Record<string, unknown> | null => {
  const plugin = inv.CommandPlugins?.[0];
  const stdoutUrl = inv.StandardOutputUrl || plugin?.StandardOutputUrl;
  const stderrUrl = inv.StandardErrorUrl || plugin?.StandardErrorUrl;
  const group = inv.CloudWatchOutputConfig?.CloudWatchOutputEnabled ? inv.CloudWatchOutputConfig.CloudWatchLogGroupName : undefined;
  const location: Record<string, unknown> = {};
  if (stdoutUrl || stderrUrl) location.s3 = { stdout: stdoutUrl ?? null, stderr: stderrUrl ?? null };
  if (group && inv.CommandId && inv.InstanceId) {
    const stream = `${inv.CommandId}/${inv.InstanceId}/${SHELL_PLUGIN_STREAM}`;
    location.cloudWatch = { logGroup: group, stdoutStream: `${stream}/stdout`, stderrStream: `${stream}/stderr` };
  }
  return Object.keys(location).length > 0 ? location : null;
};
