/**
 * /readyz "outbox not stuck": the oldest owed Slack message has waited longer than `boundSeconds` AND no
 * owed message (on any replica) was delivered or given up within that time. A long backlog that drains
 * (a 429 storm, a burst of runs) is progress, not stuck; a backlog nothing drains is. Returns why, or null.
 */
export const outboxStuck = (
  backlog: { readonly pending: number; readonly oldestSeconds: number | null; readonly sinceProgressSeconds: number | null },
  boundSeconds: number,
): string | null => {
  if (boundSeconds <= 0 || backlog.pending === 0 || backlog.oldestSeconds === null || backlog.oldestSeconds <= boundSeconds) return null;
  if (backlog.sinceProgressSeconds !== null && backlog.sinceProgressSeconds <= boundSeconds) return null;
  const last =
    backlog.sinceProgressSeconds === null ? 'none delivered yet' : `last delivery ${Math.round(backlog.sinceProgressSeconds)} s ago`;
  return `${backlog.pending} Slack message(s) owed, the oldest for ${Math.round(backlog.oldestSeconds)} s; ${last} (bound: OUTBOX_STUCK_SECONDS=${boundSeconds})`;
};
