import { escapeText } from '../../domain/escapeText.ts';

/**
 * What `/ops` does, shown for `/ops`, `/ops help` and anything it does not understand. `problem` is
 * plain text (it may quote what the person typed), escaped here.
 */
export const opsHelpText = (problem?: string): string =>
  [
    ...(problem ? [`:grey_question: ${escapeText(problem)}`] : []),
    '*/ops* commands:',
    '• `/ops history [n]` — the last n runs (default 10, at most 25)',
    '• `/ops show &lt;run id&gt;` — everything about one run (the first 8 characters of the id are enough)',
    '• `/ops cancel &lt;run id&gt;` — cancel a run (its requester or an approver)',
    "• `/ops status` — credential status of the COM and GOV base credentials and of every account's role",
    '• `/ops freeze on &lt;reason&gt;` / `/ops freeze off` — change freeze (admins); `/ops freeze` shows it',
    '• `/ops inventory sync` — sync the instance inventory of every account/region now (approvers, admins)',
  ].join('\n');
