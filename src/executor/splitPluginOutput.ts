// The SSM agent's plugin Output (ListCommandInvocations Details=true) is stdout, then stderr after a
// separator, cut at ~2,500 bytes with these suffixes (amazon-ssm-agent iohandler TruncateOutput).
const STDERR_SEPARATOR = '\n----------ERROR-------\n';
const TRUNCATED = ['\n---Output truncated---', '\n---Error truncated----'];

export type SplitOutput = { readonly stdout: string; readonly stderr: string; readonly truncated: boolean };

/** Splits a plugin Output into stdout/stderr and says whether either was cut (then fetch the full text). */
export const splitPluginOutput = (output: string | undefined): SplitOutput => {
  const text = output ?? '';
  const truncated = TRUNCATED.some((marker) => text.includes(marker));
  const at = text.indexOf(STDERR_SEPARATOR);
  if (at < 0) return { stdout: text, stderr: '', truncated };
  return { stdout: text.slice(0, at), stderr: text.slice(at + STDERR_SEPARATOR.length), truncated };
};
