// What the SSM agent reports as a plugin's `Output` (ListCommandInvocations Details=true): a port of
// TruncateOutput in amazon-ssm-agent agent/framework/processor/executer/iohandler/iohandler.go
// (MaximumPluginOutputSize = 2500 in current agents; older ones used 2400). The agent counts bytes;
// this port counts UTF-16 code units, which is the same for ASCII output.
// "----- Result truncated ----" does not exist in the agent; the suffixes below are the real ones.

export const PLUGIN_OUTPUT_CAPACITY = 2500;
export const OUTPUT_TRUNCATED_SUFFIX = '\n---Output truncated---';
export const ERROR_TRUNCATED_SUFFIX = '\n---Error truncated----';
export const STDERR_SEPARATOR = '\n----------ERROR-------\n';

/** GetCommandInvocation's StandardOutputContent / StandardErrorContent limits (no suffix is appended). */
export const STDOUT_CONTENT_LIMIT = 24_000;
export const STDERR_CONTENT_LIMIT = 8_000;

export const truncateOutput = (stdout: string, stderr: string, capacity = PLUGIN_OUTPUT_CAPACITY): string => {
  const errorTitle = stderr.length > 0 ? STDERR_SEPARATOR : '';
  const available = capacity - errorTitle.length;
  if (stdout.length + stderr.length < available) return stdout + errorTitle + stderr;
  const half = Math.floor(available / 2);
  if (stdout.length > half && stderr.length > half) {
    const each = Math.floor((available - ERROR_TRUNCATED_SUFFIX.length - OUTPUT_TRUNCATED_SUFFIX.length) / 2);
    return stdout.slice(0, each) + OUTPUT_TRUNCATED_SUFFIX + errorTitle + stderr.slice(0, each) + ERROR_TRUNCATED_SUFFIX;
  }
  if (stdout.length < half) {
    const room = available - ERROR_TRUNCATED_SUFFIX.length - stdout.length;
    return stdout + errorTitle + stderr.slice(0, room) + ERROR_TRUNCATED_SUFFIX;
  }
  const room = available - OUTPUT_TRUNCATED_SUFFIX.length - stderr.length;
  return stdout.slice(0, room) + OUTPUT_TRUNCATED_SUFFIX + errorTitle + stderr;
};
