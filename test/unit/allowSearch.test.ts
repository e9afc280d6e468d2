import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowSearch } from '../../src/db/allowSearch.ts';

describe('allowSearch', () => {
  it('adds search (o+x) but never read to each ancestor that lacks it, and reports them', async () => {
    const top = await mkdtemp(path.join(tmpdir(), 'pcm-search-')); // mkdtemp makes it 0700
    const leaf = path.join(top, 'a', 'b');
    await mkdir(leaf, { recursive: true, mode: 0o700 });
    const changed = await allowSearch(leaf);
    expect(changed).toEqual(expect.arrayContaining([leaf, path.join(top, 'a'), top]));
    for (const dir of [leaf, path.join(top, 'a'), top]) {
      const mode = (await stat(dir)).mode & 0o777;
      expect(mode & 0o001).toBe(0o001);
      expect(mode & 0o004).toBe(0);
    }
    expect(await allowSearch(leaf)).toEqual([]);
  });
});
