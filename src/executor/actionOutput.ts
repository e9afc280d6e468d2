import type { CloudWatchOutputConfig } from '@aws-sdk/client-ssm';
import type { LoadedAction } from '../tools/registry.ts';

/**
 * Optional per-action output destinations (`output` on the action definition): SSM then also writes every invocation's full output to S3 and/or CloudWatch Logs,
 * beyond the 24,000/8,000 characters GetCommandInvocation returns.
 */
export type ActionOutput = {
  readonly s3Bucket?: string;
  /** Outputs land under `<s3KeyPrefix>/<runId>/<commandId>/<instanceId>/…`. */
  readonly s3KeyPrefix?: string;
  /** Region of the bucket when it is not the instance's region (same partition). */
  readonly s3Region?: string;
  readonly cloudWatchLogGroup?: string;
};

export type OutputParameters = {
  OutputS3BucketName?: string;
  OutputS3KeyPrefix?: string;
  OutputS3Region?: string;
  CloudWatchOutputConfig?: CloudWatchOutputConfig;
};

/** The SendCommand fields for the action's output destinations (none when it has none). */
export const outputParameters = (action: LoadedAction, runId: string): OutputParameters => {
  const output: ActionOutput | undefined = action.output;
  if (!output) return {};
  return {
    ...(output.s3Bucket
      ? {
          OutputS3BucketName: output.s3Bucket,
          OutputS3KeyPrefix: [output.s3KeyPrefix?.replace(/\/+$/u, ''), runId].filter(Boolean).join('/'),
          ...(output.s3Region ? { OutputS3Region: output.s3Region } : {}),
        }
      : {}),
    ...(output.cloudWatchLogGroup
      ? { CloudWatchOutputConfig: { CloudWatchLogGroupName: output.cloudWatchLogGroup, CloudWatchOutputEnabled: true } }
      : {}),
  };
};
