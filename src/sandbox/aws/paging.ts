import { AwsError } from './awsError.ts';

// NextToken is an opaque cursor: the position of the next item in an append-only index, so pages stay
// stable while new commands arrive and resuming costs O(1).

export const encodeToken = (operation: string, position: number): string =>
  Buffer.from(JSON.stringify({ o: operation, p: position })).toString('base64url');

export const decodeToken = (operation: string, token: unknown): number | undefined => {
  if (token === undefined || token === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'o' in parsed &&
      'p' in parsed &&
      parsed.o === operation &&
      Number.isInteger(parsed.p)
    ) {
      return parsed.p as number;
    }
  } catch {
    // fall through
  }
  throw new AwsError('InvalidNextToken', 'The specified token is not valid.');
};

export function* descending<T>(items: readonly T[], from?: number): Generator<[number, T]> {
  for (let i = Math.min(from ?? items.length - 1, items.length - 1); i >= 0; i--) yield [i, items[i] as T];
}

export function* ascending<T>(items: readonly T[], from?: number): Generator<[number, T]> {
  for (let i = Math.max(from ?? 0, 0); i < items.length; i++) yield [i, items[i] as T];
}

/** Up to `max` matching items, and the position of the next match if there is one. */
export const collectPage = <T>(
  walk: Iterable<[number, T]>,
  max: number,
  matches: (item: T) => boolean,
): { items: T[]; next: number | undefined } => {
  const items: T[] = [];
  for (const [position, item] of walk) {
    if (!matches(item)) continue;
    if (items.length === max) return { items, next: position };
    items.push(item);
  }
  return { items, next: undefined };
};
