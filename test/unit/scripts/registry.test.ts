import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildCommands } from '../../../src/tools/buildCommands.ts';
import { KERNEL_RELEASE } from '../../../src/tools/qc-prep/definition.ts';
import { loadRegistry } from '../../../src/tools/registry.ts';
import type { LoadedAction } from '../../../src/tools/registry.ts';
import {
  cleanupSimHosts,
  envName,
  expectContract,
  rhel9Healthy,
  runOnSimHost,
  scriptPath,
  ubuntu2204Healthy,
  withProfile,
} from '../../helpers/simHost/index.ts';

const registry = await loadRegistry();
afterAll(cleanupSimHosts);
// Every action the registry finds: a new tool folder is checked here without editing this file.
const actions = registry.tools.flatMap((t) => t.actions.map((a) => [`${t.id}/${a.id}`, a] as const));

/** Valid values for some parameters without a default; any other action's params must parse from `{}` but for those without one. */
const required: Record<string, Record<string, unknown>> = { 'qc-prep/kernel-staging': { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } };

describe('tool registry', () => {
  it('loads the three tools with their commands and actions', () => {
    expect(registry.byCommand('/qc-prep')?.actions.map((a) => a.id)).toEqual(['initial-qc', 'kernel-staging', 'final-report']);
    expect(registry.byCommand('/qc-post')?.actions.map((a) => a.id)).toEqual(['service-checks', 'reboot-verification']);
    expect(registry.byCommand('/sft-fix')?.actions.map((a) => a.id)).toEqual(['detection', 'repair', 'enrollment']);
    expect(registry.byId('qc-prep')?.title).toBe('Linux QC Patching Prep');
    expect(registry.byId('qc-post')?.title).toBe('Linux QC Patching Post');
    expect(registry.byId('sft-fix')?.title).toBe('ScaleFT agent fixer');
    expect(registry.byId('sft-fix')?.settings).toEqual({ enrollmentTokenParameter: '/pcm-ops/scaleft/enrollment-token' });
  });

  it.each(actions)('%s: params parse their defaults', (key, action) => {
    const parsed = action.params.safeParse(required[key] ?? {});
    // Only a parameter without a default may be missing from `{}` (its valid values are its tool's tests' business).
    const shape = action.params.shape as Record<string, z.ZodType>;
    const wrong = (parsed.error?.issues ?? []).filter(
      (i) => !(i.path.length === 1 && shape[String(i.path[0])]?.safeParse(undefined).success === false),
    );
    expect(wrong).toEqual([]);
    if (key === 'qc-prep/initial-qc' || key === 'qc-prep/final-report')
      expect(parsed.data).toEqual({ minRootFreeMb: 2048, minBootFreeMb: 200 });
    if (key === 'sft-fix/enrollment') expect(parsed.data).toEqual({ force: false });
    if (key === 'qc-prep/kernel-staging') expect(parsed.success).toBe(true);
  });

  it.each(actions)('%s: every parameter is an allow-list with Slack metadata, and the script reads it', (_key, action: LoadedAction) => {
    for (const [name, field] of Object.entries(action.params.shape)) {
      const meta = z.globalRegistry.get(field as z.ZodType) as { title?: string; description?: string } | undefined;
      expect(meta?.title, `${name} has a title`).toBeTruthy();
      expect(meta?.description, `${name} has a description`).toBeTruthy();
      expect(action.scriptContent).toContain(envName('PCM_PARAM_', name));
    }
    // …and reads no parameter the action does not define.
    const read = new Set([...action.scriptContent.matchAll(/PCM_PARAM_[A-Z0-9_]+/gu)].map((m) => m[0]));
    expect([...read].sort()).toEqual(
      Object.keys(action.params.shape)
        .map((k) => envName('PCM_PARAM_', k))
        .sort(),
    );
  });

  it.each(actions)('%s: action contract (bash on Linux, timeouts, targets, approvals, hash)', (key, action) => {
    expect(action.interpreter).toBe('bash');
    expect(action.platform).toBe('Linux');
    expect(action.timeouts.deliverySeconds).toBe(600);
    expect(action.timeouts.executionSeconds).toBeGreaterThanOrEqual(300);
    expect(action.timeouts.executionSeconds).toBeLessThanOrEqual(3600);
    expect(action.approval.approvals).toBeGreaterThanOrEqual(1);
    expect(action.targets.min).toBeGreaterThanOrEqual(1);
    expect(action.targets.max).toBeLessThanOrEqual(5000);
    expect(action.scriptSha256).toBe(createHash('sha256').update(action.scriptContent, 'utf8').digest('hex'));
    expect(action.scriptContent.startsWith('#!/usr/bin/env bash\n')).toBe(true);
  });

  it('marks what mutates, links qc-post to initial-qc, gives kernel staging an hour and sft-fix one host at a time', () => {
    const ours = ['qc-prep', 'qc-post', 'sft-fix'].flatMap(
      (id) => registry.byId(id)?.actions.map((a) => [`${id}/${a.id}`, a] as const) ?? [],
    );
    expect(ours.filter(([, a]) => a.mutates).map(([k]) => k)).toEqual(['qc-prep/kernel-staging', 'sft-fix/repair', 'sft-fix/enrollment']);
    for (const [key, a] of ours) {
      expect(a.approval.approvals, key).toBe(1);
      expect(a.targets, key).toEqual(key.startsWith('sft-fix/') ? { min: 1, max: 1 } : { min: 1, max: 5000 });
    }
    for (const a of registry.byId('qc-post')?.actions ?? []) expect(a.requires).toEqual({ tool: 'qc-prep', action: 'initial-qc' });
    expect(registry.action('qc-prep', 'kernel-staging')?.timeouts.executionSeconds).toBe(3600);
  });

  it('kernel-staging accepts kernel releases and rejects anything else', () => {
    const params = registry.action('qc-prep', 'kernel-staging')?.params;
    for (const ok of [
      '5.14.0-427.13.1.el9_4.x86_64',
      '5.15.0-97-generic',
      '6.1.0-18-amd64',
      '5.15.0-200.131.27.el9uek.x86_64',
      '4.14.336-257.562.amzn2.x86_64',
    ]) {
      expect(params?.safeParse({ targetKernel: ok }).success, ok).toBe(true);
    }
    for (const bad of [
      '',
      '5.14',
      '5.14.0',
      '5.14.0-1 ',
      '5.14.0-1;reboot',
      '5.14.0-$(id)',
      '5.14.0-1/../x',
      `5.14.0-${'a'.repeat(100)}`,
    ]) {
      expect(params?.safeParse({ targetKernel: bad }).success, bad).toBe(false);
    }
  });

  it("kernel-staging accepts every distribution's kernel release form", () => {
    const params = registry.action('qc-prep', 'kernel-staging')?.params;
    const releases = [
      '5.14.0-427.13.1.el9_4.x86_64', // RHEL 9
      '5.14.0-427.13.1.el9_4', // RHEL without the .arch suffix (the script appends uname -m)
      '5.14.0-427.13.1.el9_4.aarch64',
      '4.18.0-513.24.1.el8_9.x86_64', // RHEL 8
      '3.10.0-1160.119.1.el7.x86_64', // RHEL 7
      '5.14.0-432.el9.x86_64', // CentOS Stream 9
      '6.1.79-99.167.amzn2023.x86_64', // Amazon Linux 2023
      '5.10.214-202.855.amzn2.x86_64', // Amazon Linux 2
      '4.14.336-257.562.amzn2.x86_64',
      '5.15.0-205.149.5.1.el9uek.x86_64', // Oracle Linux UEK
      '6.1.0-18-amd64', // Debian 12
      '6.1.0-18-cloud-amd64',
      '6.1.0-18-arm64',
      '5.10.0-28-amd64', // Debian 11
      '6.1.0-0.deb11.17-amd64', // Debian 11 backports
      '5.15.0-105-generic', // Ubuntu 22.04
      '6.5.0-35-generic', // Ubuntu 22.04 HWE
      '6.8.0-1008-aws', // Ubuntu 24.04 on EC2
      '5.15.0-1051-aws',
      '5.4.0-1103-azure',
    ];
    for (const ok of releases) expect(params?.safeParse({ targetKernel: ok }).success, ok).toBe(true);
  });

  it.each([...'+*?[]^$|(){}\\'].map((c) => [c]))('kernel-staging refuses %j, which apt/dnf would read as a pattern', (c) => {
    const params = registry.action('qc-prep', 'kernel-staging')?.params;
    for (const bad of [`6.1.0-47-${c}-dbg`, `6.1.0-47-amd64${c}`, `6.1.0-47-${c}amd64`, `5.14.0-427.13.1.el9_4${c}x86_64`]) {
      const parsed = params?.safeParse({ targetKernel: bad });
      expect(parsed?.success, bad).toBe(false);
      expect(
        parsed?.error?.issues.map((i) => i.path.join('.')),
        bad,
      ).toEqual(['targetKernel']);
    }
  });

  it('kernel-staging refuses the example of the review and a trailing - (apt: remove)', () => {
    const params = registry.action('qc-prep', 'kernel-staging')?.params;
    for (const bad of ['6.1.0-47-.+-dbg', '6.1.0-44-', '6.1.0-44-amd64.', '5.14.0-427.13.1.el9_4.x86_64+debug']) {
      expect(params?.safeParse({ targetKernel: bad }).success, bad).toBe(false);
    }
  });

  it('the script checks the same kernel pattern as the form', () => {
    const action = registry.action('qc-prep', 'kernel-staging');
    const shell = /^TARGET_RE='([^']*)'$/mu.exec(action?.scriptContent ?? '')?.[1];
    expect(shell).toBe(KERNEL_RELEASE.source);
    expect(KERNEL_RELEASE.source.startsWith('^') && KERNEL_RELEASE.source.endsWith('$')).toBe(true);
  });

  it('threshold parameters are bounded integers', () => {
    const params = registry.action('qc-prep', 'initial-qc')?.params;
    expect(params?.safeParse({ minRootFreeMb: 99 }).success).toBe(false);
    expect(params?.safeParse({ minRootFreeMb: 102_401 }).success).toBe(false);
    expect(params?.safeParse({ minBootFreeMb: 200.5 }).success).toBe(false);
    expect(params?.safeParse({ minRootFreeMb: 100, minBootFreeMb: 10_240 }).success).toBe(true);
  });
});

