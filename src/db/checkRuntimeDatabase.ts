import { auditTrailRisks } from './auditTrailRisks.ts';
import { pendingMigrations } from './pendingMigrations.ts';
import type { Db } from './queries/db.ts';
import { readAuditGuard, RUNTIME_ROLE } from './queries/roles.ts';

export const ROLES_GUIDE = 'manifests/postgres/roles.sql';

/**
 * Fail closed before serving: the schema must be migrated (the bot migrates only with an owner URL) and
 * the role the bot runs as must be unable to rewrite the audit trail. Returns the problems, each with
 * what to do; empty when the bot may start.
 */
export const checkRuntimeDatabase = async (db: Db): Promise<string[]> => {
  const problems: string[] = [];
  const pending = await pendingMigrations(db);
  if (pending === null || pending.length > 0) {
    const what =
      pending === null
        ? 'the schema is not migrated (or this role may not read pgmigrations)'
        : `migrations not applied: ${pending.join(', ')}`;
    problems.push(
      `${what}; run \`npm run migrate\` with DATABASE_MIGRATION_URL set to the owner role, or set DATABASE_MIGRATION_URL for the bot (${ROLES_GUIDE})`,
    );
  }
  // Checked even when migrations are pending, so an upgrade learns both things to fix at once.
  const guard = await readAuditGuard(db);
  if (!guard)
    return problems.length > 0
      ? problems
      : [`audit_events is not visible to this role; check the schema DATABASE_URL points at (${ROLES_GUIDE})`];
  for (const risk of auditTrailRisks(guard)) {
    problems.push(
      `${risk}: DATABASE_URL must connect as a login whose only privileges come from ${RUNTIME_ROLE}; migrations run as the owner through DATABASE_MIGRATION_URL (${ROLES_GUIDE})`,
    );
  }
  return problems;
};
