/** What a log line needs to know about a run (a runs row has these columns). */
export type RunIdentity = {
  readonly id: string;
  readonly tool: string;
  readonly action: string;
  readonly requester_id: string;
  readonly correlation_id: string;
};

/**
 * The fields every log line about a run carries, so an operator can follow one run across replicas
 * and match it to its audit events (which store the same correlation id).
 */
export const runLogFields = (run: RunIdentity): Record<string, string> => ({
  runId: run.id,
  tool: run.tool,
  action: run.action,
  requester: run.requester_id,
  correlationId: run.correlation_id,
});
