import { describe, expect, it } from 'vitest';
import { createCredentialChecker } from '../../src/aws/checkCredentials.ts';
import type { CredentialBroker } from '../../src/aws/credentialBroker.ts';
import type { Targets } from '../../src/config/targetsSchema.ts';
import { credentialErrorKind, type CredentialStatus } from '../../src/domain/credentialStatus.ts';
import { credentialStatusLines } from '../../src/slack/blocks/credentialStatusLines.ts';

const targets: Targets = {
  partitions: { aws: {}, 'aws-us-gov': {} },
  accounts: [
    {
      id: '222222222222',
      name: 'prod-gov',
      partition: 'aws-us-gov',
      regions: ['us-gov-west-1'],
      roleArn: 'arn:aws-us-gov:iam::222222222222:role/R',
    },
  ],
};
const awsError = (name: string, status = 403) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('credential checks', () => {
  it('sorts AWS errors into kinds people can act on', () => {
    expect(credentialErrorKind(awsError('InvalidClientTokenId'))).toBe('invalid_credentials');
    expect(credentialErrorKind(awsError('ExpiredToken'))).toBe('expired_credentials');
    expect(credentialErrorKind(awsError('AccessDenied'))).toBe('access_denied');
    expect(credentialErrorKind(awsError('CredentialsProviderError'))).toBe('no_credentials');
    expect(credentialErrorKind(awsError('ThrottlingException', 400))).toBe('throttled');
    expect(credentialErrorKind(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe('timeout');
    expect(credentialErrorKind(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('unreachable');
  });

  it('warns about temporary base credentials expiring within the hour, before they fail', async () => {
    const now = Date.parse('2026-12-05T10:00:00Z');
    const broker = (expiresInMs: number | null): CredentialBroker => ({
      forAccount: async () => {
        throw new Error('unused');
      },
      checkBase: async () => ({
        arn: 'arn:aws-us-gov:iam::0:user/x',
        expiresAt: expiresInMs === null ? null : new Date(now + expiresInMs),
      }),
      probeAccount: async () => {
        throw awsError('AccessDenied');
      },
      destroy: () => {},
    });
    const check = async (ms: number | null) =>
      await createCredentialChecker({
        targets,
        broker: broker(ms),
        bound: (_a, _r, t) => t(),
        timeoutMs: 1_000,
        now: () => now,
      }).checkAll();
    expect((await check(30 * 60_000))[0]).toMatchObject({ kind: 'partition', id: 'aws-us-gov', health: 'warning' });
    expect((await check(3 * 60 * 60_000))[0]).toMatchObject({ health: 'ok' });
    expect((await check(null))[0]).toMatchObject({ health: 'ok', expiresAt: null });
    expect((await check(null))[1]).toMatchObject({ kind: 'account', id: '222222222222', health: 'failing', errorKind: 'access_denied' });
  });

  it('shows error details only when asked, escaped, and says what was never checked', () => {
    const failing: CredentialStatus = {
      kind: 'account',
      id: '222222222222',
      partition: 'aws-us-gov',
      health: 'failing',
      errorKind: 'access_denied',
      detail: 'AccessDenied: <!channel> not authorized',
      expiresAt: null,
      since: new Date(0),
      checkedAt: new Date(0),
    };
    const scopes = [
      { kind: 'partition' as const, id: 'aws-us-gov', partition: 'aws-us-gov', name: 'aws-us-gov' },
      { kind: 'account' as const, id: '222222222222', partition: 'aws-us-gov', name: 'prod-gov' },
    ];
    const [partition, account] = credentialStatusLines(scopes, [failing], true);
    expect(partition).toBe(':white_circle: *GOV* base credentials: not checked yet');
    expect(account).toMatch(
      /^:red_circle: prod-gov \(222222222222, GOV\) role: failing since .* \(access_denied\): AccessDenied: &lt;!channel&gt; not authorized$/u,
    );
    expect(credentialStatusLines(scopes, [failing], false)[1]).not.toContain('AccessDenied');
  });
});
