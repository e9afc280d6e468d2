import type { PlainTextOption } from '@slack/types';
import { cleanText } from '../../domain/escapeText.ts';
import type { InventoryMatch } from '../../db/queries/inventorySearch.ts';

/** Slack's limits for an option: text and description 75 characters, value 150, at most 100 options. */
export const MAX_OPTIONS = 100;
const MAX_OPTION_TEXT = 75;

/** One line of at most `max` UTF-16 units (Slack's count), never splitting a character; cut text ends with "…". */
const bounded = (value: string, max: number): string => {
  const line = cleanText(value).replace(/\s+/gu, ' ').trim();
  if (line.length <= max) return line;
  let out = '';
  for (const c of line) {
    if (out.length + c.length > max - 1) break;
    out += c;
  }
  return `${out}…`;
};

/**
 * The picker's options, plain_text (what hosts call themselves is shown as typed, never parsed): the id,
 * computer name and IP, then where the instance is and how SSM last saw it. The value is the id only.
 */
export const pickerOptions = (matches: readonly InventoryMatch[]): PlainTextOption[] =>
  matches.slice(0, MAX_OPTIONS).map((m) => ({
    text: {
      type: 'plain_text',
      text: bounded([m.instanceId, m.computerName, m.ipAddress].filter(Boolean).join(' · '), MAX_OPTION_TEXT),
      emoji: false,
    },
    description: {
      type: 'plain_text',
      text: bounded([`${m.accountId} ${m.region}`, m.pingStatus, m.platformName].filter(Boolean).join(' · '), MAX_OPTION_TEXT),
      emoji: false,
    },
    value: m.instanceId,
  }));
