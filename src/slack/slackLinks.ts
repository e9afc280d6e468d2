import type { WebClient } from '@slack/web-api';

/**
 * Slack facts other parts write down (ServiceNow work notes): a permanent link to a thread and a
 * readable name for a user id ("Real Name (U0…)"), cached; the id alone when Slack cannot tell.
 */
export const createSlackLinks = (client: WebClient) => {
  const names = new Map<string, string>();
  return {
    permalink: async (channel: string, ts: string): Promise<string | undefined> =>
      (await client.chat.getPermalink({ channel, message_ts: ts })).permalink,
    userLabel: async (userId: string): Promise<string> => {
      const known = names.get(userId);
      if (known) return known;
      try {
        const answer = await client.users.info({ user: userId });
        const name = answer.user?.real_name || answer.user?.profile?.real_name || answer.user?.name;
        const labelled = name ? `${name} (${userId})` : userId;
        names.set(userId, labelled);
        return labelled;
      } catch {
        return userId;
      }
    },
  };
};
