import type { Roster } from './roster.ts';

/**
 * Who may see a run's details (`/ops show`, `/ops history`): whoever requested it, the approvers of its
 * tool, and the bot admins. Requesters, changes, instance ids and results are not for every member.
 */
export const mayViewRun = (p: {
  readonly viewerId: string;
  readonly requesterId: string;
  readonly isAdmin: boolean;
  readonly toolApprovers: Roster;
}): boolean => p.isAdmin || p.viewerId === p.requesterId || p.toolApprovers.members.has(p.viewerId);
