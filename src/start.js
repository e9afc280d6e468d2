// @ts-check
// The process entry (`npm start`, the container's command): runs the bot — src/main.ts, the composition
// root — in a worker thread with bounded heap limits, so peak memory holds on a large host with default Node
// flags (bench/RESULTS.md). This thread only forwards stop signals once the bot handles them and leaves with
// the bot's exit code. It is plain JavaScript importing nothing of the bot, so it loads neither the
// TypeScript loader nor any library: those load once, in the bot's thread.
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { heapLimitMbOf } from './config/heapLimitSetting.js';
import { botHeapLimits } from './process/botHeapLimits.js';
import { HANDLING_STOP_SIGNALS, STOP_SIGNAL, STOP_SIGNALS } from './process/stopSignals.js';

const bot = new Worker(new URL('./main.ts', import.meta.url), {
  name: 'pcm-ops-bot',
  resourceLimits: botHeapLimits(getHeapStatistics().heap_size_limit, heapLimitMbOf(process.env.HEAP_LIMIT_MB)),
});

// Until the bot handles them, a signal keeps its default action (a bot still starting ends at once, as before).
bot.on('message', (/** @type {unknown} */ message) => {
  if (typeof message !== 'object' || message === null || !('kind' in message) || message.kind !== HANDLING_STOP_SIGNALS) return;
  for (const signal of STOP_SIGNALS) process.on(signal, () => bot.postMessage({ kind: STOP_SIGNAL, signal }));
});
// An error nothing caught ends the bot's thread (exit code 1 follows); it is printed as Node would print it.
bot.on('error', (error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
});
bot.on('exit', (code) => process.exit(code));
