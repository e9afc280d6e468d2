/**
 * Text from people, hosts and ServiceNow is data, never markup. Slack parses `&`, `<` and `>` in mrkdwn
 * and in every message's top-level `text` (notifications): unescaped, `<!channel>` pings a channel,
 * `<@U…>` a person and `<https://evil|Approve>` is a disguised link. Escape a value exactly once, where
 * it is interpolated into mrkdwn (builders, notes), never at its source (the database and ServiceNow
 * keep the real text).
 */

// C0/C1 controls except tab and newline; bidi embeddings, overrides, isolates and marks (they can
// make text read differently from what it is); invisible zero-width characters and the BOM.
// ZWJ/ZWNJ (U+200C/U+200D) stay: emoji sequences and some scripts need them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;

/** Removes control, bidi-control and invisible characters; Unicode line/paragraph separators become newlines. For plain_text too. */
export const cleanText = (value: string): string => value.replace(/\r\n?|[\u2028\u2029]/gu, '\n').replace(INVISIBLE, '');

/** Slack's "Escaping text": only `&`, `<`, `>` (not a full HTML encoding), after `cleanText`. */
export const escapeText = (value: string): string => cleanText(value).replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');

/**
 * One line of at most `max` characters (code points), escaped: all whitespace runs (newlines too)
 * become one space, and longer text is cut with "…". For what a host says about itself.
 */
export const escapeLine = (value: string, max: number): string => {
  const chars = [...cleanText(value).replace(/\s+/gu, ' ').trim()];
  return escapeText(chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : chars.join(''));
};