describe('delivery through buildCommands', () => {
  it('initial-qc runs unchanged behind the SSM wrapper (sh → heredoc → bash -c, stdin /dev/null)', async () => {
    const action = registry.action('qc-prep', 'initial-qc');
    if (!action) throw new Error('initial-qc not loaded');
    const commands = buildCommands({
      action,
      params: { minRootFreeMb: 1024 },
      context: { runId: '0b9f4a3e-5d7c-4e2a-9f1b-2c3d4e5f6a7b', changeNumber: 'CHG0054321' },
    });
    const run = await runOnSimHost(scriptPath('qc-prep', 'initial-qc.sh'), {
      profile: ubuntu2204Healthy(),
      commands,
      env: { PCM_CHANGE_NUMBER: 'CHG-IGNORED' },
    });
    const r = expectContract(run, 'ok');
    expect(r.details).toMatchObject({ changeNumber: 'CHG0054321', minRootFreeMb: 1024, minBootFreeMb: 200, ready: true });
    expect(await run.host.readFile('/var/lib/pcm-ops/qc/CHG0054321/prep.json')).toContain(
      '"runId": "0b9f4a3e-5d7c-4e2a-9f1b-2c3d4e5f6a7b"',
    );
  });

  it('sft-fix enrollment receives its setting through the wrapper', async () => {
    const action = registry.action('sft-fix', 'enrollment');
    if (!action) throw new Error('enrollment not loaded');
    const commands = buildCommands({
      action,
      params: { force: false },
      context: { runId: '0b9f4a3e-5d7c-4e2a-9f1b-2c3d4e5f6a7b', changeNumber: 'CHG0054321', settings: registry.byId('sft-fix')?.settings },
    });
    const run = await runOnSimHost(scriptPath('sft-fix', 'enrollment.sh'), {
      profile: withProfile(rhel9Healthy(), { sft: { enrolled: false } }),
      commands,
    });
    expect(expectContract(run, 'ok').details).toMatchObject({ tokenParameter: '/pcm-ops/scaleft/enrollment-token', enrolled: true });
  });
});
