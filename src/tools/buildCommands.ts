import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CHANGE_NUMBER } from '../domain/changeRules.ts';
import { paramEnvName, settingEnvName } from './paramEnvName.ts';
import type { LoadedAction } from './registry.ts';
import { shellQuote } from './shellQuote.ts';

export type BuildCommandsContext = {
  readonly runId: string;
  readonly changeNumber: string;
  /** Tool-level settings, exported as `PCM_SETTING_<UPPER_SNAKE>`. */
  readonly settings?: Readonly<Record<string, string>>;
};

export type BuildCommandsInput = {
  readonly action: LoadedAction;
  /** Parameters already validated by `action.params`; validated again here. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly context: BuildCommandsContext;
};

const contextSchema = z.strictObject({
  runId: z.uuid(),
  changeNumber: z.string().regex(CHANGE_NUMBER),
  settings: z.record(z.string(), z.string()).optional(),
});

/**
 * Linux MAX_ARG_STRLEN (32 pages of 4 KiB, including the terminating NUL): the longest single
 * argument or `NAME=value` environment string `execve` accepts. Beyond it the host would fail with
 * E2BIG, so refuse here where the error is clear.
 */
const MAX_EXEC_STRING_BYTES = 131_071;

const checkExecSize = (what: string, text: string): void => {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EXEC_STRING_BYTES)
    throw new Error(`${what} is ${bytes} bytes; the limit for one exec argument is ${MAX_EXEC_STRING_BYTES}`);
};

const exportLine = (name: string, value: string): string => {
  checkExecSize(`environment variable ${name}`, `${name}=${value}`);
  return `export ${name}=${shellQuote(value)}`;
};

/** The text a parsed parameter value becomes in the environment; `undefined` means "leave unset". */
const envValue = (key: string, value: unknown): string | undefined => {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number': {
      // Plain decimal only: `String(1e21)` is "1e+21", which no script should have to parse.
      const text = String(value);
      if (!Number.isFinite(value) || /e/iu.test(text)) throw new Error(`parameter ${key}: ${text} has no plain decimal form`);
      return text;
    }
    case 'undefined':
      return undefined;
    default:
      if (value === null) return undefined;
      throw new Error(`parameter ${key}: a ${Array.isArray(value) ? 'array' : typeof value} cannot be passed as an environment variable`);
  }
};

/**
 * The fixed bootstrap the outer shell execs: a first bash reads the script from its stdin (the
 * heredoc), then replaces itself with the bash that runs it, with /dev/null as stdin and
 * `<tool>/<action>` as `$0`. An empty or unreadable script runs nothing and fails.
 */
const BOOTSTRAP =
  'PCM_SCRIPT=$(/bin/cat) && [ -n "$PCM_SCRIPT" ] || exit 125; export -n PCM_SCRIPT; exec /bin/bash -c "$PCM_SCRIPT" "$0" </dev/null';

/**
 * Builds the `commands` list of an AWS-RunShellScript invocation for one action.
 *
 * The SSM agent joins the list with "\n" into a file and runs it with `sh` (dash on Debian/Ubuntu,
 * bash in POSIX mode on Amazon Linux/RHEL). That outer shell only:
 *   1. unsets the test-only PCM_ROOT and exports the run context, settings and parameters, each
 *      value as one single-quoted word (an absent optional parameter is unset);
 *   2. execs `/bin/bash -c BOOTSTRAP <tool>/<action> <<'PCM_SCRIPT_<sha256 prefix>'` followed by the
 *      script lines verbatim: a quoted heredoc, so the outer shell expands nothing in them. Because
 *      of `exec`, the exit code of the invocation is the script's.
 *
 * Why not simpler forms:
 * - `/bin/bash <<'DELIM'`: bash would read the script from stdin while running it, so any command
 *   that reads stdin (`read`, `ssh`, a prompting package manager) would swallow the rest of the
 *   script, which would then silently not run, and the run would still exit 0.
 * - `PCM_SCRIPT=$(cat <<'DELIM' … DELIM)`: bash before 5.2 (the `sh` of Amazon Linux 2 and RHEL 7–9)
 *   mis-parses a quoted heredoc inside `$(…)` (a backslash at the end of a line joins two lines), so
 *   the script run would differ from the script hashed. A heredoc on a plain command is literal in
 *   every POSIX shell.
 *
 * Deterministic: same inputs, same list (settings and parameters sorted by key). Throws on invalid
 * parameters or context, a script whose text does not match its recorded sha256, a script line equal
 * to the heredoc delimiter, NUL characters, and values too large to exec.
 */
export const buildCommands = ({ action, params, context }: BuildCommandsInput): string[] => {
  const label = `${action.toolId}/${action.id}`;
  if (action.interpreter !== 'bash' || action.platform !== 'Linux') {
    throw new Error(`${label}: only bash on Linux can run through AWS-RunShellScript`);
  }

  const ctx = contextSchema.safeParse(context);
  if (!ctx.success) throw new Error(`${label}: invalid run context\n${z.prettifyError(ctx.error)}`);

  // Defence in depth: the caller validated already, but nothing reaches a host unvalidated.
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new Error(`${label}: parameters must be an object`);
  const shape = action.params.shape;
  const unknownKeys = Object.keys(params).filter((key) => !Object.hasOwn(shape, key));
  if (unknownKeys.length > 0) throw new Error(`${label}: unknown parameter(s) ${unknownKeys.join(', ')}`);
  const parsed = action.params.safeParse(params);
  if (!parsed.success) throw new Error(`${label}: invalid parameters\n${z.prettifyError(parsed.error)}`);
  const values = parsed.data as Record<string, unknown>;

  const script = action.scriptContent;
  const sha256 = createHash('sha256').update(script, 'utf8').digest('hex');
  if (sha256 !== action.scriptSha256) throw new Error(`${label}: script text does not match its recorded sha256`);
  if (script.trim() === '') throw new Error(`${label}: script is empty`);
  if (script.includes('\0')) throw new Error(`${label}: script contains a NUL character`);
  checkExecSize(`${label}: script`, script);
  const delimiter = `PCM_SCRIPT_${sha256.slice(0, 16)}`;
  const scriptLines = script.split('\n');
  if (scriptLines.at(-1) === '') scriptLines.pop();
  if (scriptLines.includes(delimiter)) throw new Error(`${label}: script contains the heredoc delimiter line ${delimiter}`);

  const commands = [
    // PCM_ROOT re-roots every file the scripts open; it exists for tests only and must never be
    // inherited from the agent's environment on a real host.
    'unset PCM_ROOT',
    exportLine('PCM_RUN_ID', ctx.data.runId),
    exportLine('PCM_CHANGE_NUMBER', ctx.data.changeNumber),
    exportLine('PCM_TOOL', action.toolId),
    exportLine('PCM_ACTION', action.id),
    exportLine('PCM_SCRIPT_SHA256', sha256),
  ];
  const settings = ctx.data.settings ?? {};
  for (const key of Object.keys(settings).sort()) {
    commands.push(exportLine(settingEnvName(key), settings[key] ?? ''));
  }
  for (const key of Object.keys(shape).sort()) {
    const name = paramEnvName(key);
    const value = envValue(key, values[key]);
    // An absent optional parameter is unset, never inherited from the agent's environment.
    commands.push(value === undefined ? `unset ${name}` : exportLine(name, value));
  }
  commands.push(`exec /bin/bash -c ${shellQuote(BOOTSTRAP)} ${shellQuote(label)} <<'${delimiter}'`, ...scriptLines, delimiter);
  return commands;
};
