import { afterAll, describe, expect, it } from 'vitest';
import {
  alpineUnsupported,
  cleanupSimHosts,
  createSimHost,
  expectContract,
  invoked,
  rhel9Healthy,
  runOnSimHost,
  scriptPath,
  suseUnsupported,
  ubuntu2204Healthy,
  withProfile,
} from '../../helpers/simHost/index.ts';

const script = scriptPath('qc-prep', 'initial-qc.sh');
const snapshotDir = '/var/lib/pcm-ops/qc/CHG0012345';

afterAll(cleanupSimHosts);

describe('qc-prep initial-qc', () => {
  it('healthy RHEL 9: ready, counts updates with dnf and writes the snapshot', async () => {
    const run = await runOnSimHost(script, { profile: rhel9Healthy() });
    const r = expectContract(run, 'ok');
    expect(r.details).toMatchObject({
      ready: true,
      osId: 'rhel',
      osFamily: 'rhel',
      runningKernel: '5.14.0-362.8.1.el9_3.x86_64',
      installedKernels: ['5.14.0-284.30.1.el9_2.x86_64', '5.14.0-362.8.1.el9_3.x86_64'],
      runningKernelInstalled: true,
      uptimeSeconds: 40 * 86_400,
      rootFreeMb: 12_000,
      bootFreeMb: 620,
      bootFilesystem: '/boot',
      packageManager: 'dnf',
      pendingUpdates: 5,
      pendingUpdatesState: 'ok',
      lockHeld: false,
      // 13 from the profile plus sftd, which the healthy profile runs.
      runningServiceCount: 14,
      failedUnits: [],
      snapshotWritten: true,
      snapshotDir,
      reasons: [],
    });
    expect(invoked(run, 'dnf', '-q', 'check-update')).toBe(true);

    const prep = JSON.parse((await run.host.readFile(`${snapshotDir}/prep.json`)) ?? '') as Record<string, unknown>;
    expect(prep).toMatchObject({
      schema: 1,
      changeNumber: 'CHG0012345',
      runningKernel: '5.14.0-362.8.1.el9_3.x86_64',
      ready: true,
      osFamily: 'rhel',
    });
    expect(typeof prep['timestamp']).toBe('number');
    expect(prep['bootTime']).toBe((prep['timestamp'] as number) - 40 * 86_400);
    expect((await run.host.readFile(`${snapshotDir}/services.txt`))?.split('\n')).toContain('sshd.service');
    expect(await run.host.readFile(`${snapshotDir}/failed-units.txt`)).toBe('');
    expect((await run.host.readFile(`${snapshotDir}/mounts.txt`))?.split('\n')).toContain('/data /dev/nvme1n1 xfs');
  });

  it('healthy Ubuntu 22.04: refreshes apt lists, counts dist-upgrade, /boot on /', async () => {
    const run = await runOnSimHost(script, { profile: ubuntu2204Healthy() });
    const r = expectContract(run, 'ok');
    expect(r.details).toMatchObject({
      ready: true,
      osId: 'ubuntu',
      osFamily: 'debian',
      osVersionId: '22.04',
      installedKernels: ['5.15.0-88-generic', '5.15.0-91-generic'],
      packageManager: 'apt-get',
      pendingUpdates: 4,
      bootFilesystem: '/',
      bootFreeMb: 18_000,
    });
    expect(invoked(run, 'apt-get', '-q', 'update')).toBe(true);
    expect(run.invocations.some((i) => i.command === 'apt-get' && i.args.includes('-s') && i.args.includes('dist-upgrade'))).toBe(true);
    expect(await run.host.readFile(`${snapshotDir}/prep.json`)).toContain('"osFamily": "debian"');
  });

  it('disk full: not ready, fail with the reason, snapshot still written', async () => {
    const profile = withProfile(rhel9Healthy(), {
      disks: [
        { mount: '/', source: '/dev/nvme0n1p4', sizeMb: 20_480, availMb: 500 },
        { mount: '/boot', source: '/dev/nvme0n1p3', sizeMb: 960, availMb: 80 },
      ],
    });
    const run = await runOnSimHost(script, { profile });
    const r = expectContract(run, 'fail');
    expect(run.exitCode).toBe(1);
    expect(r.details['ready']).toBe(false);
    expect(r.details['reasons']).toEqual(['/ has 500 MB free (< 2048 MB)', '/boot has 80 MB free (< 200 MB)']);
    expect(r.summary).toMatch(/^Not ready: \/ has 500 MB free/u);
    expect(await run.host.readFile(`${snapshotDir}/prep.json`)).toContain('"ready": false');
  });

  it('honours the threshold parameters', async () => {
    const profile = withProfile(ubuntu2204Healthy(), { disks: [{ mount: '/', source: '/dev/root', sizeMb: 8000, availMb: 1500 }] });
    const strict = await runOnSimHost(script, { profile });
    expect(expectContract(strict, 'fail').details['reasons']).toEqual(['/ has 1500 MB free (< 2048 MB)']);
    const relaxed = await runOnSimHost(script, { profile, params: { minRootFreeMb: 1000, minBootFreeMb: 100 } });
    expect(expectContract(relaxed, 'ok').details).toMatchObject({ minRootFreeMb: 1000, minBootFreeMb: 100, ready: true });
  });

  it('rejects out-of-range parameters', async () => {
    const run = await runOnSimHost(script, { profile: rhel9Healthy(), params: { minRootFreeMb: 5 } });
    expect(expectContract(run, 'fail').summary).toContain('PCM_PARAM_MIN_ROOT_FREE_MB must be an integer between 100 and 102400');
  });

  it('RHEL package-manager lock (yum.pid of a live process): not ready, repositories not queried', async () => {
    const run = await runOnSimHost(script, { profile: withProfile(rhel9Healthy(), { lock: { pid: 4242, comm: 'yum' } }) });
    const r = expectContract(run, 'fail');
    expect(r.details).toMatchObject({ lockHeld: true, pendingUpdatesState: 'skipped', pendingUpdates: null });
    expect(r.details['lockHolders']).toEqual(expect.arrayContaining(['/var/run/yum.pid: pid 4242', 'yum (pid 4242)']));
    expect(r.summary).toContain('package manager busy');
    expect(invoked(run, 'dnf', '-q', 'check-update')).toBe(false);
  });

  it('Debian dpkg lock held: detected with fuser, and by /proc scan when fuser is missing', async () => {
    const locked = withProfile(ubuntu2204Healthy(), { lock: { pid: 777, comm: 'apt-get' } });
    const withFuser = expectContract(await runOnSimHost(script, { profile: locked }), 'fail');
    expect(withFuser.details['lockCheck']).toBe('fuser+proc-scan');
    expect(withFuser.details['lockHolders']).toContain('lock files in use by pid(s) 777');

    const noFuser = expectContract(await runOnSimHost(script, { profile: withProfile(locked, { missingCommands: ['fuser'] }) }), 'fail');
    expect(noFuser.details).toMatchObject({ lockHeld: true, lockCheck: 'proc-scan', lockHolders: ['apt-get (pid 777)'] });
  });

  it('unreachable repositories: not ready', async () => {
    const run = await runOnSimHost(script, { profile: withProfile(rhel9Healthy(), { repoError: true }) });
    const r = expectContract(run, 'fail');
    expect(r.details['pendingUpdatesState']).toBe('error');
    expect(r.summary).toContain(
      "cannot query repositories: dnf check-update failed (exit 1): Error: Failed to download metadata for repo 'baseos'",
    );
  });

  it('units already failed before patching: warn, and recorded in the snapshot', async () => {
    const run = await runOnSimHost(script, {
      profile: withProfile(rhel9Healthy(), { failedUnits: ['kdump.service', 'mnt-backup.mount'] }),
    });
    const r = expectContract(run, 'warn');
    expect(r.details).toMatchObject({ ready: true, failedUnits: ['kdump.service', 'mnt-backup.mount'] });
    expect(await run.host.readFile(`${snapshotDir}/failed-units.txt`)).toBe('kdump.service\nmnt-backup.mount\n');
  });

  it('falls back to /proc/mounts without findmnt', async () => {
    const run = await runOnSimHost(script, { profile: withProfile(rhel9Healthy(), { missingCommands: ['findmnt'] }) });
    expect(expectContract(run, 'ok').details['mountsSource']).toBe('proc-mounts');
    expect((await run.host.readFile(`${snapshotDir}/mounts.txt`))?.split('\n')).toContain('/boot/efi /dev/nvme0n1p2 vfat');
  });

  it('a second run replaces the snapshot and keeps the previous one', async () => {
    const host = await createSimHost(rhel9Healthy());
    expectContract(await host.run(script), 'ok');
    await host.advanceClock(3600);
    const again = expectContract(await host.run(script), 'warn');
    expect(String(again.details['warnings'])).toContain('replaced the earlier snapshot of this change');
    expect(await host.readFile(`${snapshotDir}/previous/prep.json`)).toContain('"changeNumber": "CHG0012345"');
  });

  it('host values cannot break the JSON result', async () => {
    const weird = ['quote"d.service', 'back\\slash.service', 'tab\there.service', 'ctl\u0001char.service', 'ünïcode.service'];
    const run = await runOnSimHost(script, { profile: withProfile(rhel9Healthy(), { failedUnits: weird }) });
    const r = expectContract(run, 'warn');
    expect(r.details['failedUnits']).toEqual(weird);
  });

  it.each([
    ['Alpine', alpineUnsupported(), /Unsupported OS 'Alpine Linux v3\.19' \(ID=alpine\)/u],
    ['SLES', suseUnsupported(), /Unsupported OS 'SUSE Linux Enterprise Server 15 SP5' \(ID=sles\)/u],
    ['no os-release', withProfile(rhel9Healthy(), { osRelease: null }), /Unsupported OS 'unknown \(no \/etc\/os-release\)'/u],
  ])('unsupported OS (%s): status unsupported, exit 2, nothing written', async (_name, profile, summary) => {
    const run = await runOnSimHost(script, { profile });
    const r = expectContract(run, 'unsupported');
    expect(run.exitCode).toBe(2);
    expect(r.summary).toMatch(summary);
    expect(await run.host.readFile(`${snapshotDir}/prep.json`)).toBeUndefined();
  });

  it('refuses a malformed change number (it names the snapshot directory)', async () => {
    const run = await runOnSimHost(script, { profile: rhel9Healthy(), changeNumber: '../../etc' });
    expect(expectContract(run, 'fail').summary).toContain('PCM_CHANGE_NUMBER is missing or malformed');
    expect(run.invocations.map((i) => i.command)).not.toContain('dnf');
  });

  it('refuses to run as a non-root user', async () => {
    const run = await runOnSimHost(script, { profile: withProfile(rhel9Healthy(), { uid: 1000 }) });
    expect(expectContract(run, 'fail').summary).toContain('must run as root (uid 1000)');
  });

  it('SIGTERM to the process group (SSM cancel or execution timeout) still ends with a fail result', async () => {
    const profile = withProfile(rhel9Healthy(), { hangingCommands: ['dnf'] });
    const run = await runOnSimHost(script, { profile, signal: { name: 'SIGTERM', afterMs: 3000 }, timeoutMs: 30_000 });
    const r = expectContract(run, 'fail');
    expect(run.exitCode).toBe(3);
    expect(r.summary).toBe('Interrupted by SIGTERM (execution timeout or cancel); check the host, it may be mid-change');
    expect(r.details['signal']).toBe('TERM');
    // The hanging dnf was stopped with the group rather than waited for.
    expect(run.durationMs).toBeLessThan(20_000);
  });

  it('an unexpected error still ends with a fail result (exit 3)', async () => {
    // Without uname the very first `uname -r` fails under set -e: the EXIT trap must report it.
    const run = await runOnSimHost(script, { profile: withProfile(rhel9Healthy(), { missingCommands: ['uname'] }) });
    const r = expectContract(run, 'fail');
    expect(run.exitCode).toBe(3);
    expect(r.summary).toMatch(/^Unexpected script error \(exit 127\) at line \d+: /u);
    expect(r.details['errorCommand']).toBe('running=$(uname -r)');
  });
});
