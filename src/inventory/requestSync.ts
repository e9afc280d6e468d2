import { appendRefusal } from '../db/queries/audit.ts';
import type { Db } from '../db/queries/db.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import type { Roster } from '../domain/roster.ts';
import type { ScopeSyncResult } from './syncInventory.ts';

export type InventorySyncRequest = {
  /** `/ops inventory sync`: approvers and admins only (it assumes a role in every account). */
  readonly sync: (userId: string) => Promise<{ readonly ok: true; readonly results: readonly ScopeSyncResult[] } | Refusal>;
};

export const createInventorySyncRequest = (deps: {
  readonly pool: Db;
  readonly adminIds: readonly string[];
  readonly approvers: () => Promise<Roster>;
  readonly syncAll: (requesterId: string) => Promise<ScopeSyncResult[]>;
}): InventorySyncRequest => ({
  sync: async (userId) => {
    if (!deps.adminIds.includes(userId)) {
      const roster = await deps.approvers();
      if (!roster.members.has(userId)) {
        const refusal = refuse(
          'not_allowed',
          roster.verified
            ? 'Only approvers and bot admins can sync the inventory.'
            : 'Only approvers and bot admins can sync the inventory, and the approver groups could not be read from Slack just now; try again.',
        );
        return appendRefusal(deps.pool, { actor: userId, attempted: 'inventory_sync', refusal });
      }
    }
    return { ok: true, results: await deps.syncAll(userId) };
  },
});
