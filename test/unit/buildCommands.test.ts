import { createHash } from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildCommands } from '../../src/tools/buildCommands.ts';
import type { BuildCommandsContext } from '../../src/tools/buildCommands.ts';
import { paramEnvName } from '../../src/tools/paramEnvName.ts';
import { loadRegistry } from '../../src/tools/registry.ts';
import type { LoadedAction } from '../../src/tools/registry.ts';
import { createShellSandbox, OUTERS, type ShellSandbox } from '../helpers/shells.ts';

const fixturesDir = fileURLToPath(new URL('../fixtures/tools', import.meta.url));
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const context: BuildCommandsContext = {
  runId: '0b7e6c0e-6f1a-4a57-9a5e-3f0b1f2a9c11',
  changeNumber: 'CHG0012345',
  settings: { tokenParameter: '/pcm/test/echo-token', region: 'eu-west-1' },
};

const validParams = {
  mode: 'safe',
  targetKernel: '6.1.0-18-cloud-amd64',
  count: 3,
  exitCode: 0,
  dryRun: true,
  hostname: 'db-1.example.internal',
  logPath: '/var/log/syslog',
};

/** Parses the fixture script's `P:<name>:<base64>` lines. */
const fixtureOutput = (stdout: Buffer) => {
  const vars: Record<string, Buffer> = {};
  let stdin: Buffer | undefined;
  let argv0: string | undefined;
  for (const line of stdout.toString('utf8').split('\n')) {
    const p = /^P:([A-Z0-9_]+):([A-Za-z0-9+/=]*)$/u.exec(line);
    if (p?.[1] !== undefined) vars[p[1]] = Buffer.from(p[2] ?? '', 'base64');
    if (line.startsWith('STDIN:')) stdin = Buffer.from(line.slice('STDIN:'.length), 'base64');
    if (line.startsWith('ARGV0:')) argv0 = line.slice('ARGV0:'.length);
  }
  return { vars, stdin, argv0 };
};

const utf8 = (values: Record<string, string>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));

/** A hand-made action, so tests can use any script and any (even unconstrained) schema. */
const probe = (script: string, params: z.ZodObject = z.object({}), overrides: Partial<LoadedAction> = {}): LoadedAction => ({
  id: 'probe',
  toolId: 'test-tool',
  title: 'probe',
  description: 'probe',
  script: 'probe.sh',
  interpreter: 'bash',
  platform: 'Linux',
  params,
  mutates: false,
  targets: { min: 1, max: 1 },
  timeouts: { deliverySeconds: 60, executionSeconds: 60 },
  approval: { approvals: 1 },
  scriptContent: script,
  scriptSha256: sha256(script),
  toolSettings: {},
  ...overrides,
});

/** Prints every PCM_PARAM_* variable as `name=value\0`: no fork per value, NUL cannot occur in values. */
const PRINT_PARAMS = 'for n in "${!PCM_PARAM_@}"; do printf \'%s=%s\\0\' "$n" "${!n}"; done\n';

const nulFrames = (stdout: Buffer): Record<string, Buffer> => {
  const out: Record<string, Buffer> = {};
  let start = 0;
  for (let i = stdout.indexOf(0); i !== -1; start = i + 1, i = stdout.indexOf(0, start)) {
    const frame = stdout.subarray(start, i);
    const eq = frame.indexOf('=');
    out[frame.subarray(0, eq).toString('latin1')] = Buffer.from(frame.subarray(eq + 1));
  }
  return out;
};

let echo: LoadedAction;
let shells: ShellSandbox;
const run: ShellSandbox['run'] = (...args) => shells.run(...args);
const runAsync: ShellSandbox['runAsync'] = (...args) => shells.runAsync(...args);

beforeAll(async () => {
  const registry = await loadRegistry(fixturesDir);
  const action = registry.action('echo-tool', 'echo-params');
  if (!action) throw new Error('fixture echo-tool/echo-params not found');
  echo = action;
  shells = createShellSandbox('pcm-build-commands');
});

afterAll(() => shells.remove());

