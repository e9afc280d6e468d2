import { z } from 'zod';
import { secondApprovalPolicies } from '../domain/approvalPolicy.ts';
import { HEAP_LIMIT_MB } from './heapLimitSetting.js';
import { isSecureServiceUrl } from './secureServiceUrl.ts';

const csv = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );

const intFrom = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const slackId = (prefix: string) => new RegExp(`^${prefix}[A-Z0-9]{2,30}$`, 'u');

const approverRef = z.string().regex(slackId('[SUW]'), 'must be a Slack user group id (S…) or user id (U…)');

const channelRef = z.string().regex(slackId('[CG]'), 'must be a Slack channel id (C…)');

/** JSON object: tool id (folder name) → one Slack id or a non-empty list of them; unset or blank = {}. */
const toolMap = (entry: z.ZodString, what: string, example: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx): unknown => {
      if (!v?.trim()) return {};
      try {
        return JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be JSON, e.g. ${example}` });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .record(
          z.string(),
          z
            .union([entry, z.array(entry).min(1, 'must not be an empty list')], { error: `values must be ${what}` })
            .transform((v) => (Array.isArray(v) ? v : [v])),
        )
        .superRefine((map, ctx) => {
          for (const key of Object.keys(map)) {
            if (!/^[a-z0-9][a-z0-9-]{0,40}$/u.test(key))
              ctx.addIssue({ code: 'custom', path: [key], message: 'is not a tool id (the tool folder name, e.g. sft-fix)' });
          }
        }),
    );

/** Environment variables: names are a public contract (README configuration table). */
export const envSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string({ error: 'is required' }).regex(/^xoxb-/u, 'must be a bot token (xoxb-…)'),
    SLACK_SIGNING_SECRET: z.string({ error: 'is required' }).min(8, 'is too short'),
    SLACK_APP_TOKEN: z
      .string()
      .regex(/^xapp-/u, 'must be an app-level token (xapp-…)')
      .optional(),
    SLACK_API_URL: z.url().optional(),
    PORT: intFrom(3000, 0, 65535),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//u, 'must be a postgres:// URL')
      .optional(),
    // The owner of the schema: migrations run as it at start; the bot itself runs as DATABASE_URL.
    DATABASE_MIGRATION_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//u, 'must be a postgres:// URL')
      .optional(),
    DATA_DIR: z.string().default('.data'),
    EMBEDDED_DB_PORT: intFrom(54329, 1024, 65535),
    OPS_TARGETS_FILE: z.string({ error: 'is required (JSON or YAML file of accounts)' }).min(1),
    APPROVAL_CHANNEL_ID: z.string({ error: 'is required' }).regex(slackId('[CG]'), 'must be a Slack channel id (C…)'),
    APPROVER_USER_IDS: csv.pipe(z.array(z.string().regex(slackId('[UW]'), 'must be Slack user ids (U…)'))),
    APPROVER_USERGROUP_ID: z.string().regex(slackId('S'), 'must be a Slack user group id (S…)').optional(),
    ADMIN_USER_IDS: csv.pipe(z.array(z.string().regex(slackId('[UW]'), 'must be Slack user ids (U…)'))),
    SERVICENOW_URL: z
      .url({ error: 'is required (https://<instance>.service-now.com)' })
      .refine(isSecureServiceUrl, 'must be https:// (http:// only for a loopback host: 127.0.0.1, ::1, localhost)'),
    // Basic auth; required unless OAuth client credentials are set (checked below).
    SERVICENOW_USER: z.string().min(1).optional(),
    SERVICENOW_PASSWORD: z.string().min(1).optional(),
    // OAuth client credentials (POST /oauth_token.do); when set they are used instead of basic auth.
    SERVICENOW_CLIENT_ID: z.string().min(1).optional(),
    SERVICENOW_CLIENT_SECRET: z.string().min(1).optional(),
    SERVICENOW_TIMEOUT_MS: intFrom(10_000, 100, 120_000),
    CHANGE_ALLOWED_STATES: csv
      .pipe(z.array(z.enum(['implement', 'scheduled'])))
      .transform((v) => (v.length ? v : (['implement', 'scheduled'] as const))),
    CHANGE_WINDOW_GRACE_MINUTES: intFrom(0, 0, 1440),
    // The change must be assigned to one of these groups (sys_ids or names); empty = not checked.
    CHANGE_ASSIGNMENT_GROUPS: csv,
    // Every target must be an affected CI of the change (task_ci: instance id or host name).
    CHANGE_REQUIRE_CI_COVERAGE: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    // A second, different approver for mutating actions (all, or only those touching GovCloud); `off` is logged as a warning.
    SECOND_APPROVAL: z.enum(secondApprovalPolicies, { error: `must be one of ${secondApprovalPolicies.join(', ')}` }).default('mutating'),
    // Tool id → its own approvers (a user group id or a list of group/user ids), replacing the global ones for that tool.
    TOOL_APPROVER_GROUPS: toolMap(approverRef, 'a user group id (S…) or a list of group/user ids', '{"sft-fix":"S0123ABCD"}'),
    // Tool id → who may request it (group/user ids); a tool not listed may be requested by anyone.
    TOOL_REQUESTER_GROUPS: toolMap(approverRef, 'a user group id (S…) or a list of group/user ids', '{"sft-fix":"S0123ABCD"}'),
    // Tool id → the channels its slash command may be used in; a tool not listed may be used anywhere.
    TOOL_ALLOWED_CHANNELS: toolMap(channelRef, 'a channel id (C…) or a list of channel ids', '{"sft-fix":["C0123ABCD"]}'),
    APPROVAL_TTL_MINUTES: intFrom(60, 1, 10_080),
    SUBMIT_RATE_PER_MINUTE: intFrom(10, 1, 1_000),
    MAX_CONCURRENT_EXECUTIONS: intFrom(10, 1, 500),
    MAX_CONCURRENT_PER_REGION: intFrom(4, 1, 100),
    POLL_INTERVAL_MS: intFrom(2_000, 10, 600_000),
    POLL_MAX_INTERVAL_MS: intFrom(15_000, 10, 600_000),
    EXECUTOR_TICK_MS: intFrom(1_000, 10, 60_000),
    // How often a scheduled run's change is checked in ServiceNow while it waits for its window (and at the window start).
    SCHEDULED_CHECK_SECONDS: intFrom(300, 1, 86_400),
    // The Slack outbox retries an unsent message for as long as Slack is away, backing off up to this.
    SLACK_RETRY_MAX_SECONDS: intFrom(30, 1, 3_600),
    // /readyz fails ("outbox") when the oldest owed Slack message is older than this and nothing was delivered for as long; 0: never.
    OUTBOX_STUCK_SECONDS: intFrom(300, 0, 86_400),
    LEASE_SECONDS: intFrom(30, 2, 3_600),
    // On SIGTERM/SIGINT: how long in-flight SSM calls (and other work) may take to settle before they are cut off.
    SHUTDOWN_GRACE_SECONDS: intFrom(20, 1, 600),
    // Old-generation heap of the bot's thread (src/start.js), MB; Node's own limit if lower. Past it the process exits 1.
    HEAP_LIMIT_MB: intFrom(HEAP_LIMIT_MB.default, HEAP_LIMIT_MB.min, HEAP_LIMIT_MB.max),
    // How old an unanswered SendCommand's intent must be before "not in ListCommands" means "never created" (then it is sent again).
    RECONCILE_GRACE_SECONDS: intFrom(60, 1, 3_600),
    // How often a still-running command's per-instance statuses are read (long runs); finished commands are read at once.
    POLL_DETAIL_INTERVAL_SECONDS: intFrom(60, 1, 3_600),
    // Runs one replica drives at once; the rest wait for a free slot here or on another replica.
    MAX_ACTIVE_RUNS: intFrom(50, 1, 1_000),
    INVENTORY_TTL_MINUTES: intFrom(60, 0, 10_080),
    // Minutes between credential checks; decimals allowed (e.g. 0.05 = 3 s, for tests and the sandbox).
    CREDENTIAL_CHECK_MINUTES: z.coerce.number().min(0.05).max(1_440).default(5),
    CREDENTIAL_CHECK_TIMEOUT_MS: intFrom(10_000, 100, 120_000),
    // Retention (a periodic job): stored stdout/stderr of executions finished longer ago is removed (0 = keep).
    OUTPUT_RETENTION_DAYS: intFrom(90, 0, 36_500),
    // Inventory rows of instances not seen for this long are deleted (0 = keep).
    INSTANCE_RETENTION_DAYS: intFrom(30, 0, 36_500),
    // Rows changed per retention statement (each batch is one short transaction).
    RETENTION_BATCH_SIZE: intFrom(1_000, 1, 50_000),
    // How often the background job syncs every account/region's inventory (DescribeInstanceInformation); 0 = on demand only.
    INVENTORY_SYNC_MINUTES: intFrom(15, 0, 1_440),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.APPROVER_USER_IDS.length === 0 && !env.APPROVER_USERGROUP_ID) {
      ctx.addIssue({ code: 'custom', path: ['APPROVER_USER_IDS'], message: 'or APPROVER_USERGROUP_ID must name at least one approver' });
    }
    if (env.DATABASE_MIGRATION_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_MIGRATION_URL'],
        message: 'needs DATABASE_URL (the embedded PostgreSQL migrates by itself)',
      });
    }
  })
  // ServiceNow credentials: runs even when other settings failed, so every problem is listed at once.
  .superRefine(
    (env, ctx) => {
      if (typeof env !== 'object' || env === null) return;
      const oauth = Boolean(env.SERVICENOW_CLIENT_ID) || Boolean(env.SERVICENOW_CLIENT_SECRET);
      if (oauth) {
        for (const key of ['SERVICENOW_CLIENT_ID', 'SERVICENOW_CLIENT_SECRET'] as const) {
          if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when the other OAuth client setting is set' });
        }
        return;
      }
      for (const key of ['SERVICENOW_USER', 'SERVICENOW_PASSWORD'] as const) {
        if (!env[key])
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'is required (or set SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET for OAuth)',
          });
      }
    },
    { when: () => true },
  );

export type Env = z.infer<typeof envSchema>;
