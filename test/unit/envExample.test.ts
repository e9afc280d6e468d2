// .env.example is the real bot's settings template: it names every setting the schema reads, and nothing else.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/envSchema.ts';

const SETTING = /^#?\s*([A-Z][A-Z0-9_]*)=/u;

describe('.env.example', () => {
  it('lists every setting of the configuration schema, each once, and only those', async () => {
    const text = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
    const listed = text.split('\n').flatMap((line) => SETTING.exec(line)?.[1] ?? []);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('sets nothing as it is, so copying it unchanged keeps the defaults (and the local console)', async () => {
    const text = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
    expect(text.split('\n').filter((line) => /^[A-Z]/u.test(line))).toEqual([]);
  });
});
