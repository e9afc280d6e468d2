import { escapeText } from '../../domain/escapeText.ts';
import { exclusionLabels, type ExclusionReason } from '../../domain/preflight.ts';
import type { RunTargeting } from '../../db/queries/targeting.ts';
import { fitLines } from './fitLines.ts';

/**
 * The pre-flight counts the requester sees on submit (thread reply, or the modal when the checks ran long):
 * eligible and excluded per account/region/partition, per platform, and why instances were left out.
 * Bounded to a message's 3,000 characters whatever the fleet size.
 */
export const preflightText = (t: RunTargeting, max = 2_900): string => {
  const { summary, warnings } = t.preflight;
  const lines = [
    ...summary.byScope.map(
      (c) =>
        `• \`${escapeText(c.accountId)}\` ${escapeText(c.region)}${c.partition === 'aws-us-gov' ? ' (GovCloud)' : ''}: ${c.eligible} eligible${c.excluded > 0 ? `, ${c.excluded} excluded` : ''}`,
    ),
    ...summary.byPlatform.map((p) => `• ${escapeText(p.platform)}: ${p.count}`),
    ...Object.entries(summary.byReason).map(([r, n]) => `• excluded, ${escapeText(exclusionLabels[r as ExclusionReason] ?? r)}: ${n}`),
    ...warnings.map((w) => `• :warning: ${escapeText(w)}`),
  ];
  return fitLines(
    `*Pre-flight*: ${summary.eligible} eligible, ${summary.excluded} excluded`,
    lines,
    max,
    (n) => `• …and ${n} more lines (see the approval message)`,
  );
};
