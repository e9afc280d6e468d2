import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/envSchema.ts';

describe('README configuration table', () => {
  it('documents every environment variable the bot reads', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### Targets file'));
    const shape =
      (envSchema as unknown as { in?: { shape: object }; shape?: object }).in?.shape ?? (envSchema as unknown as { shape: object }).shape;
    const names = Object.keys(shape);
    expect(names.length).toBeGreaterThan(20);
    const missing = names.filter((name) => !table.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
