import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/envSchema.ts';
import { HEAP_LIMIT_MB, heapLimitMbOf } from '../../src/config/heapLimitSetting.js';
import { BOT_YOUNG_GENERATION_MB, botHeapLimits } from '../../src/process/botHeapLimits.js';

const MB = 2 ** 20;

describe("the bot thread's heap limits", () => {
  it('bound the young generation, and the old generation to HEAP_LIMIT_MB (default 512)', () => {
    expect(botHeapLimits(4288 * MB, heapLimitMbOf(undefined))).toEqual({
      maxYoungGenerationSizeMb: BOT_YOUNG_GENERATION_MB,
      maxOldGenerationSizeMb: 512,
    });
    // 4,288 MB: Node's heap limit on a 24 GiB host.
    expect(botHeapLimits(4288 * MB, 2048).maxOldGenerationSizeMb).toBe(2048);
  });

  it("keep under Node's own limit (a container's memory limit, --max-old-space-size) when that is lower", () => {
    // 560 MB: Node's heap limit under a 1 GiB container limit.
    expect(botHeapLimits(560 * MB, 2048).maxOldGenerationSizeMb).toBe(560 - BOT_YOUNG_GENERATION_MB);
    expect(botHeapLimits(32 * MB, 512).maxOldGenerationSizeMb).toBe(64);
  });

  it('read HEAP_LIMIT_MB as the configuration does, falling back to the default where the configuration refuses it', () => {
    for (const raw of [undefined, '', ' ', '512', '128', '65536', '127', '65537', '1e3', '300.5', 'lots', '0x200']) {
      const configured = envSchema.shape.HEAP_LIMIT_MB.safeParse(raw);
      expect(heapLimitMbOf(raw), String(raw)).toBe(configured.success ? configured.data : HEAP_LIMIT_MB.default);
    }
    expect(heapLimitMbOf('2048')).toBe(2048);
  });
});
