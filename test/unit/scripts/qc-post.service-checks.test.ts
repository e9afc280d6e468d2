import { afterAll, describe, expect, it } from 'vitest';
import {
  alpineUnsupported,
  cleanupSimHosts,
  createSimHost,
  expectContract,
  rhel9Healthy,
  runOnSimHost,
  scriptPath,
  ubuntu2204Healthy,
  withProfile,
} from '../../helpers/simHost/index.ts';
import type { HostProfile, SimHost } from '../../helpers/simHost/index.ts';

const prep = scriptPath('qc-prep', 'initial-qc.sh');
const script = scriptPath('qc-post', 'service-checks.sh');

afterAll(cleanupSimHosts);

const snapshotted = async (profile: HostProfile): Promise<SimHost> => {
  const host = await createSimHost(profile);
  const r = expectContract(await host.run(prep));
  expect(r.details['snapshotWritten']).toBe(true);
  return host;
};

describe('qc-post service-checks', () => {
  it('RHEL: ok when every service of the snapshot runs after the reboot', async () => {
    const host = await snapshotted(rhel9Healthy());
    await host.reboot();
    const r = expectContract(await host.run(script), 'ok');
    expect(r.details).toMatchObject({
      servicesBefore: 14,
      servicesNow: 14,
      missingServices: [],
      newlyFailedUnits: [],
      systemState: 'running',
    });
  });

  it('a service that stopped after patching fails the check', async () => {
    const host = await snapshotted(rhel9Healthy());
    await host.reboot();
    await host.update({ runningServices: rhel9Healthy().runningServices.filter((s) => s !== 'sshd.service' && s !== 'rsyslog.service') });
    const r = expectContract(await host.run(script), 'fail');
    expect(r.details).toMatchObject({ missingCount: 2, missingServices: ['rsyslog.service', 'sshd.service'] });
    expect(r.summary).toBe('2 service(s) no longer running: rsyslog.service; sshd.service');
  });

  it('a newly failed unit fails the check; one that failed before only warns', async () => {
    const host = await snapshotted(withProfile(ubuntu2204Healthy(), { failedUnits: ['motd-news.service'] }));
    await host.reboot();
    await host.update({ failedUnits: ['motd-news.service'] });
    const before = expectContract(await host.run(script), 'warn');
    expect(before.details).toMatchObject({ stillFailedUnits: ['motd-news.service'], newlyFailedUnits: [] });

    const running = ubuntu2204Healthy().runningServices.filter((s) => s !== 'cron.service');
    await host.update({ failedUnits: ['cron.service', 'motd-news.service'], runningServices: running });
    const after = expectContract(await host.run(script), 'fail');
    expect(after.details).toMatchObject({ newlyFailedUnits: ['cron.service'], missingServices: ['cron.service'], systemState: 'degraded' });
    expect(after.summary).toContain('1 newly failed unit(s): cron.service');
  });

  it('on-demand and per-session services are ignored', async () => {
    const host = await snapshotted(rhel9Healthy());
    await host.update({ runningServices: rhel9Healthy().runningServices.filter((s) => s !== 'user@1000.service') });
    const r = expectContract(await host.run(script), 'ok');
    expect(r.details['ignoredServices']).toEqual(['user@1000.service']);
  });

  it('sftd stopping after patching is noticed like any other service', async () => {
    const host = await snapshotted(rhel9Healthy());
    await host.update({ sft: { active: false, failed: true } });
    const r = expectContract(await host.run(script), 'fail');
    expect(r.details).toMatchObject({ missingServices: ['sftd.service'], newlyFailedUnits: ['sftd.service'] });
  });

  it('fails without a snapshot of this change', async () => {
    const host = await snapshotted(rhel9Healthy());
    const r = expectContract(await host.run(script, { changeNumber: 'CHG0099999' }), 'fail');
    expect(r.summary).toBe('no initial-qc snapshot for CHG0099999 on this host: run /qc-prep initial-qc before patching');
  });

  it('unsupported when systemd is gone, and on an unsupported OS', async () => {
    const host = await snapshotted(rhel9Healthy());
    await host.update({ missingCommands: ['systemctl'] });
    expect(expectContract(await host.run(script), 'unsupported').summary).toContain('systemd not available');
    expectContract(await runOnSimHost(script, { profile: alpineUnsupported() }), 'unsupported');
  });
});
