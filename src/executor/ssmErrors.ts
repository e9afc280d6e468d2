type AwsLikeError = { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };

/**
 * AWS answered "not now" and did nothing: safe to try the same call again after a pause. (SSM says
 * ThrottlingException; the Resource Groups Tagging API, read in the same per-region bound, ThrottledException.)
 */
export const isThrottle = (error: unknown): boolean => {
  const e = error as AwsLikeError;
  return (
    e.name === 'ThrottlingException' ||
    e.name === 'ThrottledException' ||
    e.name === 'TooManyRequestsException' ||
    e.$metadata?.httpStatusCode === 429
  );
};

/**
 * SSM definitely refused the request (a 4xx that is not throttling): the command was not created.
 * Anything else (5xx, timeout, dropped connection) is ambiguous: it may have run.
 */
export const isDefiniteRejection = (error: unknown): boolean => {
  const e = error as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  return !isThrottle(error) && e.$fault === 'client' && status !== undefined && status >= 400 && status < 500;
};

/** GetCommandInvocation right after a send (or for an id SSM does not know yet): try again later. */
export const isInvocationNotYetVisible = (error: unknown): boolean => (error as AwsLikeError).name === 'InvocationDoesNotExist';

/** ListCommands by id for a command SSM does not list (yet): treat as "not seen this round". */
export const isUnknownCommand = (error: unknown): boolean => (error as AwsLikeError).name === 'InvalidCommandId';

export const isAbort = (error: unknown): boolean => (error as AwsLikeError).name === 'AbortError';
