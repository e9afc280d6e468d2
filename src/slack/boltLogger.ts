import { inspect } from 'node:util';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

const LEVELS: Record<string, LogLevel> = { trace: LogLevel.DEBUG, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN };

/**
 * Bolt and @slack/web-api log through the same pino logger, and so through the same redaction and
 * secret scrubbing (their own console logger would print tokens in plain text). An Error argument
 * becomes `err` (message and stack kept); other arguments join the message.
 */
export const boltLogger = (logger: Logger, component = 'bolt'): BoltLogger => {
  const log = logger.child({ component });
  let level: LogLevel = LEVELS[logger.level] ?? LogLevel.ERROR;
  const emit =
    (write: Logger['info']) =>
    (...m: unknown[]) => {
      const err = m.find((x) => x instanceof Error);
      const text = m
        .filter((x) => x !== err)
        .map((x) => (typeof x === 'string' ? x : inspect(x, { depth: 4, breakLength: Infinity })))
        .join(' ');
      if (err) write.call(log, { err }, text);
      else write.call(log, text);
    };
  return {
    debug: emit(log.debug),
    info: emit(log.info),
    warn: emit(log.warn),
    error: emit(log.error),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
};
