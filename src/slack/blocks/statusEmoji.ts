import type { ExecutionStatus } from '../../domain/executionStatus.ts';
import type { RunStatus } from '../../domain/runStatus.ts';
import { statusLabel } from '../../domain/statusLabel.ts';

// Keyed by both status lists, so a new status cannot go without its emoji.
export const statusEmoji: Readonly<Record<RunStatus | ExecutionStatus, string>> = {
  pending_approval: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  scheduled: ':calendar:',
  running: ':arrows_counterclockwise:',
  succeeded: ':large_green_circle:',
  failed: ':red_circle:',
  partially_failed: ':large_orange_circle:',
  cancelled: ':no_entry_sign:',
  rejected: ':no_entry:',
  expired: ':alarm_clock:',
  halted: ':double_vertical_bar:',
  stopped: ':black_square_for_stop:',
  success: ':large_green_circle:',
  timed_out: ':hourglass:',
  undeliverable: ':electric_plug:',
  terminated: ':skull:',
  not_sent: ':heavy_minus_sign:',
  cancel_unconfirmed: ':grey_question:',
  pending: ':white_circle:',
  sent: ':outbox_tray:',
  in_progress: ':arrows_counterclockwise:',
};

export const label = (status: string): string =>
  `${(statusEmoji as Readonly<Record<string, string>>)[status] ?? ''} ${statusLabel(status)}`.trim();
