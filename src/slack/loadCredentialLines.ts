import { credentialStatusLines } from './blocks/credentialStatusLines.ts';
import type { SlackDeps } from './slackDeps.ts';

/**
 * The credential status lines as `viewerId` may see them: everyone sees health, since when and the error kind;
 * approvers (of any tool) and admins also see the AWS error text.
 */
export const loadCredentialLines = async (
  deps: Pick<SlackDeps, 'credentials' | 'approvers' | 'registry' | 'adminIds'>,
  viewerId: string,
): Promise<string[]> => {
  const statuses = await deps.credentials.status();
  let details = deps.adminIds.includes(viewerId) || (await deps.approvers.members()).members.has(viewerId);
  for (const tool of deps.registry.tools) {
    if (details) break;
    details = (await deps.approvers.forTool(tool.id)).members.has(viewerId);
  }
  return credentialStatusLines(deps.credentials.scopes, statuses, details);
};

/** Lines of the scopes failing now, for the request modal's warning (no error text: the modal is the requester's). */
export const failingCredentialLines = async (deps: Pick<SlackDeps, 'credentials'>): Promise<string[]> => {
  const statuses = (await deps.credentials.status()).filter((s) => s.health === 'failing');
  if (statuses.length === 0) return [];
  const failing = new Set(statuses.map((s) => `${s.kind}|${s.id}`));
  return credentialStatusLines(
    deps.credentials.scopes.filter((s) => failing.has(`${s.kind}|${s.id}`)),
    statuses,
    false,
  );
};
