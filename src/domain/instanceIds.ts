const INSTANCE_ID = /^(i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17})$/u;

export type ParsedInstanceIds = { readonly ids: readonly string[]; readonly invalid: readonly string[] };

/** Parses a pasted list (spaces, commas, newlines); returns valid unique ids and the invalid tokens. */
export const parseInstanceIds = (text: string): ParsedInstanceIds => {
  const tokens = text.split(/[\s,;]+/u).filter(Boolean);
  const ids: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    const id = token.toLowerCase();
    if (!INSTANCE_ID.test(id)) invalid.push(token);
    else if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  return { ids, invalid };
};
