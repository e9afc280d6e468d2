import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildCommands } from '../../src/tools/buildCommands.ts';
import { paramEnvName, settingEnvName } from '../../src/tools/paramEnvName.ts';
import { loadRegistry } from '../../src/tools/registry.ts';

const fixtures = (relative: string): string => fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('loadRegistry on a folder of tools', () => {
  it('finds the fixture tool from its folder alone, with its action, script text and sha256', async () => {
    const registry = await loadRegistry(fixtures('tools'));
    // toContain: another fixture tool folder may sit beside it without editing this test.
    expect(registry.tools.map((t) => t.id)).toContain('echo-tool');

    const tool = registry.byId('echo-tool');
    expect(tool).toBeDefined();
    expect(registry.byCommand('/echo-tool')).toBe(tool);
    expect(tool?.settings).toEqual({ tokenParameter: '/pcm/test/echo-token', region: 'eu-west-1' });
    expect(tool?.actions.map((a) => a.id)).toEqual(['echo-params']);

    const action = registry.action('echo-tool', 'echo-params');
    const onDisk = readFileSync(fixtures('tools/echo-tool/scripts/echo-params.sh'), 'utf8');
    expect(action?.toolId).toBe('echo-tool');
    expect(action?.script).toBe('echo-params.sh');
    expect(action?.scriptContent).toBe(onDisk);
    expect(action?.scriptSha256).toBe(sha256(onDisk));
    expect(action?.scriptSha256).toMatch(/^[0-9a-f]{64}$/u);
    expect(Object.keys(action?.params.shape ?? {}).sort()).toEqual([
      'count',
      'dryRun',
      'exitCode',
      'hostname',
      'logPath',
      'mode',
      'note',
      'targetKernel',
    ]);
  });

  it('answers undefined for unknown tools, commands and actions', async () => {
    const registry = await loadRegistry(fixtures('tools'));
    expect(registry.byId('nope')).toBeUndefined();
    expect(registry.byCommand('/nope')).toBeUndefined();
    expect(registry.action('echo-tool', 'nope')).toBeUndefined();
    expect(registry.action('nope', 'echo-params')).toBeUndefined();
  });

  it('freezes what it loaded', async () => {
    const registry = await loadRegistry(fixtures('tools'));
    expect(Object.isFrozen(registry)).toBe(true);
    expect(Object.isFrozen(registry.tools)).toBe(true);
    expect(Object.isFrozen(registry.byId('echo-tool'))).toBe(true);
    expect(Object.isFrozen(registry.byId('echo-tool')?.actions)).toBe(true);
  });
});

describe('loadRegistry fails loudly on a malformed tool folder', () => {
  it.each([
    ['duplicate-action', /bad or duplicate action id "run"/u],
    ['bad-action-id', /bad or duplicate action id "Run It"/u],
    ['script-path', /script must be a plain file name/u],
    ['id-mismatch', /tool id "other-name" must equal its folder name "folder-name"/u],
    ['missing-script', /ENOENT.*absent\.sh/u],
    ['duplicate-command', /two tools claim \/same/u],
    ['no-default', /has no default export in definition\.ts/u],
  ])('%s', async (folder, message) => {
    await expect(loadRegistry(fixtures(`tools-bad/${folder}`))).rejects.toThrow(message);
  });
});

