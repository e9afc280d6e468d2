import { escapeText } from '../../domain/escapeText.ts';
import type { ScopeSyncResult } from '../../inventory/syncInventory.ts';
import { slackDate } from './slackDate.ts';

const MAX_LINES = 40;

/** `/ops inventory sync` answer: one line per account/region, failures first and with their data's age. */
export const inventorySyncText = (results: readonly ScopeSyncResult[]): string => {
  const failed = results.filter((r) => !r.ok);
  const total = results.reduce((n, r) => n + r.instances, 0);
  const lines = [...failed, ...results.filter((r) => r.ok)].map((r) => {
    const where = `\`${escapeText(r.accountId)}\` ${escapeText(r.accountName)} ${escapeText(r.region)}${r.partition === 'aws-us-gov' ? ' (GovCloud)' : ''}`;
    return r.ok
      ? `• :white_check_mark: ${where}: ${r.instances} instance(s)`
      : `• :warning: ${where}: sync failed (${escapeText(r.error ?? 'error')}); keeping ${r.instances} instance(s) from ${r.lastSuccessAt ? slackDate(r.lastSuccessAt.getTime()) : 'never (no data)'}`;
  });
  const shown = lines.slice(0, MAX_LINES);
  if (lines.length > MAX_LINES) shown.push(`• …and ${lines.length - MAX_LINES} more account/regions`);
  return `*Inventory synced*: ${total} instance(s) in ${results.length} account/region(s)${failed.length > 0 ? `, ${failed.length} failed` : ''}.\n${shown.join('\n')}`;
};
