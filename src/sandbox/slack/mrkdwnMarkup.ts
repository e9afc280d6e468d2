// What Slack would turn into pings and links: the `<…>` tokens of mrkdwn (and of every message's
// top-level `text`, which Slack parses too). Tests use it to prove untrusted text stays text.

/** One piece of text the bot showed, and how Slack reads it. */
export type ShownText = { readonly where: string; readonly kind: 'text' | 'mrkdwn' | 'plain_text'; readonly text: string };

export type MarkupToken =
  | { readonly kind: 'user'; readonly id: string; readonly raw: string }
  | { readonly kind: 'channel'; readonly id: string; readonly raw: string }
  | { readonly kind: 'date'; readonly raw: string }
  /** `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`: pings. */
  | { readonly kind: 'broadcast'; readonly raw: string }
  | { readonly kind: 'link'; readonly url: string; readonly label?: string; readonly raw: string };

/** The `<…>` tokens Slack parses in mrkdwn, classified. */
export const markupTokens = (text: string): MarkupToken[] =>
  [...text.matchAll(/<([^<>]*)>/gu)].map((m): MarkupToken => {
    const raw = m[0];
    const inner = m[1] ?? '';
    const [target = '', label] = inner.split('|', 2);
    if (target.startsWith('@')) return { kind: 'user', id: target.slice(1), raw };
    if (target.startsWith('#')) return { kind: 'channel', id: target.slice(1), raw };
    if (target.startsWith('!date^')) return { kind: 'date', raw };
    if (target.startsWith('!')) return { kind: 'broadcast', raw };
    return { kind: 'link', url: target, ...(label !== undefined ? { label } : {}), raw };
  });

/** Every text object inside blocks / a view, with its type (plain_text is not parsed by Slack). */
export const textsIn = (value: unknown, where: string, out: ShownText[] = []): ShownText[] => {
  if (Array.isArray(value)) {
    value.forEach((v, i) => textsIn(v, `${where}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') {
      out.push({ where, kind: o.type, text: o.text });
      return out;
    }
    for (const [k, v] of Object.entries(o)) textsIn(v, `${where}.${k}`, out);
  }
  return out;
};
