/** SSM answered "not now" and did nothing: safe to try the same call again after a pause. */
export const isThrottle = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'ThrottlingException' || e.name === 'TooManyRequestsException' || e.$metadata?.httpStatusCode === 429;
};

/**
 * SSM definitely refused the request (a 4xx that is not throttling): the command was not created.
 * Anything else (5xx, timeout, dropped connection) is ambiguous: it may have run.
 */
export const isDefiniteRejection = (error: unknown): boolean => {
  const e = error as { $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return !isThrottle(error) && e.$fault === 'client' && status !== undefined && status >= 400 && status < 500;
};
