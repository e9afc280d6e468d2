import { describe, expect, it } from 'vitest';
import { auditTrailRisks } from '../../src/db/auditTrailRisks.ts';
import type { AuditGuard } from '../../src/db/queries/roles.ts';

const appendOnly: AuditGuard = {
  role: 'pcm_ops_bot',
  superuser: false,
  create_role: false,
  owner: 'pcm_ops_owner',
  member_of_owner: false,
  can_update: false,
  can_delete: false,
  can_truncate: false,
  can_trigger: false,
};

describe('auditTrailRisks', () => {
  it('accepts a role that can only append and read', () => {
    expect(auditTrailRisks(appendOnly)).toEqual([]);
  });

  it('names each way a role could rewrite the trail', () => {
    expect(auditTrailRisks({ ...appendOnly, superuser: true, member_of_owner: true, can_update: true })).toEqual([
      'role pcm_ops_bot is a superuser',
    ]);
    expect(auditTrailRisks({ ...appendOnly, role: 'pcm_ops_owner', member_of_owner: true, can_truncate: true })).toEqual([
      'role pcm_ops_owner owns audit_events, so it could disable its append-only triggers',
    ]);
    expect(auditTrailRisks({ ...appendOnly, member_of_owner: true })).toEqual([
      'role pcm_ops_bot is a member of pcm_ops_owner, the owner of audit_events, so it could disable its append-only triggers',
    ]);
    expect(auditTrailRisks({ ...appendOnly, create_role: true })).toEqual([
      "role pcm_ops_bot has CREATEROLE, so it could grant itself the owner's role",
    ]);
    expect(auditTrailRisks({ ...appendOnly, can_update: true, can_delete: true, can_truncate: true, can_trigger: true })).toEqual([
      'role pcm_ops_bot has UPDATE, DELETE, TRUNCATE, TRIGGER on audit_events',
    ]);
  });
});
