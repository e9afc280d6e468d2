/** What `/ops` does, shown for `/ops`, `/ops help` and anything it does not understand. */
export const opsHelpText = (problem?: string): string =>
  [
    ...(problem ? [`:grey_question: ${problem}`] : []),
    '*/ops* commands:',
    '• `/ops history [n]` — the last n runs (default 10, at most 25)',
    '• `/ops show <run id>` — everything about one run (the first 8 characters of the id are enough)',
    '• `/ops cancel <run id>` — cancel a run (its requester or an approver)',
    '• `/ops freeze on <reason>` / `/ops freeze off` — change freeze (admins); `/ops freeze` shows it',
  ].join('\n');
