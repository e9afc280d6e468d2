import type { CustomRoute } from '@slack/bolt';
import type { MetricsRegistry } from './metricsRegistry.ts';
import type { Readiness } from './readiness.ts';

const json = (res: Parameters<CustomRoute['handler']>[1], status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * Probes and metrics, served beside Slack's endpoint (so none of them is an "unhandled request").
 * /livez: the process answers. /readyz: every readiness check holds now (names of failing checks only).
 * /healthz (kept for existing probes): a status only. Anyone can ask these, so reasons (Slack's error
 * text, database errors) stay in the log.
 */
export const healthRoutes = (readiness: Readiness, registry: MetricsRegistry): CustomRoute[] => [
  { path: '/livez', method: ['GET'], handler: (_req, res) => json(res, 200, { status: 'ok' }) },
  {
    path: '/readyz',
    method: ['GET'],
    handler: (_req, res) => {
      void readiness.evaluate().then((state) =>
        json(
          res,
          state.ready ? 200 : 503,
          state.ready
            ? { status: 'ok' }
            : {
                status: 'unavailable',
                failing: state.failing,
                ...(Object.keys(state.reasons).length > 0 ? { reasons: state.reasons } : {}),
              },
        ),
      );
    },
  },
  {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      void readiness
        .evaluate()
        .then((state) => json(res, state.ready ? 200 : 503, { status: state.ready ? 'ok' : state.started ? 'unavailable' : 'starting' }));
    },
  },
  {
    path: '/metrics',
    method: ['GET'],
    handler: (_req, res) => {
      void registry.render().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        () => json(res, 500, { status: 'error' }),
      );
    },
  },
];
