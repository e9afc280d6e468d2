import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSimHosts,
  createSimHost,
  expectContract,
  rhel9Healthy,
  runOnSimHost,
  scriptPath,
  suseUnsupported,
  ubuntu2204Healthy,
} from '../../helpers/simHost/index.ts';
import type { HostProfile, SimHost } from '../../helpers/simHost/index.ts';

const prep = scriptPath('qc-prep', 'initial-qc.sh');
const stage = scriptPath('qc-prep', 'kernel-staging.sh');
const script = scriptPath('qc-post', 'reboot-verification.sh');

afterAll(cleanupSimHosts);

const stagedHost = async (profile: HostProfile, targetKernel?: string): Promise<SimHost> => {
  const host = await createSimHost(profile);
  expectContract(await host.run(prep), 'ok');
  if (targetKernel) expectContract(await host.run(stage, { params: { targetKernel } }), 'ok');
  await host.advanceClock(600);
  return host;
};

describe('qc-post reboot-verification', () => {
  it('RHEL: ok after rebooting into the staged kernel with all mounts', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    expect(await host.reboot()).toBe('5.14.0-427.13.1.el9_4.x86_64');
    const r = expectContract(await host.run(script), 'ok');
    expect(r.details).toMatchObject({
      rebooted: true,
      runningKernel: '5.14.0-427.13.1.el9_4.x86_64',
      stagedKernel: '5.14.0-427.13.1.el9_4.x86_64',
      kernelBefore: '5.14.0-362.8.1.el9_3.x86_64',
      kernelMatches: true,
      uptimeSeconds: 95,
      mountsCompared: 4,
      missingMounts: [],
      changedMounts: [],
    });
  });

  it('Ubuntu: ok after rebooting into the staged kernel', async () => {
    const host = await stagedHost(ubuntu2204Healthy(), '5.15.0-97-generic');
    expect(await host.reboot()).toBe('5.15.0-97-generic');
    expect(expectContract(await host.run(script), 'ok').details).toMatchObject({ kernelMatches: true, mountsCompared: 2 });
  });

  it('fails when the host has not rebooted since the snapshot', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    const r = expectContract(await host.run(script), 'fail');
    expect(r.details['rebooted']).toBe(false);
    const reasons = r.details['reasons'] as string[];
    expect(reasons[0]).toMatch(/^not rebooted since the snapshot \(booted \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/u);
    expect(reasons[1]).toBe('running kernel 5.14.0-362.8.1.el9_3.x86_64 is not the staged kernel 5.14.0-427.13.1.el9_4.x86_64');
    expect(r.summary.length).toBeLessThanOrEqual(200);
  });

  it('fails when the host came back on another kernel (e.g. fallback after a failed boot)', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    await host.reboot({ kernel: '5.14.0-362.8.1.el9_3.x86_64' });
    const r = expectContract(await host.run(script), 'fail');
    expect(r.details).toMatchObject({ rebooted: true, kernelMatches: false });
    expect(r.summary).toBe(
      'Reboot verification failed: running kernel 5.14.0-362.8.1.el9_3.x86_64 is not the staged kernel 5.14.0-427.13.1.el9_4.x86_64',
    );
  });

  it('fails on a missing mount or a changed filesystem type; a changed device name only warns', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    await host.reboot();
    const mounts = rhel9Healthy().mounts;
    await host.update({ mounts: mounts.filter((m) => m.target !== '/data') });
    const missing = expectContract(await host.run(script), 'fail');
    expect(missing.details['missingMounts']).toEqual(['/data']);

    // NVMe names are not stable across reboots; runtime mounts come and go.
    await host.update({
      mounts: mounts.map((m) => (m.target === '/data' ? { ...m, source: '/dev/nvme2n1' } : m)).filter((m) => m.target !== '/run/user/1000'),
    });
    const renamed = expectContract(await host.run(script), 'warn');
    expect(renamed.details['changedMounts']).toEqual(['/data (/dev/nvme1n1 -> /dev/nvme2n1)']);

    await host.update({ mounts: mounts.map((m) => (m.target === '/data' ? { ...m, fstype: 'ext4' } : m)) });
    expect(expectContract(await host.run(script), 'fail').summary).toContain('filesystem type changed: /data (xfs -> ext4)');
  });

  it('warns when no kernel was staged for the change', async () => {
    const host = await stagedHost(ubuntu2204Healthy());
    await host.reboot();
    const r = expectContract(await host.run(script), 'warn');
    expect(r.details).toMatchObject({ stagedKernel: '', kernelMatches: null });
  });

  it('fails without a snapshot; unsupported OS', async () => {
    expect(expectContract(await runOnSimHost(script, { profile: rhel9Healthy() }), 'fail').summary).toContain('no initial-qc snapshot');
    expectContract(await runOnSimHost(script, { profile: suseUnsupported() }), 'unsupported');
  });
});
