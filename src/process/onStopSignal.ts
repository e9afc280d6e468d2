import { isMainThread, parentPort } from 'node:worker_threads';
import { z } from 'zod';
import { HANDLING_STOP_SIGNALS, STOP_SIGNAL, STOP_SIGNALS } from './stopSignals.js';

export type StopSignal = (typeof STOP_SIGNALS)[number];

const forwarded = z.object({ kind: z.literal(STOP_SIGNAL), signal: z.enum(STOP_SIGNALS) });

/**
 * Calls `handler` on SIGTERM, SIGINT or SIGHUP: from the process when the bot runs on the main thread,
 * forwarded by the launcher (src/start.js) when it runs in its worker thread, which receives no signals.
 */
export const onStopSignal = (handler: (signal: StopSignal) => void): void => {
  if (isMainThread || !parentPort) {
    for (const signal of STOP_SIGNALS) process.on(signal, () => handler(signal));
    return;
  }
  const port = parentPort;
  port.on('message', (message: unknown) => {
    const parsed = forwarded.safeParse(message);
    if (parsed.success) handler(parsed.data.signal);
  });
  // The port must not keep the thread alive on its own: the bot's servers and loops do that.
  port.unref();
  port.postMessage({ kind: HANDLING_STOP_SIGNALS });
};
