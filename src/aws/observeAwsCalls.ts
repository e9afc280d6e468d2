import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import type { AwsService, OpsMetrics } from '../http/opsMetrics.ts';

type AwsLikeError = { name?: string; $metadata?: { httpStatusCode?: number } };

const throttled = (error: unknown): boolean => {
  const e = error as AwsLikeError;
  // The Resource Groups Tagging API names its throttle ThrottledException.
  return (
    e.name === 'ThrottlingException' ||
    e.name === 'ThrottledException' ||
    e.name === 'TooManyRequestsException' ||
    e.$metadata?.httpStatusCode === 429
  );
};

/**
 * Counts every call of an SDK client by operation, partition and outcome. Added at the initialize step,
 * i.e. once per call after the SDK's own retries: what the bot asked for and how it ended.
 */
export const observeAwsCalls = <I extends object, O extends MetadataBearer>(
  client: { readonly middlewareStack: MiddlewareStack<I, O> },
  service: AwsService,
  partition: string,
  metrics: OpsMetrics,
): void => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'unknown').replace(/Command$/u, '');
      try {
        const result = await next(args);
        metrics.awsCall(service, operation, partition, 'ok');
        return result;
      } catch (error) {
        metrics.awsCall(service, operation, partition, throttled(error) ? 'throttled' : 'error');
        throw error;
      }
    },
    { step: 'initialize', name: 'pcmOpsCallMetrics' },
  );
};
