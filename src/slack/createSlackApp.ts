import { randomUUID } from 'node:crypto';
import bolt, { type App as AppType, type CustomRoute } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config/loadConfig.ts';
import { boltLogger } from './boltLogger.ts';
import { registerActions } from './listeners/actions/register.ts';
import { registerResultActions } from './listeners/actions/registerResultActions.ts';
import { registerOutputOptions } from './listeners/options/registerOutputOptions.ts';
import { faultAudience, faultText } from './faultAudience.ts';
import { refuseFutureRequests } from './refuseFutureRequests.ts';
import { registerCommands } from './listeners/commands/register.ts';
import { registerEvents } from './listeners/events/register.ts';
import { registerOptions } from './listeners/options/register.ts';
import { registerViews } from './listeners/views/register.ts';
import type { SlackDeps } from './slackDeps.ts';

const { App, HTTPReceiver, SocketModeReceiver } = bolt;

// Bolt does not export the type; the last `error` overload is the extended handler ({ error, body, context, logger }).
type ExtendedErrorHandler = Parameters<AppType['error']>[0];

/**
 * Bolt wiring. The receiver is transport only (HTTP at POST /slack/events with signature and
 * timestamp checks, or Socket Mode when SLACK_APP_TOKEN is set). No `token` is given to App on purpose:
 * with one, Bolt calls auth.test at construction and crashes when Slack is briefly unreachable (and
 * without token verification it would call auth.test on every request). `authorize` answers from the
 * identity main.ts learns once and refuses any other workspace; /healthz stays 503 until then. HTTP
 * requests stamped more than five minutes ahead are refused before Bolt's own checks.
 */
export type BotIdentity = { readonly botId: string; readonly botUserId: string; readonly teamId: string };

/** A request from a workspace other than the bot's own (single workspace): refused, nobody is told. */
class ForeignWorkspace extends Error {}

export const createSlackApp = (
  config: Config,
  deps: SlackDeps,
  routes: CustomRoute[],
  logger: Logger,
  identity: () => Promise<BotIdentity>,
): AppType => {
  const blog = boltLogger(logger);
  const receiver = config.SLACK_APP_TOKEN
    ? new SocketModeReceiver({
        appToken: config.SLACK_APP_TOKEN,
        customRoutes: routes,
        installerOptions: { port: config.PORT },
        logger: blog,
      })
    : refuseFutureRequests(
        new HTTPReceiver({
          signingSecret: config.SLACK_SIGNING_SECRET,
          endpoints: '/slack/events',
          customRoutes: routes,
          logger: blog,
          // Dispatch every request; listeners ack themselves within Slack's 3 s.
          processBeforeResponse: false,
          unhandledRequestTimeoutMillis: 2_900,
        }),
        logger,
      );
  const app = new App({
    receiver,
    // Single workspace: the token is fixed and its identity is learned once (main.ts), not per request.
    // Single workspace: a request from another team is refused (a shared signing secret would not tell).
    authorize: async (source) => {
      const me = await identity();
      if (source.teamId !== me.teamId) throw new ForeignWorkspace(`request from team ${String(source.teamId)}, not this workspace`);
      return { botToken: config.SLACK_BOT_TOKEN, botId: me.botId, botUserId: me.botUserId, teamId: me.teamId };
    },
    logger: blog,
    // The error handler gets the request body, so the person who hit a fault can be told its reference.
    extendedErrorHandler: true,
    clientOptions: {
      ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
      retryConfig: { retries: 5, factor: 2, minTimeout: 500 },
    },
  });
  registerCommands(app, deps);
  registerViews(app, deps);
  registerActions(app, deps);
  registerResultActions(app, deps);
  registerOutputOptions(app, deps);
  registerEvents(app, deps);
  registerOptions(app, deps);

  // The one error handler: a fault is logged with a correlation id the person also sees.
  const onFault: ExtendedErrorHandler = async ({ error, body }) => {
    const correlationId = randomUUID();
    const e = error as Error & { original?: unknown; code?: string };
    if (e.original instanceof ForeignWorkspace) {
      logger.warn({ reason: e.original.message }, 'refused a request from another Slack workspace');
      return;
    }
    const audience = faultAudience(body);
    logger.error({ err: e.original ?? e, code: e.code, correlationId, user: audience?.user }, 'slack listener fault');
    if (!audience) return;
    try {
      const text = faultText(correlationId);
      const shown = audience.channel ? await deps.sender.ephemeral(audience.channel, audience.user, text) : false;
      // No channel (a modal, App Home) or the ephemeral was refused: a direct message.
      if (!shown) await deps.sender.post(audience.user, { text });
    } catch (notifyError) {
      logger.warn({ err: notifyError, correlationId }, 'could not tell the person about a fault');
    }
  };
  app.error(onFault);
  return app;
};
