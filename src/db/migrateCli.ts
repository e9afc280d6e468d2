// `npm run migrate`: apply migrations as the schema's owner (DATABASE_MIGRATION_URL, else DATABASE_URL) and exit.
import { migrate } from './migrate.ts';

const url = process.env.DATABASE_MIGRATION_URL ?? process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_MIGRATION_URL (the owner of the schema) is not set');
  process.exit(1);
}
try {
  const applied = await migrate(url, () => {});
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  console.error("migrations must run as the owner of the schema (manifests/postgres/roles.sql), not as the bot's runtime role");
  process.exit(1);
}
