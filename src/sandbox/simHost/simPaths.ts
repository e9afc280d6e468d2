import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paramEnvName, settingEnvName } from '../../tools/paramEnvName.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const stubsDir = path.join(here, 'stubs');
export const repoRoot = path.resolve(here, '../../..');

/**
 * Absolute path of a tool script: `scriptPath('qc-prep', 'initial-qc.sh')`. `run` executes it with its
 * includes expanded, exactly as the registry ships it.
 */
export const scriptPath = (tool: string, script: string): string => path.join(repoRoot, 'src', 'tools', tool, 'scripts', script);

/** The runtime's own naming rule: `targetKernel` → `PCM_PARAM_TARGET_KERNEL`. */
export const envName = (prefix: 'PCM_PARAM_' | 'PCM_SETTING_', key: string): string =>
  prefix === 'PCM_PARAM_' ? paramEnvName(key) : settingEnvName(key);

export const paramEnv = (
  prefix: 'PCM_PARAM_' | 'PCM_SETTING_',
  values: Readonly<Record<string, string | number | boolean>>,
): Record<string, string> => Object.fromEntries(Object.entries(values).map(([k, v]) => [envName(prefix, k), String(v)]));
