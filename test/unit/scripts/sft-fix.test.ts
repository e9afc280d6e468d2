import { afterAll, describe, expect, it } from 'vitest';
import {
  alpineUnsupported,
  cleanupSimHosts,
  createSimHost,
  expectContract,
  filesContaining,
  invoked,
  rhel9Healthy,
  runOnSimHost,
  scriptPath,
  SFT_TOKEN_PARAMETER,
  SIM_ENROLLMENT_TOKEN,
  ubuntu2204Healthy,
  withProfile,
} from '../../helpers/simHost/index.ts';
import type { SimHost, SimRunResult } from '../../helpers/simHost/index.ts';

const detection = scriptPath('sft-fix', 'detection.sh');
const repair = scriptPath('sft-fix', 'repair.sh');
const enrollment = scriptPath('sft-fix', 'enrollment.sh');
const settings = { enrollmentTokenParameter: SFT_TOKEN_PARAMETER };

afterAll(cleanupSimHosts);

describe('sft-fix detection', () => {
  it.each([
    ['RHEL 9', rhel9Healthy(), 'scaleft-server-tools-1.80.1-1.x86_64'],
    ['Ubuntu 22.04', ubuntu2204Healthy(), 'scaleft-server-tools 1.80.1'],
  ])('healthy agent on %s: ok', async (_name, profile, pkg) => {
    const r = expectContract(await runOnSimHost(detection, { profile }), 'ok');
    expect(r.details).toMatchObject({
      installed: true,
      package: pkg,
      version: 'sftd version 1.80.1',
      active: 'active',
      enabled: 'enabled',
      enrolled: true,
      enrollmentTokenPresent: false,
      recentErrorCount: 0,
      recentErrors: [],
      healthy: true,
      recommendation: '',
    });
  });

  it('sftd stopped: fail, recommends repair', async () => {
    const r = expectContract(
      await runOnSimHost(detection, { profile: withProfile(rhel9Healthy(), { sft: { active: false, failed: true } }) }),
      'fail',
    );
    expect(r.details).toMatchObject({
      active: 'failed',
      healthy: false,
      recommendation: 'run /sft-fix repair',
      problems: ['sftd is failed'],
    });
  });

  it('agent not enrolled: fail, recommends enrollment', async () => {
    const r = expectContract(
      await runOnSimHost(detection, { profile: withProfile(ubuntu2204Healthy(), { sft: { enrolled: false } }) }),
      'fail',
    );
    expect(r.details).toMatchObject({ enrolled: false, recommendation: 'run /sft-fix enrollment' });
    expect(r.summary).toBe('sftd unhealthy: not enrolled (no device token)');
  });

  it('not installed: fail', async () => {
    const r = expectContract(
      await runOnSimHost(detection, { profile: withProfile(rhel9Healthy(), { sft: { installed: false } }) }),
      'fail',
    );
    expect(r.details).toMatchObject({ installed: false, healthy: false });
  });

  it('recent errors: warn, last lines reported with token-like strings masked', async () => {
    const secretish = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
    const journalErrors = [1, 2, 3, 4, 5, 6]
      .map((n) => `sftd[812]: error ${n}: broker unreachable`)
      .concat(`sftd[812]: auth failed for key ${secretish}`);
    const run = await runOnSimHost(detection, { profile: withProfile(rhel9Healthy(), { sft: { journalErrors } }) });
    const r = expectContract(run, 'warn');
    expect(r.details['recentErrorCount']).toBe(7);
    expect(r.details['recentErrors']).toEqual([
      'sftd[812]: error 3: broker unreachable',
      'sftd[812]: error 4: broker unreachable',
      'sftd[812]: error 5: broker unreachable',
      'sftd[812]: error 6: broker unreachable',
      'sftd[812]: auth failed for key [redacted]',
    ]);
    expect(run.stdout).not.toContain(secretish);
  });

  it('unsupported OS', async () => {
    expectContract(await runOnSimHost(detection, { profile: alpineUnsupported() }), 'unsupported');
  });
});

