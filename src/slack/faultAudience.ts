import { z } from 'zod';

/** Who should see a fault, and where: an ephemeral in the channel when there is one, else a DM. */
export type FaultAudience = { readonly user: string; readonly channel?: string };

const slashCommand = z.object({ user_id: z.string().min(1), channel_id: z.string().min(1) });
const interaction = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  container: z
    .object({ channel_id: z.string().min(1).optional() })
    .loose()
    .optional(),
});
const event = z.object({ event: z.object({ user: z.string().min(1) }) });

/** Reads the person (and channel) out of any Slack request body Bolt hands the error handler. Pure. */
export const faultAudience = (body: unknown): FaultAudience | undefined => {
  const command = slashCommand.safeParse(body);
  if (command.success) return { user: command.data.user_id, channel: command.data.channel_id };
  const action = interaction.safeParse(body);
  if (action.success) {
    const channel = action.data.channel?.id ?? action.data.container?.channel_id;
    return { user: action.data.user.id, ...(channel ? { channel } : {}) };
  }
  const e = event.safeParse(body);
  if (e.success) return { user: e.data.event.user };
  return undefined;
};

export const faultText = (correlationId: string): string =>
  `:warning: Something went wrong on our side and your last action may not have completed. Reference: \`${correlationId}\`. ` +
  'Try again in a minute; if it keeps failing, give this reference to the bot operators.';
