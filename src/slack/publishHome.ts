import { listPendingApprovalsAwaiting, listRunsByRequester } from '../db/queries/runs.ts';
import { getFreeze } from '../db/queries/settings.ts';
import { homeView } from './blocks/homeView.ts';
import { loadCredentialLines } from './loadCredentialLines.ts';
import { toRunView } from './loadRunView.ts';
import type { SlackDeps } from './slackDeps.ts';

/** Builds and publishes a person's App Home: the approvals waiting for them (per tool) and their recent runs. */
export const publishHome = async (
  deps: Pick<SlackDeps, 'pool' | 'registry' | 'approvers' | 'credentials' | 'adminIds'>,
  userId: string,
  publish: (view: ReturnType<typeof homeView>) => Promise<unknown>,
): Promise<void> => {
  const [pending, mine, freeze, credentials] = await Promise.all([
    listPendingApprovalsAwaiting(deps.pool, userId, 50),
    listRunsByRequester(deps.pool, userId, 10),
    getFreeze(deps.pool),
    loadCredentialLines(deps, userId),
  ]);
  const awaiting = [];
  for (const run of pending) if ((await deps.approvers.forTool(run.tool)).members.has(userId)) awaiting.push(run);
  await publish(
    homeView({
      awaiting: awaiting.map((r) => toRunView(r, deps.registry)),
      mine: mine.map((r) => toRunView(r, deps.registry)),
      freeze,
      credentials,
    }),
  );
};
