export type OpsCommand =
  | { readonly kind: 'help'; readonly problem?: string }
  | { readonly kind: 'history'; readonly limit: number }
  | { readonly kind: 'show'; readonly runRef: string }
  | { readonly kind: 'cancel'; readonly runRef: string }
  | { readonly kind: 'freeze_status' }
  | { readonly kind: 'status' }
  | { readonly kind: 'freeze_on'; readonly reason: string }
  | { readonly kind: 'freeze_off' }
  | { readonly kind: 'inventory_sync' };

export const HISTORY_DEFAULT = 10;
export const HISTORY_MAX = 25;

/** A run id or its first characters (at least 6 hex digits), as people paste them (`backticks` allowed). */
const RUN_REF = /^[0-9a-f]{6}[0-9a-f-]{0,30}$/u;

const runRef = (raw: string | undefined): string | undefined => {
  const ref = raw?.replace(/[`'"]/gu, '').trim().toLowerCase();
  return ref && RUN_REF.test(ref) ? ref : undefined;
};

/** Parses the text after `/ops`; anything not understood becomes help with the reason. Pure. */
export const parseOpsCommand = (text: string): OpsCommand => {
  const [verb = '', ...rest] = text.trim().split(/\s+/u).filter(Boolean);
  switch (verb.toLowerCase()) {
    case '':
    case 'help':
      return { kind: 'help' };
    case 'history': {
      if (rest.length === 0) return { kind: 'history', limit: HISTORY_DEFAULT };
      const n = Number(rest[0]);
      if (!Number.isInteger(n) || n < 1)
        return { kind: 'help', problem: `\`${rest[0]}\` is not a number of runs; try \`/ops history 20\`.` };
      return { kind: 'history', limit: Math.min(n, HISTORY_MAX) };
    }
    case 'show':
    case 'cancel': {
      const ref = runRef(rest[0]);
      if (!ref) return { kind: 'help', problem: `Give a run id: \`/ops ${verb.toLowerCase()} <run id>\` (see \`/ops history\`).` };
      return { kind: verb.toLowerCase() as 'show' | 'cancel', runRef: ref };
    }
    case 'status':
      return { kind: 'status' };
    case 'freeze': {
      const [mode = '', ...reason] = rest;
      if (mode === '') return { kind: 'freeze_status' };
      if (mode.toLowerCase() === 'off') return { kind: 'freeze_off' };
      if (mode.toLowerCase() === 'on') {
        const why = reason.join(' ').trim();
        return why ? { kind: 'freeze_on', reason: why } : { kind: 'help', problem: 'Say why: `/ops freeze on <reason>`.' };
      }
      return { kind: 'help', problem: 'Use `/ops freeze on <reason>` or `/ops freeze off`.' };
    }
    case 'inventory':
      return rest[0]?.toLowerCase() === 'sync' && rest.length === 1
        ? { kind: 'inventory_sync' }
        : { kind: 'help', problem: 'Use `/ops inventory sync`.' };
    default:
      return { kind: 'help', problem: `\`${verb.slice(0, 40)}\` is not an /ops command.` };
  }
};
