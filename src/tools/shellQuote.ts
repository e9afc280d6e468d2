/**
 * Quotes `value` as one POSIX shell word: everything between single quotes is literal in every
 * POSIX shell (dash, bash, bash-as-sh), so the only character needing care is `'` itself, which is
 * written as `'\''` (close quote, escaped quote, reopen). Newlines, `$`, backticks, backslashes and
 * control characters stay literal inside the quotes.
 *
 * Throws on NUL (no shell word or environment variable can hold one: it would be silently truncated)
 * and on ill-formed UTF-16 (a lone surrogate would be re-encoded as U+FFFD on the way to the host,
 * so the script would not see the value that was validated and recorded).
 */
export const shellQuote = (value: string): string => {
  if (typeof value !== 'string') throw new TypeError('shellQuote: value must be a string');
  if (value.includes('\0')) throw new Error('shellQuote: value contains a NUL character, which cannot be passed to a shell');
  if (!value.isWellFormed()) throw new Error('shellQuote: value is not well-formed Unicode (lone surrogate)');
  return `'${value.replaceAll("'", `'\\''`)}'`;
};
