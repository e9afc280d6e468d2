import type { DatabasePool } from 'slonik';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { appendAudit, appendRefusal } from '../db/queries/audit.ts';
import { oweFreezeNotice } from '../db/queries/outbox.ts';
import { getFreeze, lockFreeze, setFreeze, type Freeze } from '../db/queries/settings.ts';

export type FreezeResult = { readonly ok: true; readonly freeze: Freeze; readonly changed: boolean } | Refusal;

export type FreezeSwitch = {
  readonly set: (p: { userId: string; on: boolean; reason?: string }) => Promise<FreezeResult>;
};

/**
 * The change freeze (`/ops freeze on <reason>` / `off`), by admins only. Persisted in settings (every
 * replica sees it) and audited; while on, approvals are refused and the executor sends nothing new.
 */
export const createFreezeSwitch = (deps: {
  readonly pool: DatabasePool;
  readonly adminIds: readonly string[];
  /** Where the switch is announced (with the open approval messages refreshed), queued in the same transaction. */
  readonly approvalChannelId: string;
}): FreezeSwitch => ({
  set: async ({ userId, on, reason }) => {
    const refused = !deps.adminIds.includes(userId)
      ? refuse('not_admin', 'Only the bot admins (ADMIN_USER_IDS) can switch the change freeze. Ask one of them.')
      : on && !reason?.trim()
        ? refuse('reason_required', 'Say why: `/ops freeze on <reason>`.')
        : null;
    if (refused) return appendRefusal(deps.pool, { actor: userId, attempted: 'freeze', refusal: refused, data: { on } });
    return deps.pool.transaction(async (tx): Promise<FreezeResult> => {
      // Serialise concurrent switches so the audit trail reads in order.
      await lockFreeze(tx);
      const before = await getFreeze(tx);
      const freeze: Freeze = on ? { on: true, reason: reason?.trim().slice(0, 500), by: userId } : { on: false, by: userId };
      const changed = before.on !== on || (on && before.reason !== freeze.reason);
      if (!changed) return { ok: true, freeze: before, changed: false };
      await setFreeze(tx, freeze);
      await appendAudit(tx, {
        runId: null,
        actor: userId,
        action: on ? 'freeze_on' : 'freeze_off',
        reason: on ? (freeze.reason ?? null) : (before.reason ?? null),
        data: { before, after: freeze },
      });
      await oweFreezeNotice(tx, deps.approvalChannelId, { on, by: userId, ...(on && freeze.reason ? { reason: freeze.reason } : {}) });
      return { ok: true, freeze, changed: true };
    });
  },
});
