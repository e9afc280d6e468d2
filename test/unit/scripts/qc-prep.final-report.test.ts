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
const script = scriptPath('qc-prep', 'final-report.sh');

afterAll(cleanupSimHosts);

const stagedHost = async (profile: HostProfile, targetKernel: string): Promise<SimHost> => {
  const host = await createSimHost(profile);
  expectContract(await host.run(prep), 'ok');
  expectContract(await host.run(stage, { params: { targetKernel } }), 'ok');
  return host;
};

describe('qc-prep final-report', () => {
  it('RHEL: GO when the staged kernel is installed and default', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    await host.advanceClock(1800);
    const r = expectContract(await host.run(script), 'ok');
    expect(r.details['snapshotAgeSeconds']).toBeGreaterThanOrEqual(1800);
    expect(r.details['snapshotAgeSeconds']).toBeLessThan(1830);
    expect(r.details).toMatchObject({
      go: true,
      snapshotPresent: true,
      stagedKernel: '5.14.0-427.13.1.el9_4.x86_64',
      defaultKernel: '5.14.0-427.13.1.el9_4.x86_64',
      stagedKernelReady: true,
      stagedKernelRunning: false,
      runningKernel: '5.14.0-362.8.1.el9_3.x86_64',
      rootFreeMb: 12_000,
      lockHeld: false,
      pendingUpdates: 5,
      reasons: [],
      warnings: [],
    });
    expect(r.summary).toMatch(/^GO: Red Hat Enterprise Linux 9\.3 \(Plow\), staged kernel 5\.14\.0-427\.13\.1\.el9_4\.x86_64 is default/u);
  });

  it('Debian: GO after staging', async () => {
    const host = await stagedHost(ubuntu2204Healthy(), '5.15.0-97-generic');
    const r = expectContract(await host.run(script), 'ok');
    expect(r.details).toMatchObject({ go: true, stagedKernel: '5.15.0-97-generic', defaultKernel: '5.15.0-97-generic' });
  });

  it('NO-GO when the default boot entry was changed after staging', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    await host.update({ defaultKernel: '5.14.0-362.8.1.el9_3.x86_64' });
    const r = expectContract(await host.run(script), 'fail');
    expect(r.details['go']).toBe(false);
    expect(r.summary).toBe('NO-GO: default boot kernel is 5.14.0-362.8.1.el9_3.x86_64, not the staged 5.14.0-427.13.1.el9_4.x86_64');
  });

  it('NO-GO when the staged kernel lost its initramfs', async () => {
    const host = await stagedHost(rhel9Healthy(), '5.14.0-427.13.1.el9_4.x86_64');
    await host.removeFile('/boot/initramfs-5.14.0-427.13.1.el9_4.x86_64.img');
    expect(expectContract(await host.run(script), 'fail').summary).toContain('is not fully installed');
  });

  it('NO-GO without an initial-qc snapshot, and on a full disk or a held lock', async () => {
    const host = await createSimHost(rhel9Healthy());
    const noSnapshot = expectContract(await host.run(script), 'fail');
    expect(noSnapshot.details['reasons']).toEqual(['no initial-qc snapshot for this change (run /qc-prep initial-qc)']);

    expectContract(await host.run(prep), 'ok');
    await host.update({ disks: [{ mount: '/', source: '/dev/nvme0n1p4', sizeMb: 20_480, availMb: 100 }], lock: { pid: 999, comm: 'dnf' } });
    const busy = expectContract(await host.run(script), 'fail');
    // /boot is on / once the profile has no separate /boot filesystem.
    expect(busy.details['reasons']).toEqual([
      '/ has 100 MB free (< 2048 MB)',
      '/boot has 100 MB free (< 200 MB)',
      'package manager busy: dnf (pid 999); lock files in use by pid(s) 999',
    ]);
  });

  it('GO with a warning when no kernel was staged', async () => {
    const host = await createSimHost(ubuntu2204Healthy());
    expectContract(await host.run(prep), 'ok');
    const r = expectContract(await host.run(script), 'warn');
    expect(r.details).toMatchObject({ go: true, stagedKernel: '', stagedKernelReady: null });
    expect(r.summary).toContain('no kernel staged');
  });

  it('unsupported OS', async () => {
    expectContract(await runOnSimHost(script, { profile: suseUnsupported() }), 'unsupported');
  });
});