describe('sft-fix repair', () => {
  it('stopped sftd with stale pid/lock files: restarted, stale files removed, tokens untouched', async () => {
    const profile = withProfile(rhel9Healthy(), {
      sft: {
        active: false,
        failed: true,
        enabled: false,
        staleFiles: ['/var/lib/sftd/sftd.pid', '/var/lib/sftd/broker.lock', '/run/sftd.pid'],
      },
      files: { '/var/lib/sftd/enrollment.token': 'pending-token\n', '/var/lib/sftd/state.db': 'keep me\n' },
    });
    const run = await runOnSimHost(repair, { profile });
    const r = expectContract(run, 'ok');
    expect(r.details).toMatchObject({
      activeBefore: 'failed',
      enabledBefore: 'disabled',
      active: 'active',
      enabled: 'enabled',
      enrolled: true,
      removedFiles: ['/var/lib/sftd/sftd.pid', '/var/lib/sftd/broker.lock', '/run/sftd.pid'],
      keptFiles: [],
    });
    expect(invoked(run, 'systemctl', 'stop', 'sftd')).toBe(true);
    expect(invoked(run, 'systemctl', 'enable', 'sftd')).toBe(true);
    expect(invoked(run, 'systemctl', 'start', 'sftd')).toBe(true);
    const { host } = run;
    expect(await host.readFile('/var/lib/sftd/device.token')).toBeDefined();
    expect(await host.readFile('/var/lib/sftd/enrollment.token')).toBe('pending-token\n');
    expect(await host.readFile('/var/lib/sftd/state.db')).toBe('keep me\n');
    expect(await host.readFile('/var/lib/sftd/sftd.pid')).toBeUndefined();
  });

  it('keeps a pid file whose process is alive', async () => {
    const profile = withProfile(ubuntu2204Healthy(), {
      sft: { staleFiles: ['/var/lib/sftd/sftd.pid'] },
      files: { '/proc/4711/comm': 'sftd\n' },
    });
    const r = expectContract(await runOnSimHost(repair, { profile }), 'warn');
    expect(r.details['keptFiles']).toEqual(['/var/lib/sftd/sftd.pid (pid 4711 alive)']);
  });

  it('running but not enrolled: warn and point to enrollment', async () => {
    const r = expectContract(
      await runOnSimHost(repair, { profile: withProfile(ubuntu2204Healthy(), { sft: { enrolled: false } }) }),
      'warn',
    );
    expect(r.summary).toBe('sftd restarted and active, but not enrolled: run /sft-fix enrollment');
  });

  it('sftd that will not start: fail with the journal tail', async () => {
    const profile = withProfile(rhel9Healthy(), { sft: { active: false, failed: true, startSucceeds: false } });
    const r = expectContract(await runOnSimHost(repair, { profile }), 'fail');
    expect(r.summary).toBe('sftd is failed after restart (was failed): sftd: fatal: could not start (simulated)');
    expect(r.details['recentErrors']).toEqual(['sftd: fatal: could not start (simulated)']);
  });

  it('not installed: fail without touching systemd', async () => {
    const run = await runOnSimHost(repair, { profile: withProfile(rhel9Healthy(), { sft: { installed: false } }) });
    expect(expectContract(run, 'fail').summary).toContain('sftd is not installed');
    expect(run.invocations.some((i) => i.command === 'systemctl')).toBe(false);
  });
});

/** The token must not appear in output, the result, any argv (all commands traced), or any file but its own. */
const expectNoTokenLeak = async (run: SimRunResult, host: SimHost, allowedFiles: readonly string[] = []): Promise<void> => {
  expect(run.stdout).not.toContain(SIM_ENROLLMENT_TOKEN);
  expect(run.stderr).not.toContain(SIM_ENROLLMENT_TOKEN);
  expect(JSON.stringify(run.result)).not.toContain(SIM_ENROLLMENT_TOKEN);
  const argv = (await host.invocations()).flatMap((i) => [i.command, ...i.args]).join('\n');
  expect(argv).not.toContain(SIM_ENROLLMENT_TOKEN);
  const files = (await filesContaining(host.root, SIM_ENROLLMENT_TOKEN)).map((f) => f.slice(host.root.length));
  expect(files).toEqual([...allowedFiles]);
};

