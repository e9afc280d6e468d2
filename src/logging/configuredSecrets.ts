import type { Env } from '../config/envSchema.ts';

type SecretSettings = Pick<
  Env,
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_APP_TOKEN'
  | 'SERVICENOW_USER'
  | 'SERVICENOW_PASSWORD'
  | 'SERVICENOW_CLIENT_SECRET'
  | 'DATABASE_URL'
>;

/** The password of a postgres:// URL, as written and decoded. */
const urlPassword = (url: string | undefined): string[] => {
  if (!url) return [];
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
};

/**
 * Every secret value the bot is configured with, for the log scrubber: Slack tokens and signing secret,
 * ServiceNow password (and its Basic header form) and client secret, the database password, and the AWS
 * base credentials when they come from the environment.
 */
export const configuredSecrets = (config: SecretSettings, env: NodeJS.ProcessEnv): string[] => {
  const { SERVICENOW_USER: user, SERVICENOW_PASSWORD: password } = config;
  return [
    config.SLACK_BOT_TOKEN,
    config.SLACK_SIGNING_SECRET,
    config.SLACK_APP_TOKEN,
    password,
    password && user ? Buffer.from(`${user}:${password}`).toString('base64') : undefined,
    config.SERVICENOW_CLIENT_SECRET,
    ...urlPassword(config.DATABASE_URL),
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
  ].filter((s): s is string => Boolean(s));
};
