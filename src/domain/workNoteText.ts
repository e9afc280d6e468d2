import { statusLabel } from './statusLabel.ts';

/** What a ServiceNow work note about a run says; user names are already resolved to labels. */
export type WorkNoteFacts = {
  readonly kind: 'started' | 'finished';
  readonly runId: string;
  readonly tool: string;
  readonly toolTitle: string;
  readonly action: string;
  readonly actionTitle: string;
  readonly requester: string;
  readonly approvers: readonly string[];
  readonly targetCount: number;
  readonly scriptSha256: string;
  /** Final run status (finished notes only). */
  readonly status?: string;
  /** Executions per status (finished notes only). */
  readonly counts?: Readonly<Record<string, number>>;
  readonly threadLink: string | null;
};

const countsLine = (counts: Readonly<Record<string, number>>, total: number): string => {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${statusLabel(status)} ${n}`);
  return `${parts.join(', ') || 'no results'} (of ${total} instance(s))`;
};

/** Plain text (ServiceNow journals are text): one fact per line, the Slack thread last. */
export const workNoteText = (f: WorkNoteFacts): string => {
  const head =
    f.kind === 'started' ? `[pcm-ops] Run ${f.runId} started` : `[pcm-ops] Run ${f.runId} finished: ${statusLabel(f.status ?? 'unknown')}`;
  const lines = [
    head,
    `Tool: ${f.toolTitle} (${f.tool}); action: ${f.actionTitle} (${f.action})`,
    `Requested by: ${f.requester}; approved by: ${f.approvers.length > 0 ? f.approvers.join(', ') : 'nobody recorded'}`,
    f.kind === 'started' ? `Targets: ${f.targetCount} instance(s)` : `Results: ${countsLine(f.counts ?? {}, f.targetCount)}`,
    `Script sha256: ${f.scriptSha256}`,
    `Slack thread: ${f.threadLink ?? 'not available'}`,
  ];
  return lines.join('\n');
};
