/** Replaces known secret values and token-shaped strings in any text (a whole log line). */
export type SecretScrubber = {
  /** Adds a secret (e.g. an OAuth access token obtained at runtime); too short or empty values are ignored. */
  readonly add: (secret: string | undefined) => void;
  readonly scrub: (text: string) => string;
};

export const REDACTED = '[redacted]';

// Shorter values would match ordinary text (and could break a JSON line); real secrets are far longer.
const MIN_SECRET_LENGTH = 6;

// Slack tokens (bot, user, app-level, refresh…), whoever they belong to; a Bearer credential; a password in a URL.
const GENERIC: readonly [RegExp, string][] = [
  [/\bxox[a-z]-[0-9A-Za-z-]+/gu, REDACTED],
  [/\bxapp-[0-9A-Za-z-]+/gu, REDACTED],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gu, `$1${REDACTED}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]+:)[^\s@/"'\\]+@/giu, `$1${REDACTED}@`],
];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/**
 * Scrubs the given secret values wherever they appear, raw or as they read inside a JSON string
 * (a quote or backslash in a secret is escaped there), then the generic token shapes.
 */
export const createSecretScrubber = (secrets: Iterable<string | undefined> = []): SecretScrubber => {
  const known = new Set<string>();
  let pattern: RegExp | undefined;

  const add = (secret: string | undefined): void => {
    if (!secret || secret.length < MIN_SECRET_LENGTH || known.has(secret)) return;
    known.add(secret);
    // As it reads in a JSON string, and in JSON text inside a JSON string (a logged request body).
    const once = JSON.stringify(secret).slice(1, -1);
    known.add(once);
    known.add(JSON.stringify(once).slice(1, -1));
    // Longest first, so a secret containing another is replaced whole.
    pattern = new RegExp(
      [...known]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'gu',
    );
  };
  for (const secret of secrets) add(secret);

  return {
    add,
    scrub: (text) => {
      let out = pattern ? text.replace(pattern, REDACTED) : text;
      for (const [shape, replacement] of GENERIC) out = out.replace(shape, replacement);
      return out;
    },
  };
};
