import type { CustomRoute } from '@slack/bolt';

export type Readiness = { ready: boolean; reasons: string[] };

/**
 * /healthz answers 200 once the bot is ready (database migrated, Slack reachable), 503 before. It
 * answers a status only: anyone can ask, so the reasons (Slack's error text, internals) stay in the log.
 */
export const healthRoutes = (readiness: () => Readiness): CustomRoute[] => [
  {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      const state = readiness();
      res.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: state.ready ? 'ok' : 'starting' }));
    },
  },
];
