/** Settings that make it the real bot: with none of them set, `npm start` starts the local console. */
export const SLACK_SETTINGS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

export const wantsConsole = (env: NodeJS.ProcessEnv): boolean => SLACK_SETTINGS.every((key) => !env[key]?.trim());

/** The settings the console honours; it replaces every other one with its simulated world's. */
export const CONSOLE_KEEPS: ReadonlySet<string> = new Set(['PORT', 'DATA_DIR', 'LOG_LEVEL']);
