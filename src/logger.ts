import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactNested } from './logging/redactNested.ts';
import { createSecretScrubber, type SecretScrubber } from './logging/secretScrubber.ts';

/**
 * Root logger: JSON to stdout (or `destination`). Two layers keep secrets out: values of secret-named keys
 * are redacted at any depth of a logged object, and every finished line (message, nested strings, error
 * messages and stacks, child bindings) is scrubbed of the known secret values and of token-shaped strings.
 */
export const createLogger = (level: string, scrubber: SecretScrubber = createSecretScrubber(), destination?: DestinationStream): Logger => {
  const options: LoggerOptions = {
    level,
    base: { service: 'pcm-ops-bot' },
    formatters: {
      bindings: (bindings) => redactNested(bindings),
      log: (record) => redactNested(record),
    },
    hooks: { streamWrite: (line) => scrubber.scrub(line) },
  };
  return destination ? pino(options, destination) : pino(options);
};
