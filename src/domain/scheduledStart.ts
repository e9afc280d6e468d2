/**
 * When work under a change must wait: its planned start, if the window has not opened yet (beyond the grace
 * that lets work start a little early for clock skew); null when it may start now. Pure.
 */
export const scheduledStart = (
  change: { readonly plannedStart: Date | null },
  options: { readonly now: Date; readonly graceMinutes: number },
): Date | null =>
  change.plannedStart && options.now.getTime() < change.plannedStart.getTime() - options.graceMinutes * 60_000 ? change.plannedStart : null;
