import { escapeText } from '../../domain/escapeText.ts';
import type { ScopeSyncResult } from '../../inventory/syncInventory.ts';
import { slackDate } from './slackDate.ts';

const MAX_LINES = 40;

/** `/ops inventory sync` answer: one line per account/region (ids and tags), failures first and with their data's age. */
export const inventorySyncText = (results: readonly ScopeSyncResult[]): string => {
  const failed = results.filter((r) => !r.ok || !r.tags.ok);
  const total = results.reduce((n, r) => n + r.instances, 0);
  const since = (at: Date | null): string => (at ? slackDate(at.getTime()) : 'never (no data)');
  const lines = [...failed, ...results.filter((r) => r.ok && r.tags.ok)].map((r) => {
    const where = `\`${escapeText(r.accountId)}\` ${escapeText(r.accountName)} ${escapeText(r.region)}${r.partition === 'aws-us-gov' ? ' (GovCloud)' : ''}`;
    const ids = r.ok
      ? `${r.instances} instance(s)`
      : `sync failed (${escapeText(r.error ?? 'error')}); keeping ${r.instances} instance(s) from ${since(r.lastSuccessAt)}`;
    // Tags come from a separate read (GetResources): its failure keeps the last good tags, with their age.
    const tags = r.tags.ok
      ? `${r.tags.tagged} tagged`
      : `tags could not be read (${escapeText(r.tags.error ?? 'error')}); keeping tags from ${since(r.tags.lastSuccessAt)}`;
    return `• ${r.ok && r.tags.ok ? ':white_check_mark:' : ':warning:'} ${where}: ${ids}; ${tags}`;
  });
  const shown = lines.slice(0, MAX_LINES);
  if (lines.length > MAX_LINES) shown.push(`• …and ${lines.length - MAX_LINES} more account/regions`);
  return `*Inventory synced*: ${total} instance(s) in ${results.length} account/region(s)${failed.length > 0 ? `, ${failed.length} failed` : ''}.\n${shown.join('\n')}`;
};
