import { z } from 'zod';

const csv = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []));

const intFrom = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const slackId = (prefix: string) => new RegExp(`^${prefix}[A-Z0-9]{2,30}$`, 'u');

/** Environment variables: names are a public contract (README configuration table). */
export const envSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string({ error: 'is required' }).regex(/^xoxb-/u, 'must be a bot token (xoxb-…)'),
    SLACK_SIGNING_SECRET: z.string({ error: 'is required' }).min(8, 'is too short'),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-/u, 'must be an app-level token (xapp-…)').optional(),
    SLACK_API_URL: z.url().optional(),
    PORT: intFrom(3000, 0, 65535),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//u, 'must be a postgres:// URL').optional(),
    DATA_DIR: z.string().default('.data'),
    EMBEDDED_DB_PORT: intFrom(54329, 1024, 65535),
    OPS_TARGETS_FILE: z.string({ error: 'is required (JSON or YAML file of accounts)' }).min(1),
    APPROVAL_CHANNEL_ID: z.string({ error: 'is required' }).regex(slackId('[CG]'), 'must be a Slack channel id (C…)'),
    APPROVER_USER_IDS: csv.pipe(z.array(z.string().regex(slackId('[UW]'), 'must be Slack user ids (U…)'))),
    APPROVER_USERGROUP_ID: z.string().regex(slackId('S'), 'must be a Slack user group id (S…)').optional(),
    ADMIN_USER_IDS: csv.pipe(z.array(z.string().regex(slackId('[UW]'), 'must be Slack user ids (U…)'))),
    SERVICENOW_URL: z.url({ error: 'is required (https://<instance>.service-now.com)' }),
    SERVICENOW_USER: z.string({ error: 'is required' }).min(1),
    SERVICENOW_PASSWORD: z.string({ error: 'is required' }).min(1),
    SERVICENOW_TIMEOUT_MS: intFrom(10_000, 100, 120_000),
    CHANGE_ALLOWED_STATES: csv
      .pipe(z.array(z.enum(['implement', 'scheduled'])))
      .transform((v) => (v.length ? v : (['implement', 'scheduled'] as const))),
    CHANGE_WINDOW_GRACE_MINUTES: intFrom(0, 0, 1440),
    APPROVAL_TTL_MINUTES: intFrom(60, 1, 10_080),
    MAX_CONCURRENT_EXECUTIONS: intFrom(10, 1, 500),
    MAX_CONCURRENT_PER_REGION: intFrom(4, 1, 100),
    POLL_INTERVAL_MS: intFrom(2_000, 10, 600_000),
    POLL_MAX_INTERVAL_MS: intFrom(15_000, 10, 600_000),
    EXECUTOR_TICK_MS: intFrom(1_000, 10, 60_000),
    LEASE_SECONDS: intFrom(30, 2, 3_600),
    INVENTORY_TTL_MINUTES: intFrom(60, 0, 10_080),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.APPROVER_USER_IDS.length === 0 && !env.APPROVER_USERGROUP_ID) {
      ctx.addIssue({ code: 'custom', path: ['APPROVER_USER_IDS'], message: 'or APPROVER_USERGROUP_ID must name at least one approver' });
    }
  });

export type Env = z.infer<typeof envSchema>;
