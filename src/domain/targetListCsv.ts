import { csvDocument } from './csv.ts';

/** One line of a run's complete target list: a frozen target, or an instance pre-flight excluded. */
export type TargetListRow = {
  readonly instanceId: string;
  readonly name: string | null;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly platform: string | null;
  readonly pingStatus: string | null;
  /** null: in the plan; otherwise why pre-flight left it out. */
  readonly excluded: string | null;
};

/** The columns of the target list attached to the approval thread (issue 9, item 4). */
export const TARGET_LIST_COLUMNS: readonly { readonly header: string; readonly value: (r: TargetListRow) => string | null }[] = [
  { header: 'instance_id', value: (r) => r.instanceId },
  { header: 'name', value: (r) => r.name },
  { header: 'account', value: (r) => r.accountId },
  { header: 'region', value: (r) => r.region },
  { header: 'partition', value: (r) => r.partition },
  { header: 'platform', value: (r) => r.platform },
  { header: 'ping_status', value: (r) => r.pingStatus },
  { header: 'plan', value: (r) => (r.excluded === null ? 'target' : 'excluded') },
  { header: 'excluded_reason', value: (r) => r.excluded },
];

export const targetListCsv = (rows: Iterable<TargetListRow>): string => csvDocument(TARGET_LIST_COLUMNS, rows);
