import type { App } from '@slack/bolt';
import { publishHome } from '../../publishHome.ts';
import type { SlackDeps } from '../../slackDeps.ts';

/** App Home: each time a person opens the Home tab it is rebuilt for them (views.publish). */
export const registerEvents = (app: App, deps: SlackDeps): void => {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome(deps, event.user, (view) => client.views.publish({ user_id: event.user, view }));
  });
};
