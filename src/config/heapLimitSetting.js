// @ts-check
// Plain JavaScript, like everything src/start.js imports: the launcher's thread then loads neither the
// TypeScript loader nor zod (~30 MB of RSS measured), only the bot's thread does.

/** HEAP_LIMIT_MB: the old-generation heap of the bot's thread, in MB (the configuration schema uses these). */
export const HEAP_LIMIT_MB = Object.freeze({ default: 512, min: 128, max: 65_536 });

/**
 * HEAP_LIMIT_MB as the launcher reads it, before any configuration is loaded: a whole number within the
 * bounds, else the default — the bot then refuses the value at start, listed with the other settings.
 * @param {string | undefined} raw
 * @returns {number}
 */
export const heapLimitMbOf = (raw) => {
  const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isInteger(value) && value >= HEAP_LIMIT_MB.min && value <= HEAP_LIMIT_MB.max ? value : HEAP_LIMIT_MB.default;
};
