import { refuse, type Refusal } from './refusal.ts';
import type { Roster } from './roster.ts';

export type RequestContext = {
  readonly userId: string;
  readonly channelId: string;
  /** The slash command, for the messages (e.g. `/sft-fix`). */
  readonly command: string;
  /** Who may request this tool (TOOL_REQUESTER_GROUPS); undefined = anyone. */
  readonly requesters: Roster | undefined;
  /** Where this tool may be requested (TOOL_ALLOWED_CHANNELS); empty = anywhere. */
  readonly channels: readonly string[];
};

/**
 * May this person request this tool from this channel? Asked when the slash command is typed (before
 * the form opens) and again when the form is submitted. Pure, so every rule is table-tested.
 */
export const decideRequest = (c: RequestContext): { readonly ok: true } | Refusal => {
  if (c.channels.length > 0 && !c.channels.includes(c.channelId)) {
    const where = c.channels.map((id) => `<#${id}>`).join(', ');
    return refuse('wrong_channel', `\`${c.command}\` can only be requested in ${where}. Run it there.`);
  }
  if (c.requesters && !c.requesters.members.has(c.userId)) {
    if (!c.requesters.verified) {
      return refuse(
        'requesters_unverified',
        `The requesters of \`${c.command}\` could not be verified with Slack just now, so nothing was requested. Try again in a few minutes; if it keeps failing, tell the bot operators.`,
      );
    }
    return refuse(
      'not_requester',
      `You are not in the requesters group of \`${c.command}\`. Ask one of its approvers or a bot admin to add you.`,
    );
  }
  return { ok: true };
};
