// @ts-check
// Runs scenario.ts the way src/start.js runs the bot: in a worker thread with the bot's heap limits, from a
// plain-JavaScript thread that loads nothing else, so the RSS measured is that of the product as deployed
// (default Node flags). Relays the parent's IPC messages.
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { heapLimitMbOf } from '../../src/config/heapLimitSetting.js';
import { botHeapLimits } from '../../src/process/botHeapLimits.js';

const scenario = new Worker(new URL('./scenario.ts', import.meta.url), {
  name: 'bench-scenario',
  resourceLimits: botHeapLimits(getHeapStatistics().heap_size_limit, heapLimitMbOf(process.env.HEAP_LIMIT_MB)),
});
scenario.on('message', (/** @type {unknown} */ message) => process.send?.(message));
process.on('message', (message) => scenario.postMessage(message));
scenario.on('error', (error) => process.stderr.write(`${error.stack ?? error.message}\n`));
scenario.on('exit', (code) => process.exit(code));