describe('buildCommands', () => {
  it('produces the documented layout', () => {
    const commands = buildCommands({ action: echo, params: validParams, context });
    const delimiter = `PCM_SCRIPT_${echo.scriptSha256.slice(0, 16)}`;
    const BOOTSTRAP =
      'PCM_SCRIPT=$(/bin/cat) && [ -n "$PCM_SCRIPT" ] || exit 125; export -n PCM_SCRIPT; exec /bin/bash -c "$PCM_SCRIPT" "$0" </dev/null';
    const scriptLines = echo.scriptContent.replace(/\n$/u, '').split('\n');
    expect(commands).toEqual([
      'unset PCM_ROOT',
      `export PCM_RUN_ID='${context.runId}'`,
      `export PCM_CHANGE_NUMBER='CHG0012345'`,
      `export PCM_TOOL='echo-tool'`,
      `export PCM_ACTION='echo-params'`,
      `export PCM_SCRIPT_SHA256='${echo.scriptSha256}'`,
      `export PCM_SETTING_REGION='eu-west-1'`,
      `export PCM_SETTING_TOKEN_PARAMETER='/pcm/test/echo-token'`,
      `export PCM_PARAM_COUNT='3'`,
      `export PCM_PARAM_DRY_RUN='true'`,
      `export PCM_PARAM_EXIT_CODE='0'`,
      `export PCM_PARAM_HOSTNAME='db-1.example.internal'`,
      `export PCM_PARAM_LOG_PATH='/var/log/syslog'`,
      `export PCM_PARAM_MODE='safe'`,
      `unset PCM_PARAM_NOTE`,
      `export PCM_PARAM_TARGET_KERNEL='6.1.0-18-cloud-amd64'`,
      `exec /bin/bash -c '${BOOTSTRAP}' 'echo-tool/echo-params' <<'${delimiter}'`,
      ...scriptLines,
      delimiter,
    ]);
  });

  it.each(OUTERS)('round-trips every value exactly under $name, with nothing else leaking in', (outer) => {
    const params = { ...validParams, note: 'maintenance window 3', dryRun: false, count: 100 };
    // Neither the test-only PCM_ROOT nor a stale declared PCM_PARAM_* may reach the script from the
    // agent's environment.
    const env = { PCM_ROOT: '/tmp/sim-root', PCM_PARAM_NOTE: 'stale', PCM_PARAM_OTHER: 'x', PCM_SCRIPT: 'stale' };
    const result = run(outer, buildCommands({ action: echo, params, context }), { env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = fixtureOutput(result.stdout);
    expect(out.vars).toEqual(
      utf8({
        PCM_ACTION: 'echo-params',
        PCM_CHANGE_NUMBER: 'CHG0012345',
        PCM_PARAM_COUNT: '100',
        PCM_PARAM_DRY_RUN: 'false',
        PCM_PARAM_EXIT_CODE: '0',
        PCM_PARAM_HOSTNAME: 'db-1.example.internal',
        PCM_PARAM_LOG_PATH: '/var/log/syslog',
        PCM_PARAM_MODE: 'safe',
        PCM_PARAM_NOTE: 'maintenance window 3',
        PCM_PARAM_OTHER: 'x', // not ours to clear: only declared parameters are exported or unset
        PCM_PARAM_TARGET_KERNEL: '6.1.0-18-cloud-amd64',
        PCM_RUN_ID: context.runId,
        PCM_SCRIPT_SHA256: echo.scriptSha256,
        PCM_SETTING_REGION: 'eu-west-1',
        PCM_SETTING_TOKEN_PARAMETER: '/pcm/test/echo-token',
        PCM_TOOL: 'echo-tool',
      }),
    );
    expect(out.stdin).toEqual(Buffer.alloc(0));
    expect(out.argv0).toBe('echo-tool/echo-params');
  });

  it('unsets an absent optional parameter even if the environment has it', () => {
    const outer = OUTERS[0]!;
    const result = run(outer, buildCommands({ action: echo, params: validParams, context }), { env: { PCM_PARAM_NOTE: 'stale' } });
    expect(result.status).toBe(0);
    expect(fixtureOutput(result.stdout).vars).not.toHaveProperty('PCM_PARAM_NOTE');
  });

  it.each(OUTERS)('runs the same when written to a file and run as `sh <file>` (what the SSM agent does) under $name', (outer) => {
    const result = run(outer, buildCommands({ action: echo, params: { ...validParams, exitCode: 9 }, context }), { asFile: true });
    expect(result.status).toBe(9);
    expect(fixtureOutput(result.stdout).vars.PCM_PARAM_TARGET_KERNEL?.toString()).toBe('6.1.0-18-cloud-amd64');
  });

  describe.each(OUTERS)('exit code under $name', (outer) => {
    it.each([0, 1, 42, 125, 255])('is the script exit code (%i)', (code) => {
      const action = probe('echo start\nexit "$PCM_PARAM_CODE"\necho unreachable\n', z.object({ code: z.int().min(0).max(255) }));
      const result = run(outer, buildCommands({ action, params: { code }, context }));
      expect(result.stdout.toString()).toBe('start\n');
      expect(result.status).toBe(code);
    });

    it('is the status of the last command when the script does not call exit', () => {
      expect(run(outer, buildCommands({ action: probe('echo hi\nfalse\n'), params: {}, context })).status).toBe(1);
      expect(run(outer, buildCommands({ action: probe('false\ntrue'), params: {}, context })).status).toBe(0);
    });

    it('is non-zero when the script fails under set -e', () => {
      const result = run(outer, buildCommands({ action: probe('set -e\nfalse\necho unreachable\n'), params: {}, context }));
      expect(result.status).toBe(1);
      expect(result.stdout.toString()).toBe('');
    });
  });

  it('gives the script /dev/null as stdin, so a command reading stdin cannot swallow the rest of the script', () => {
    const script = 'echo before\ncat\nread -r line || echo "read hit EOF"\necho after\nexit 3\n';
    for (const outer of OUTERS) {
      const result = run(outer, buildCommands({ action: probe(script), params: {}, context }));
      expect(result.stdout.toString(), outer.name).toBe('before\nread hit EOF\nafter\n');
      expect(result.status, outer.name).toBe(3);
    }
  });

  it('passes the script verbatim: line continuations, backticks, $( and quotes are not touched by sh', () => {
    // Inside `$(cat <<'EOF' …)` bash < 5.2 would join the continued lines; a plain heredoc never does.
    const script = ["x='a \\", "b'", 'printf \'[%s]\\n\' "$x" `echo tick` "$(echo sub)" "dq\\"" $\'\\t\'', ''].join('\n');
    const expected = '[a \\\nb]\n[tick]\n[sub]\n[dq"]\n[\t]\n';
    for (const outer of OUTERS) {
      const result = run(outer, buildCommands({ action: probe(script), params: {}, context }));
      expect(result.stderr, outer.name).toBe('');
      expect(result.stdout.toString(), outer.name).toBe(expected);
    }
  });

  it('lets `shopt -s extglob` take effect for later lines (the script is not parsed as one block)', () => {
    const script = 'shopt -s extglob\nx=abc\necho "${x##+([a])}"\ncase foo in @(foo|bar)) echo matched;; esac\n';
    const result = run(OUTERS[0]!, buildCommands({ action: probe(script), params: {}, context }));
    expect(result.stderr).toBe('');
    expect(result.stdout.toString()).toBe('bc\nmatched\n');
  });

  it('is deterministic, whatever the key order of params and settings', () => {
    const a = buildCommands({ action: echo, params: validParams, context });
    const reversedParams = Object.fromEntries(Object.entries(validParams).reverse());
    const reversedSettings = Object.fromEntries(Object.entries(context.settings ?? {}).reverse());
    const b = buildCommands({ action: echo, params: reversedParams, context: { ...context, settings: reversedSettings } });
    expect(b).toEqual(a);
    expect(buildCommands({ action: echo, params: validParams, context })).toEqual(a);
  });

  it('keeps a value containing newlines in one command (one export)', () => {
    const action = probe(PRINT_PARAMS, z.object({ text: z.string() }));
    const commands = buildCommands({ action, params: { text: 'line1\nline2\n' }, context });
    expect(commands.filter((c) => c.startsWith('export PCM_PARAM_TEXT='))).toEqual(["export PCM_PARAM_TEXT='line1\nline2\n'"]);
    for (const outer of OUTERS)
      expect(nulFrames(run(outer, commands).stdout), outer.name).toEqual(utf8({ PCM_PARAM_TEXT: 'line1\nline2\n' }));
  });

  it('formats numbers as plain decimals and booleans as true/false', () => {
    const action = probe(PRINT_PARAMS, z.object({ a: z.number(), b: z.number(), c: z.boolean(), d: z.int() }));
    const commands = buildCommands({ action, params: { a: -0, b: 2.5, c: false, d: 9_007_199_254_740_991 }, context });
    expect(nulFrames(run(OUTERS[0]!, commands).stdout)).toEqual(
      utf8({ PCM_PARAM_A: '0', PCM_PARAM_B: '2.5', PCM_PARAM_C: 'false', PCM_PARAM_D: '9007199254740991' }),
    );
    expect(() => buildCommands({ action, params: { a: 1e21, b: 0, c: true, d: 0 }, context })).toThrow(/plain decimal/u);
    expect(() => buildCommands({ action, params: { a: 1e-7, b: 0, c: true, d: 0 }, context })).toThrow(/plain decimal/u);
  });

  it('carries a 100 000-character value and refuses one too large to exec', () => {
    const action = probe(PRINT_PARAMS, z.object({ big: z.string() }));
    const big = "x'\n$(y)".repeat(14_286);
    // As a file: quoted, the export line is longer than one `-c` argument may be.
    const result = run(OUTERS[0]!, buildCommands({ action, params: { big }, context }), { asFile: true });
    expect(nulFrames(result.stdout)).toEqual(utf8({ PCM_PARAM_BIG: big }));
    expect(() => buildCommands({ action, params: { big: 'x'.repeat(131_072) }, context })).toThrow(/limit for one exec argument/u);
  });

  describe('refuses', () => {
    it('invalid parameters (re-validation against the action schema)', () => {
      const bad: Record<string, unknown>[] = [
        { ...validParams, mode: 'fastest' },
        { ...validParams, count: 0 },
        { ...validParams, count: 2.5 },
        { ...validParams, count: '3' },
        { ...validParams, dryRun: 'true' },
        { ...validParams, hostname: '-oProxyCommand=x' },
        { ...validParams, logPath: '/var/../etc/shadow' },
        { ...validParams, targetKernel: '6.1.0-18\nreboot' },
        { ...validParams, note: '' },
        Object.fromEntries(Object.entries(validParams).filter(([k]) => k !== 'hostname')),
      ];
      for (const params of bad)
        expect(() => buildCommands({ action: echo, params, context }), JSON.stringify(params)).toThrow(/invalid parameters/u);
    });

    it('unknown parameters instead of silently dropping them', () => {
      expect(() => buildCommands({ action: echo, params: { ...validParams, extra: 'x' }, context })).toThrow(
        /unknown parameter\(s\) extra/u,
      );
    });

    it('parameters that are not an object', () => {
      expect(() => buildCommands({ action: echo, params: null as unknown as Record<string, unknown>, context })).toThrow(
        /must be an object/u,
      );
    });

    it('an invalid run context', () => {
      for (const bad of [
        { ...context, runId: 'not-a-uuid' },
        { ...context, runId: "0b7e6c0e-6f1a-4a57-9a5e-3f0b1f2a9c11'; reboot; '" },
        { ...context, changeNumber: 'CHG123' },
        { ...context, changeNumber: 'CHG0012345\n' },
        { ...context, changeNumber: 'CHG0012345; reboot' },
      ]) {
        expect(() => buildCommands({ action: echo, params: validParams, context: bad }), JSON.stringify(bad)).toThrow(
          /invalid run context/u,
        );
      }
    });

    it('settings with a bad key or a NUL', () => {
      expect(() => buildCommands({ action: echo, params: validParams, context: { ...context, settings: { bad_key: 'x' } } })).toThrow(
        /must match/u,
      );
      expect(() => buildCommands({ action: echo, params: validParams, context: { ...context, settings: { ok: 'a\0b' } } })).toThrow(/NUL/u);
    });

    it('NUL in a parameter value (even when the schema would let it through)', () => {
      const action = probe(PRINT_PARAMS, z.object({ text: z.string() }));
      expect(() => buildCommands({ action, params: { text: 'a\0b' }, context })).toThrow(/NUL/u);
    });

    it('non-scalar parsed values', () => {
      const action = probe(PRINT_PARAMS, z.object({ list: z.array(z.string()) }));
      expect(() => buildCommands({ action, params: { list: ['a'] }, context })).toThrow(/array cannot be passed/u);
    });

    it('a script whose text does not match its recorded sha256', () => {
      const action = probe('echo ok\n', z.object({}), { scriptSha256: sha256('echo other\n') });
      expect(() => buildCommands({ action, params: {}, context })).toThrow(/recorded sha256/u);
    });

    it('an empty script, a script with NUL, and a script too large to exec', () => {
      expect(() => buildCommands({ action: probe(' \n'), params: {}, context })).toThrow(/empty/u);
      expect(() => buildCommands({ action: probe('echo a\0b\n'), params: {}, context })).toThrow(/NUL/u);
      expect(() => buildCommands({ action: probe(`#${'x'.repeat(131_071)}`), params: {}, context })).toThrow(
        /limit for one exec argument/u,
      );
    });

    it('actions that are not bash on Linux', () => {
      expect(() => buildCommands({ action: probe('echo', z.object({}), { platform: 'Windows' }), params: {}, context })).toThrow(
        /only bash on Linux/u,
      );
    });

    it('a script containing its own heredoc delimiter line', async () => {
      // A real collision needs a script containing the first 16 hex digits of its own sha256, so the
      // hash is faked for this one import of buildCommands.
      const fake = 'f'.repeat(64);
      vi.resetModules();
      vi.doMock('node:crypto', async (importOriginal) => {
        const real = await importOriginal<typeof NodeCrypto>();
        return { ...real, createHash: () => ({ update: () => ({ digest: () => fake }) }) };
      });
      try {
        const { buildCommands: build } = await import('../../src/tools/buildCommands.ts');
        const colliding = probe('echo a\nPCM_SCRIPT_ffffffffffffffff\necho b\n', z.object({}), { scriptSha256: fake });
        expect(() => build({ action: colliding, params: {}, context })).toThrow(/heredoc delimiter line PCM_SCRIPT_ffffffffffffffff/u);
        // Near misses are fine: only an exact line ends a heredoc.
        const nearMiss = probe('echo a\nPCM_SCRIPT_ffffffffffffffff \n\tPCM_SCRIPT_ffffffffffffffff\n', z.object({}), {
          scriptSha256: fake,
        });
        expect(build({ action: nearMiss, params: {}, context }).at(-1)).toBe('PCM_SCRIPT_ffffffffffffffff');
      } finally {
        vi.doUnmock('node:crypto');
        vi.resetModules();
      }
    });
  });
});

describe('property: quoting alone keeps arbitrary values inert (schema bypassed)', () => {
  // Fragments that would break out of naive quoting. MARK is a path inside the (otherwise empty)
  // working directory and `pwned` a relative file name: any breakout creates a file there.
  const BREAKOUTS = [
    "'",
    String.raw`'\''`,
    String.raw`\'`,
    '"',
    '`touch "$MARK"`',
    '$(touch "$MARK")',
    '\'; touch "$MARK"; \'',
    "'$(touch $MARK)'",
    "';touch pwned;'",
    '\ntouch "$MARK"\n',
    "'\ntouch pwned\n'",
    '\r\ntouch pwned #',
    '${IFS}',
    '$((1+1))',
    '${MARK:?}',
    '\\',
    '\\\n',
    ')',
    ') || touch pwned',
    '<<',
    'PCM_SCRIPT_0000000000000000',
    '\nPCM_SCRIPT_0000000000000000\n',
    '*',
    '~',
    '!!',
    '%0a',
    '\u037e', // Greek question mark (looks like ;)
    '\uff1b', // fullwidth semicolon
    '\u202e', // right-to-left override
    '\u200d', // zero-width joiner
  ];
  const payload = fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
      {
        weight: 3,
        arbitrary: fc
          .array(fc.oneof(fc.constantFrom(...BREAKOUTS), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 10 })
          .map((p) => p.join('')),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    )
    .map((s) => s.replaceAll('\0', ''));

  // z.string() with no constraint at all: the schema lets everything through, only the quoting protects.
  const permissive = (count: number): LoadedAction =>
    probe(PRINT_PARAMS, z.object(Object.fromEntries(Array.from({ length: count }, (_, i) => [`v${i}`, z.string()]))));
  const paramsOf = (values: readonly string[]) => Object.fromEntries(values.map((v, i) => [`v${i}`, v]));
  const expectedOf = (values: readonly string[]) =>
    Object.fromEntries(values.map((v, i) => [paramEnvName(`v${i}`), Buffer.from(v, 'utf8')]));
  const mark = () => path.join(shells.workDir, 'MARK');
  // A breakout leaves files behind; clear them so that shrinking blames the right input.
  const emptyWorkDir = () => {
    for (const entry of readdirSync(shells.workDir)) rmSync(path.join(shells.workDir, entry), { recursive: true, force: true });
  };

  // Starting a process is the cost here, so cases are batched: 50 runs × 4–12 cases × 1–12 values,
  // about 400 cases and 2 600 values per shell.
  it('the exports of arbitrary values round-trip byte-exactly in sh (dash), bash and sh (bash POSIX)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(payload, { minLength: 1, maxLength: 12 }), { minLength: 4, maxLength: 12 }), async (cases) => {
        emptyWorkDir();
        // Many cases in one shell process: the export lines of each built list (everything before the
        // heredoc), then the same shell prints the values NUL-framed, then an END frame.
        const lines: string[] = [];
        for (const values of cases) {
          const commands = buildCommands({ action: permissive(values.length), params: paramsOf(values), context });
          lines.push(
            ...commands.slice(
              0,
              commands.findIndex((c) => c.startsWith('exec /bin/bash')),
            ),
          );
          for (const name of values.map((_, i) => paramEnvName(`v${i}`))) lines.push(`printf '%s=%s\\0' ${name} "$${name}"`);
          lines.push(String.raw`printf 'END\0'`);
        }
        const results = await Promise.all(OUTERS.map((outer) => runAsync(outer, lines, { env: { MARK: mark() } })));
        results.forEach((result, i) => {
          const name = OUTERS[i]?.name;
          expect(result.stderr, name).toBe('');
          expect(result.status, name).toBe(0);
          const chunks = result.stdout.toString('latin1').split('END\0');
          expect(chunks.pop(), name).toBe('');
          expect(
            chunks.map((c) => nulFrames(Buffer.from(c, 'latin1'))),
            name,
          ).toEqual(cases.map(expectedOf));
        });
        expect(readdirSync(shells.workDir)).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('the full commands carry arbitrary values to the script byte-exactly, and nothing runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 25 }), async (values) => {
        emptyWorkDir();
        const commands = buildCommands({ action: permissive(values.length), params: paramsOf(values), context });
        const results = await Promise.all(OUTERS.map((outer) => runAsync(outer, commands, { env: { MARK: mark() } })));
        results.forEach((result, i) => {
          const name = OUTERS[i]?.name;
          expect(result.stderr, name).toBe('');
          expect(result.status, name).toBe(0);
          expect(nulFrames(result.stdout), name).toEqual(expectedOf(values));
        });
        expect(readdirSync(shells.workDir)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('the script text reaches bash byte-exactly, whatever it contains', async () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(...BREAKOUTS, 'EOF', "PCM_SCRIPT_'x'", '$(', '`', 'case x in x) ;; esac'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (junk) => {
        emptyWorkDir();
        // bash -c parses and runs one command at a time, so nothing after `exit` is parsed or run; the
        // first line prints the whole -c string, i.e. exactly the script bash received.
        const script = [`printf '%s' "$BASH_EXECUTION_STRING"; exit 0`, ...junk.map((l) => l.replaceAll('\0', ''))].join('\n');
        const commands = buildCommands({ action: probe(script), params: {}, context });
        const expected = Buffer.from(script.replace(/\n+$/u, ''), 'utf8');
        const results = await Promise.all(OUTERS.map((outer) => runAsync(outer, commands)));
        results.forEach((result, i) => {
          expect(result.stderr, OUTERS[i]?.name).toBe('');
          expect(result.stdout.equals(expected), OUTERS[i]?.name).toBe(true);
        });
        expect(readdirSync(shells.workDir)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});
