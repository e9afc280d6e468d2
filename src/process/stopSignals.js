// @ts-check
// Plain JavaScript: src/start.js imports it (see src/config/heapLimitSetting.js).

/** The process signals that start the bot's graceful shutdown. */
export const STOP_SIGNALS = /** @type {const} */ (['SIGTERM', 'SIGINT', 'SIGHUP']);

/**
 * What the launcher and the bot's thread say to each other (a worker thread receives no process signals):
 * the bot says when it handles stop signals — until then a signal keeps its default action — and the
 * launcher forwards each one it receives after that.
 */
export const HANDLING_STOP_SIGNALS = 'handling-stop-signals';
export const STOP_SIGNAL = 'stop-signal';
