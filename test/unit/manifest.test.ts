import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../src/slack/manifest/buildManifest.ts';
import { manifestFiles } from '../../src/slack/manifest/manifestFiles.ts';
import { loadRegistry } from '../../src/tools/registry.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tools');

describe('Slack app manifest', () => {
  it('committed manifests equal what the registry generates (run `npm run manifest`)', async () => {
    for (const file of manifestFiles(await loadRegistry())) {
      expect(await readFile(file.path, 'utf8'), path.basename(file.path)).toBe(file.text);
    }
  });

  it('has one slash command per tool plus /ops, interactivity and the scopes the bot uses', async () => {
    const registry = await loadRegistry();
    const manifest = parse(manifestFiles(registry)[0]?.text ?? '') as {
      features: { slash_commands: { command: string }[] };
      settings: Record<string, unknown>;
      oauth_config: { scopes: { bot: string[] } };
    };
    const commands = ['/ops', ...registry.tools.map((t) => t.command)].sort();
    expect(commands).toEqual(expect.arrayContaining(['/ops', '/qc-post', '/qc-prep', '/sft-fix']));
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual(commands);
    expect(manifest.settings).toMatchObject({ socket_mode_enabled: true, interactivity: { is_enabled: true } });
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write', 'usergroups:read']));
  });

  it('gives a new tool folder its slash command without any other edit', async () => {
    const manifest = buildManifest(await loadRegistry(fixtures), 'http', 'https://bot.example.org') as {
      features: { slash_commands: { command: string; url?: string }[] };
    };
    const echo = manifest.features.slash_commands.find((c) => c.command === '/echo-tool');
    expect(echo?.url).toBe('https://bot.example.org/slack/events');
  });
});
