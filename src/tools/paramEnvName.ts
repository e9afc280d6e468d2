// Parameter and setting keys are camelCase identifiers, turned into names by putting `_` before each
// capital. Underscores are refused (`target_kernel` and `targetKernel` would share TARGET_KERNEL), and
// so are two capitals in a row: `instanceID` would become INSTANCE_I_D, which nobody would guess when
// writing the script (write `instanceId` → INSTANCE_ID). Within these rules the mapping is injective.
const KEY = /^[a-z][a-zA-Z0-9]*$/u;

const envName = (prefix: string, kind: string, key: string): string => {
  if (typeof key !== 'string' || !KEY.test(key) || /[A-Z]{2}/u.test(key)) {
    throw new Error(
      `${kind} key ${JSON.stringify(key)} must match ${KEY.source} without two capitals in a row (camelCase, no underscores)`,
    );
  }
  return prefix + key.replaceAll(/[A-Z]/gu, (c) => `_${c}`).toUpperCase();
};

/** `targetKernel` → `PCM_PARAM_TARGET_KERNEL`: the only way a parameter reaches a script. */
export const paramEnvName = (key: string): string => envName('PCM_PARAM_', 'parameter', key);

/** `tokenParameter` → `PCM_SETTING_TOKEN_PARAMETER`, for tool-level settings. */
export const settingEnvName = (key: string): string => envName('PCM_SETTING_', 'setting', key);
