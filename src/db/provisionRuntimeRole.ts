import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createPool } from './pool.ts';
import { ensureRuntimeLogin } from './queries/roles.ts';

/** The login the bot runs as on the embedded PostgreSQL. */
export const EMBEDDED_RUNTIME_LOGIN = 'pcm_ops_bot';

const passwordFile = (dataDir: string): string => path.join(dataDir, 'runtime-role.password');

// Generated once and kept beside the data (0600), so restarts and an adopted server agree on it; written
// exclusively, so two processes starting on one DATA_DIR cannot each pick a different one.
const runtimePassword = async (file: string): Promise<string> => {
  const existing = await readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (/^[0-9a-f]{48}$/u.test(existing)) return existing;
  const fresh = randomBytes(24).toString('hex');
  try {
    await writeFile(file, `${fresh}\n`, { mode: 0o600, flag: existing ? 'w' : 'wx' });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(file, 'utf8')).trim();
  }
};

/**
 * Embedded PostgreSQL only: the superuser (ownerUrl) migrates, but the bot runs as a login whose only
 * privileges are those of pcm_ops_runtime, like in production. Creates or repairs that login and
 * returns its URL.
 */
export const provisionRuntimeRole = async (ownerUrl: string, dataDir: string): Promise<string> => {
  const password = await runtimePassword(passwordFile(dataDir));
  const owner = await createPool(ownerUrl, { maximumPoolSize: 1 });
  try {
    await ensureRuntimeLogin(owner, EMBEDDED_RUNTIME_LOGIN, password);
  } finally {
    await owner.end();
  }
  const url = new URL(ownerUrl);
  url.username = EMBEDDED_RUNTIME_LOGIN;
  url.password = password;
  return url.toString();
};
