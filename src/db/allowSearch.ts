import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Adds search permission for others (o+x, never read) on `dir` and each of its ancestors that lacks it,
 * and returns the directories changed. Used only when the bot runs as root: the embedded PostgreSQL
 * then runs as a dedicated user, which must be able to reach its binaries under node_modules and its
 * data directory even when the checkout lives under a 0700 directory.
 */
export const allowSearch = async (dir: string): Promise<string[]> => {
  const changed: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) {
      await chmod(current, (info.mode & 0o7777) | 0o001);
      changed.push(current);
    }
    if (path.dirname(current) === current) return changed;
  }
};
