import { WebClient, WebClientEvent, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import type { OpsMetrics } from '../http/opsMetrics.ts';

/**
 * A WebClient that counts its calls (by method and outcome, after its own retries) and Slack's 429s
 * for /metrics. Methods like chat.postMessage are bound to `apiCall` when the client is constructed,
 * so the count is taken in an override rather than by wrapping an instance.
 */
export const createObservedWebClient = (token: string, options: WebClientOptions, metrics: OpsMetrics): WebClient => {
  class ObservedWebClient extends WebClient {
    override async apiCall(method: string, callOptions?: Record<string, unknown>): Promise<WebAPICallResult> {
      try {
        const result = await super.apiCall(method, callOptions);
        metrics.slackCall(method, 'ok');
        return result;
      } catch (error) {
        metrics.slackCall(method, 'error');
        throw error;
      }
    }
  }
  const client = new ObservedWebClient(token, options);
  client.on(WebClientEvent.RATE_LIMITED, (_retrySec: number, request: { url?: string }) => {
    metrics.slackRateLimited(request.url?.split('/').at(-1) ?? 'unknown');
  });
  return client;
};
