// Parameter and setting keys are camelCase identifiers. Underscores are refused on purpose: with
// them, `targetKernel` and `target_kernel` would both become `TARGET_KERNEL`; without them the
// mapping (uppercase letter → `_` + letter) is injective, so two keys can never share a variable.
const KEY = /^[a-z][a-zA-Z0-9]*$/u;

const envName = (prefix: string, kind: string, key: string): string => {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new Error(`${kind} key ${JSON.stringify(key)} must match ${KEY.source} (camelCase, no underscores)`);
  }
  return prefix + key.replaceAll(/[A-Z]/gu, (c) => `_${c}`).toUpperCase();
};

/** `targetKernel` → `PCM_PARAM_TARGET_KERNEL`: the only way a parameter reaches a script. */
export const paramEnvName = (key: string): string => envName('PCM_PARAM_', 'parameter', key);

/** `tokenParameter` → `PCM_SETTING_TOKEN_PARAMETER`, for tool-level settings. */
export const settingEnvName = (key: string): string => envName('PCM_SETTING_', 'setting', key);