describe('the real tools (src/tools)', () => {
  it('load, and every action has a script matching its sha256 and keys that map to environment names', async () => {
    const registry = await loadRegistry();
    const problems: string[] = [];
    for (const tool of registry.tools) {
      for (const key of Object.keys(tool.settings ?? {})) {
        try {
          settingEnvName(key);
        } catch (error) {
          problems.push(`${tool.id}: ${(error as Error).message}`);
        }
      }
      for (const action of tool.actions) {
        const label = `${tool.id}/${action.id}`;
        if (action.scriptSha256 !== sha256(action.scriptContent)) problems.push(`${label}: sha256 mismatch`);
        if (action.scriptContent.trim() === '') problems.push(`${label}: empty script`);
        if (action.scriptContent.includes('\0')) problems.push(`${label}: NUL in script`);
        for (const key of Object.keys(action.params.shape)) {
          try {
            paramEnvName(key);
          } catch (error) {
            problems.push(`${label}: ${(error as Error).message}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('build into commands (never run here) from their defaults and placeholders', async () => {
    const registry = await loadRegistry();
    const context = { runId: '0b7e6c0e-6f1a-4a57-9a5e-3f0b1f2a9c11', changeNumber: 'CHG0012345' };
    for (const tool of registry.tools) {
      for (const action of tool.actions) {
        // An example value per field: its placeholder when valid, else nothing (defaults fill in).
        const example = Object.fromEntries(
          Object.entries(action.params.shape).flatMap(([key, field]) => {
            const placeholder = (z.globalRegistry.get(field as z.ZodType) as { placeholder?: unknown } | undefined)?.placeholder;
            return (field as z.ZodType).safeParse(placeholder).success ? [[key, placeholder]] : [];
          }),
        );
        if (!action.params.safeParse(example).success) continue;
        const commands = buildCommands({ action, params: example, context: { ...context, settings: action.toolSettings } });
        expect(commands.at(-1), `${tool.id}/${action.id}`).toBe(`PCM_SCRIPT_${action.scriptSha256.slice(0, 16)}`);
      }
    }
  });
});

describe('loadRegistry expands `# pcm-include` lines', () => {
  // A throwaway tools folder: one tool whose script includes lib/greet.sh. The definition needs no
  // imports (the registry never parses params), so it loads from anywhere.
  const dir = mkdtempSync(path.join(tmpdir(), 'pcm-registry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const put = (relative: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), text);
  };
  const definition = (id: string, script: string): string =>
    `export default { id: '${id}', command: '/${id}', title: 't', description: 'd', actions: [{ id: 'run', title: 't', description: 'd', script: '${script}', interpreter: 'bash', platform: 'Linux', params: {}, mutates: false, targets: { min: 1, max: 1 }, timeouts: { deliverySeconds: 60, executionSeconds: 60 }, approval: { approvals: 1 } }] };\n`;
  const library = 'greet() { echo hi; }\n';
  const script = '#!/usr/bin/env bash\n# pcm-include: lib/greet.sh\ngreet\n';

  it('hashes and ships the expanded text, and does not take lib/ for a tool', async () => {
    put('lib/greet.sh', library);
    put('greeter/definition.ts', definition('greeter', 'hello.sh'));
    put('greeter/scripts/hello.sh', script);
    const registry = await loadRegistry(dir);
    expect(registry.tools.map((t) => t.id)).toEqual(['greeter']);
    const action = registry.action('greeter', 'run');
    expect(action?.scriptContent).toBe(
      `#!/usr/bin/env bash\n# ---- pcm-include begin: lib/greet.sh sha256=${sha256(library)} ----\n${library}# ---- pcm-include end: lib/greet.sh ----\ngreet\n`,
    );
    expect(action?.scriptSha256).toBe(sha256(action?.scriptContent ?? ''));
  });

  it('fails at load, naming the script, when an include is refused', async () => {
    const bad = mkdtempSync(path.join(dir, 'bad-'));
    mkdirSync(path.join(bad, 'breaker', 'scripts'), { recursive: true });
    writeFileSync(path.join(bad, 'breaker', 'definition.ts'), definition('breaker', 'oops.sh'));
    writeFileSync(path.join(bad, 'breaker', 'scripts', 'oops.sh'), '#!/usr/bin/env bash\n# pcm-include: lib/../../etc/passwd\n');
    await expect(loadRegistry(bad)).rejects.toThrow(/breaker\/scripts\/oops\.sh: bad include/u);
  });
});

describe('the real tools and their libraries', () => {
  it('keeps src/tools/lib out of the tools and ships every script with its libraries inlined', async () => {
    const registry = await loadRegistry();
    expect(registry.tools.map((t) => t.id)).not.toContain('lib');
    const pcmLib = readFileSync(fileURLToPath(new URL('../../src/tools/lib/pcm-lib.sh', import.meta.url)), 'utf8');
    for (const action of registry.tools.flatMap((t) => t.actions)) {
      expect(action.scriptContent, action.script).not.toMatch(/^# pcm-include:/mu);
      expect(action.scriptContent, action.script).toContain(
        `# ---- pcm-include begin: lib/pcm-lib.sh sha256=${sha256(pcmLib)} ----\n${pcmLib}`,
      );
    }
  });
});
