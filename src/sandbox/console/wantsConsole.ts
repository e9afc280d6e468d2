/** Settings that make it the real bot: with none of them set, `npm start` starts the local console. */
export const SLACK_SETTINGS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

export const wantsConsole = (env: NodeJS.ProcessEnv): boolean => SLACK_SETTINGS.every((key) => !env[key]?.trim());
