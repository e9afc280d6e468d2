import { describe, expect, it } from 'vitest';
import { paramEnvName, settingEnvName } from '../../src/tools/paramEnvName.ts';

describe('paramEnvName / settingEnvName', () => {
  it('maps camelCase keys to PCM_PARAM_/PCM_SETTING_ UPPER_SNAKE names', () => {
    expect(paramEnvName('targetKernel')).toBe('PCM_PARAM_TARGET_KERNEL');
    expect(paramEnvName('count')).toBe('PCM_PARAM_COUNT');
    expect(paramEnvName('ipv4Address')).toBe('PCM_PARAM_IPV4_ADDRESS');
    expect(paramEnvName('sizeM')).toBe('PCM_PARAM_SIZE_M');
    expect(paramEnvName('minRootFreeMb')).toBe('PCM_PARAM_MIN_ROOT_FREE_MB');
    expect(settingEnvName('tokenParameter')).toBe('PCM_SETTING_TOKEN_PARAMETER');
  });

  it('refuses keys that are not ^[a-z][a-zA-Z0-9]*$ or have two capitals in a row', () => {
    for (const key of ['', 'Target', 'target_kernel', '1x', 'a-b', 'a b', 'x;y', 'ä', 'a\n', 'instanceID', 'minRootFreeMB']) {
      expect(() => paramEnvName(key), key).toThrow(/must match/u);
      expect(() => settingEnvName(key), key).toThrow(/must match/u);
    }
  });
});
