import type { IncomingMessage, ServerResponse } from 'node:http';
import type bolt from '@slack/bolt';
import type { Logger } from 'pino';

type HTTPReceiver = InstanceType<typeof bolt.HTTPReceiver>;

// Slack's allowed clock skew; Bolt refuses requests stamped further in the past, not in the future.
const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Bolt's HTTPReceiver refuses a request stamped more than five minutes ago but accepts one stamped
 * any time ahead, so a signed request captured once could be replayed until its stamp passes. This
 * refuses a stamp more than five minutes ahead with a 401 like Bolt's, before Bolt reads the body;
 * every other request still goes through Bolt's signature and age checks unchanged.
 */
export const refuseFutureRequests = (receiver: HTTPReceiver, logger: Logger): HTTPReceiver => {
  const verified = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const stamp = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(stamp) && stamp > Date.now() / 1000 + MAX_SKEW_SECONDS) {
      logger.warn({ stamp, path: req.url }, 'refused a Slack request stamped more than five minutes in the future');
      res.writeHead(401);
      res.end();
      return;
    }
    verified(req, res);
  };
  return receiver;
};
