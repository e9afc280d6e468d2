// @ts-check
// Plain JavaScript: src/start.js imports it (see src/config/heapLimitSetting.js).

/**
 * The young generation of the bot's thread, MB. Unbounded, V8 sizes it from the machine's memory (128 MB on
 * a 24 GiB host) and a sustained burst of SSM calls grows it to that; it was most of the peak RSS at 10,000
 * instances (bench/RESULTS.md). Small, scavenges come often enough that response buffers die young.
 */
export const BOT_YOUNG_GENERATION_MB = 16;

/**
 * The heap limits of the bot's worker thread: a bounded young generation, and an old generation of
 * `heapLimitMb` (HEAP_LIMIT_MB), or what Node would give the process itself (`heapSizeLimitBytes`, which
 * follows `--max-old-space-size` and a container's memory limit) if that is lower. A modest old generation
 * is also collected sooner (V8's growing factor rises with the limit), freeing promoted response buffers.
 * @param {number} heapSizeLimitBytes
 * @param {number} heapLimitMb
 * @returns {import('node:worker_threads').ResourceLimits}
 */
export const botHeapLimits = (heapSizeLimitBytes, heapLimitMb) => ({
  maxYoungGenerationSizeMb: BOT_YOUNG_GENERATION_MB,
  maxOldGenerationSizeMb: Math.max(64, Math.min(heapLimitMb, Math.floor(heapSizeLimitBytes / 2 ** 20) - BOT_YOUNG_GENERATION_MB)),
});
