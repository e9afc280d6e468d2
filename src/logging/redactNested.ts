import { stdSerializers } from 'pino';
import { REDACTED } from './secretScrubber.ts';

// Key names whose values are secrets at any depth (SLACK_BOT_TOKEN, clientSecret, access_token, headers.authorization…).
const SENSITIVE_KEY =
  /passw(?:or)?d|passphrase|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|credential|signature|^database_?url$/iu;
const MAX_DEPTH = 10;

const walk = (value: unknown, depth: number, ancestors: WeakSet<object>): unknown => {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (ancestors.has(value)) return '[Circular]';
  // Errors become what pino would print (message, stack, own fields, cause), then are walked like any object.
  const source: object = value instanceof Error ? stdSerializers.err(value) : value;
  // Dates, Buffers, URLs… print themselves; their text is still scrubbed line-wide.
  if (!(value instanceof Error) && typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  ancestors.add(value);
  try {
    if (Array.isArray(source)) return source.map((item: unknown) => walk(item, depth + 1, ancestors));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(source)) {
      out[key] =
        SENSITIVE_KEY.test(key) && inner !== undefined && inner !== null && inner !== '' ? REDACTED : walk(inner, depth + 1, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
};

/** A copy of a log record with the values of secret-named keys replaced, at any depth. */
export const redactNested = (record: Record<string, unknown>): Record<string, unknown> =>
  walk(record, 0, new WeakSet()) as Record<string, unknown>;
