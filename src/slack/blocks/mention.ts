import { escapeText } from '../../domain/escapeText.ts';

const USER_ID = /^[UW][A-Z0-9]{2,30}$/u;

/** A mention of a Slack user id the bot itself recorded; anything that is not a user id is shown as escaped text. */
export const mention = (userId: string): string => (USER_ID.test(userId) ? `<@${userId}>` : escapeText(userId));
