import type { AuditGuard } from './queries/roles.ts';

/** Why the role the bot runs as could rewrite the audit trail; empty when it can only append and read. */
export const auditTrailRisks = (g: AuditGuard): string[] => {
  const risks: string[] = [];
  if (g.superuser) risks.push(`role ${g.role} is a superuser`);
  else if (g.member_of_owner) {
    const owns = g.role === g.owner ? 'owns audit_events' : `is a member of ${g.owner}, the owner of audit_events`;
    risks.push(`role ${g.role} ${owns}, so it could disable its append-only triggers`);
  }
  if (g.create_role && !g.superuser) risks.push(`role ${g.role} has CREATEROLE, so it could grant itself the owner's role`);
  const extra = [g.can_update && 'UPDATE', g.can_delete && 'DELETE', g.can_truncate && 'TRUNCATE', g.can_trigger && 'TRIGGER'].filter(
    Boolean,
  );
  if (extra.length > 0 && !g.superuser && !g.member_of_owner) risks.push(`role ${g.role} has ${extra.join(', ')} on audit_events`);
  return risks;
};
