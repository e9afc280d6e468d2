import { csvDocument } from './csv.ts';

/** One instance's outcome in a run, as the results CSV lists it. */
export type ResultRow = {
  readonly instanceId: string;
  readonly name: string | null;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** The rollout wave (0 = the canary); null when the run had no rollout. */
  readonly wave: number | null;
  readonly status: string;
  readonly statusDetails: string | null;
  /** The PCM_RESULT line's status and summary, when the script gave one. */
  readonly resultStatus: string | null;
  readonly summary: string | null;
  readonly responseCode: number | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
};

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The columns of the per-instance results CSV (issue 9, item 6): one entry per column, in order. */
export const RESULT_COLUMNS: readonly { readonly header: string; readonly value: (r: ResultRow) => string | number | boolean | null }[] = [
  { header: 'instance_id', value: (r) => r.instanceId },
  { header: 'name', value: (r) => r.name },
  { header: 'account', value: (r) => r.accountId },
  { header: 'region', value: (r) => r.region },
  { header: 'partition', value: (r) => r.partition },
  { header: 'wave', value: (r) => r.wave },
  { header: 'status', value: (r) => r.status },
  { header: 'status_details', value: (r) => r.statusDetails },
  { header: 'result_status', value: (r) => r.resultStatus },
  { header: 'summary', value: (r) => r.summary },
  { header: 'response_code', value: (r) => r.responseCode },
  { header: 'started_at', value: (r) => iso(r.startedAt) },
  { header: 'ended_at', value: (r) => iso(r.finishedAt) },
  { header: 'stdout_truncated', value: (r) => r.stdoutTruncated },
  { header: 'stderr_truncated', value: (r) => r.stderrTruncated },
];

export const resultsCsv = (rows: Iterable<ResultRow>): string => csvDocument(RESULT_COLUMNS, rows);
