import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactNested } from './logging/redactNested.ts';
import { createSecretScrubber, type SecretScrubber } from './logging/secretScrubber.ts';

/**
 * Root logger: JSON to stdout (or `destination`). Two layers keep secrets out: values of secret-named keys
 * are redacted at any depth of a logged object and of child bindings, and every finished line (message,
 * nested strings, error messages and stacks) is scrubbed of the known secret values and token-shaped strings.
 */
export const createLogger = (level: string, scrubber: SecretScrubber = createSecretScrubber(), destination?: DestinationStream): Logger => {
  const options: LoggerOptions = {
    level,
    base: { service: 'pcm-ops-bot' },
    formatters: {
      bindings: (bindings) => redactNested(bindings),
      log: (record) => redactNested(record),
    },
    // redactNested already turned every Error into pino's serialized form (a second pass would lose its type).
    serializers: { err: (value: unknown) => value },
    hooks: { streamWrite: (line) => scrubber.scrub(line) },
  };
  // Written synchronously: pino's default stdout stream buffers and flushes at exit only on the main thread,
  // and the bot runs in a worker thread (src/start.js), where the last lines before an exit would be lost —
  // as would the lines before a crash anywhere. The bot logs a few lines a second, not per instance.
  const root = pino(options, destination ?? pino.destination({ fd: 1, sync: true }));
  // pino applies formatters.bindings to the root only; children inherit this wrapper through the prototype.
  const child = root.child;
  root.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactNested(bindings), childOptions);
  } as typeof root.child;
  return root;
};