describe('sft-fix enrollment', () => {
  it('not enrolled: reads the token from SSM on the instance, installs it 0600, sftd enrolls; no leak anywhere', async () => {
    const host = await createSimHost(withProfile(rhel9Healthy(), { sft: { enrolled: false } }));
    const run = await host.run(enrollment, { settings, params: { force: false }, traceAllCommands: true });
    const r = expectContract(run, 'ok');
    expect(r.details).toMatchObject({
      tokenParameter: SFT_TOKEN_PARAMETER,
      force: false,
      enrolledBefore: false,
      changed: true,
      active: 'active',
      enrolled: true,
      enrollmentTokenPending: false,
    });
    expect(r.summary).toBe(`sftd enrolled with the token from ${SFT_TOKEN_PARAMETER} and running`);
    expect(
      invoked(
        run,
        'aws',
        'ssm',
        'get-parameter',
        '--with-decryption',
        '--name',
        SFT_TOKEN_PARAMETER,
        '--query',
        'Parameter.Value',
        '--output',
        'text',
      ),
    ).toBe(true);
    // Mode of enrollment.token when sftd read it.
    expect(await host.state('sft_token_mode_seen')).toBe('600\n');
    expect(await host.readFile('/var/lib/sftd/device.token')).toMatch(/^sim-device-token-/u);
    await expectNoTokenLeak(run, host);
  });

  it('leaves the token file 0600 when sftd has not consumed it', async () => {
    const host = await createSimHost(withProfile(ubuntu2204Healthy(), { sft: { enrolled: false, consumesEnrollmentToken: false } }));
    const run = await host.run(enrollment, { settings, traceAllCommands: true });
    expect(expectContract(run, 'ok').details['enrollmentTokenPending']).toBe(true);
    expect(await host.fileMode('/var/lib/sftd/enrollment.token')).toBe(0o600);
    expect(await host.readFile('/var/lib/sftd/enrollment.token')).toBe(`${SIM_ENROLLMENT_TOKEN}\n`);
    await expectNoTokenLeak(run, host, ['/var/lib/sftd/enrollment.token']);
  });

  it('already enrolled and not forced: nothing changes, SSM not read', async () => {
    const run = await runOnSimHost(enrollment, { profile: rhel9Healthy(), settings });
    expect(expectContract(run, 'ok').details['changed']).toBe(false);
    expect(run.invocations.some((i) => i.command === 'aws')).toBe(false);
  });

  it('force=true re-enrolls and keeps the old device token as a 0600 backup', async () => {
    const host = await createSimHost(rhel9Healthy());
    const run = await host.run(enrollment, { settings, params: { force: true }, traceAllCommands: true });
    const r = expectContract(run, 'ok');
    const backup = r.details['previousDeviceTokenBackup'];
    expect(backup).toMatch(/^\/var\/lib\/sftd\/device\.token\.bak-\d{8}T\d{6}Z$/u);
    expect(await host.readFile(String(backup))).toBe('sim-device-token-initial\n');
    expect(await host.fileMode(String(backup))).toBe(0o600);
    expect(await host.readFile('/var/lib/sftd/device.token')).toMatch(/^sim-device-token-\d+/u);
    await expectNoTokenLeak(run, host);
  });

  it('the service rejects the token: fail, and the token still does not leak', async () => {
    const host = await createSimHost(withProfile(rhel9Healthy(), { sft: { enrolled: false, acceptedToken: 'some-other-token' } }));
    const run = await host.run(enrollment, { settings, traceAllCommands: true });
    const r = expectContract(run, 'fail');
    expect(r.summary).toBe('sftd is running but did not enroll within 60 s (no device token); see recentErrors');
    expect(r.details['recentErrors']).toEqual(['sftd: enrollment failed: server rejected the enrollment token']);
    // sftd retries with the token on its next start, so it stays (0600).
    expect(await host.fileMode('/var/lib/sftd/enrollment.token')).toBe(0o600);
    await expectNoTokenLeak(run, host, ['/var/lib/sftd/enrollment.token']);
  });

  it('SSM parameter missing: fail before touching sftd, no token or temp file left', async () => {
    const host = await createSimHost(withProfile(ubuntu2204Healthy(), { sft: { enrolled: false }, ssmParameters: {} }));
    const run = await host.run(enrollment, { settings });
    const r = expectContract(run, 'fail');
    expect(r.summary).toBe(
      `cannot read SSM parameter ${SFT_TOKEN_PARAMETER}: An error occurred (ParameterNotFound) when calling the GetParameter operation:`,
    );
    expect(invoked(run, 'systemctl', 'stop', 'sftd')).toBe(false);
    expect(await filesContaining(`${host.root}/var/lib/sftd`, '')).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['the string None', 'None'],
    ['several lines', 'line-one\nline-two'],
  ])('SSM parameter that is %s: fail, temp file removed', async (_name, value) => {
    const host = await createSimHost(
      withProfile(rhel9Healthy(), { sft: { enrolled: false }, ssmParameters: { [SFT_TOKEN_PARAMETER]: value } }),
    );
    const r = expectContract(await host.run(enrollment, { settings }), 'fail');
    expect(r.summary).toBe(`SSM parameter ${SFT_TOKEN_PARAMETER} does not hold a single-line enrollment token`);
    expect(await filesContaining(`${host.root}/var/lib/sftd`, '')).toEqual([]);
  });

  it('instance without credentials or without the aws CLI: fail with the reason', async () => {
    const noCreds = withProfile(rhel9Healthy(), {
      sft: { enrolled: false },
      awsError: 'Unable to locate credentials. You can configure credentials by running "aws configure".',
    });
    expect(expectContract(await runOnSimHost(enrollment, { profile: noCreds, settings }), 'fail').summary).toContain(
      'Unable to locate credentials',
    );
    const noCli = withProfile(rhel9Healthy(), { sft: { enrolled: false }, missingCommands: ['aws'] });
    expect(expectContract(await runOnSimHost(enrollment, { profile: noCli, settings }), 'fail').summary).toContain('aws CLI not found');
  });

  it('sftd fails to start after the token is installed: fail', async () => {
    const profile = withProfile(rhel9Healthy(), { sft: { enrolled: false, startSucceeds: false } });
    const host = await createSimHost(profile);
    const run = await host.run(enrollment, { settings, traceAllCommands: true });
    expect(expectContract(run, 'fail').summary).toBe('sftd is failed after installing the enrollment token; see recentErrors');
    await expectNoTokenLeak(run, host, ['/var/lib/sftd/enrollment.token']);
  });

  it.each([[''], ['not a name; rm -rf /'], ['/ok/../../x y']])('rejects a bad parameter-name setting %j', async (name) => {
    const run = await runOnSimHost(enrollment, {
      profile: withProfile(rhel9Healthy(), { sft: { enrolled: false } }),
      settings: { enrollmentTokenParameter: name },
    });
    expect(expectContract(run, 'fail').summary).toContain('enrollmentTokenParameter');
    expect(run.invocations.some((i) => i.command === 'aws')).toBe(false);
  });

  it('rejects a non-boolean force parameter', async () => {
    const run = await runOnSimHost(enrollment, { profile: rhel9Healthy(), settings, params: { force: 'yes' } });
    expect(expectContract(run, 'fail').summary).toBe('parameter PCM_PARAM_FORCE must be true or false');
  });
});
