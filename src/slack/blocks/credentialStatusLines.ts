import { partitionLabel, type CredentialStatus } from '../../domain/credentialStatus.ts';
import { escapeLine } from '../../domain/escapeText.ts';
import { fitLines } from './fitLines.ts';
import { slackDate } from './slackDate.ts';

export type CredentialScopeName = {
  readonly kind: 'partition' | 'account';
  readonly id: string;
  readonly partition: string;
  readonly name: string;
};

const EMOJI = { ok: ':large_green_circle:', warning: ':warning:', failing: ':red_circle:' } as const;

const state = (s: CredentialStatus, details: boolean): string => {
  const since = slackDate(s.since.getTime());
  if (s.health === 'ok') return `ok since ${since}`;
  if (s.health === 'warning')
    return `ok, but the credentials expire ${s.expiresAt ? slackDate(s.expiresAt.getTime()) : 'soon'}: renew them`;
  const why = `failing since ${since} (${s.errorKind ?? 'error'})`;
  return details && s.detail ? `${why}: ${escapeLine(s.detail, 200)}` : why;
};

/**
 * One line per partition (COM, GOV) and per configured account: status emoji, since when, the error kind; the
 * AWS error text only with `details` (approvers and admins). Scopes never checked yet say so. mrkdwn, escaped.
 */
export const credentialStatusLines = (
  scopes: readonly CredentialScopeName[],
  statuses: readonly CredentialStatus[],
  details: boolean,
): string[] => {
  const byKey = new Map(statuses.map((s) => [`${s.kind}|${s.id}`, s]));
  return scopes.map((scope) => {
    const label =
      scope.kind === 'partition'
        ? `*${partitionLabel(scope.partition)}* base credentials`
        : `${escapeLine(scope.name, 64)} (${scope.id}, ${partitionLabel(scope.partition)}) role`;
    const s = byKey.get(`${scope.kind}|${scope.id}`);
    return s ? `${EMOJI[s.health]} ${label}: ${state(s, details)}` : `:white_circle: ${label}: not checked yet`;
  });
};

const more = (n: number): string => `…and ${n} more`;

/** The status under `heading`, cut on line boundaries to fit one section (3,000 characters). */
export const credentialStatusText = (heading: string, lines: readonly string[], max = 2_900): string => fitLines(heading, lines, max, more);
