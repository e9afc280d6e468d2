import { pino, type Logger } from 'pino';

/** Root logger: JSON to stdout, secrets redacted wherever they might appear in logged objects. */
export const createLogger = (level: string): Logger =>
  pino({
    level,
    base: { service: 'pcm-ops-bot' },
    redact: {
      paths: [
        '*.SLACK_BOT_TOKEN', '*.SLACK_SIGNING_SECRET', '*.SLACK_APP_TOKEN', '*.SERVICENOW_PASSWORD', '*.DATABASE_URL',
        'config.*.token', '*.password', '*.secretAccessKey', '*.sessionToken', '*.SecretAccessKey', '*.SessionToken',
        'headers.authorization', '*.headers.authorization', 'err.config.headers.Authorization', '*.token',
      ],
      censor: '[redacted]',
    },
  });
