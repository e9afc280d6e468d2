/**
 * Runs `task` now and then every `intervalMs` (never two at once); stop() waits for the one in flight.
 * Interim: the credential checks move onto the project's background-job runner when it lands.
 */
export const createEvery = (intervalMs: number, task: () => Promise<void>, onError: (error: unknown) => void) => {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = (): void => {
    running = task().catch(onError).finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  return {
    start: (): void => tick(),
    stop: async (): Promise<void> => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
};
