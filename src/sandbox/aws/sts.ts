// STS over awsQuery: POST / form-urlencoded Action=...&Version=2011-06-15, answered with XML.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AwsError, constraintError } from './awsError.ts';
import type { BaseKey, FakeState, Session } from './fakeState.ts';
import type { CallInfo, RawRequest, Reply } from './httpTypes.ts';
import { header } from './httpTypes.ts';
import { parseRoleArn, partitionOfRegion } from './partition.ts';
import { parseAuthorization, verifySignature } from './sigv4.ts';

export type StsDeps = { state: FakeState; verifySignatures: boolean };

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const alnum = (bytes: Buffer): string => [...bytes].map((b) => ALNUM[b % ALNUM.length]).join('');

const xmlReply = (status: number, body: (requestId: string) => string): Reply => {
  const requestId = randomUUID();
  return { status, contentType: 'text/xml', body: body(requestId), headers: { 'x-amzn-RequestId': requestId } };
};

const success = (action: string, result: string): Reply =>
  xmlReply(
    200,
    (id) =>
      `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${action}Response>`,
  );

const STATUS: Record<string, number> = {
  AccessDenied: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  MissingAuthenticationToken: 403,
};

const errorReply = (error: AwsError): Reply => {
  const status = error.status >= 500 ? error.status : (STATUS[error.code] ?? 400);
  return xmlReply(
    status,
    (id) =>
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.type}</Type><Code>${esc(error.code)}</Code><Message>${esc(error.message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  );
};

const invalidToken = (): AwsError => new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);

type Caller = { base: BaseKey; session?: undefined } | { session: Session; base?: undefined };

const callerArn = (caller: Caller): string =>
  caller.base
    ? `arn:${caller.base.partition}:iam::${caller.base.accountId}:user/fake-base`
    : assumedRoleArn(caller.session.partition, caller.session.accountId, caller.session.roleArn, caller.session.roleSessionName);

const assumedRoleArn = (partition: string, accountId: string, roleArn: string, sessionName: string): string =>
  `arn:${partition}:sts::${accountId}:assumed-role/${parseRoleArn(roleArn)?.roleName ?? 'role'}/${sessionName}`;

/** Role ids are stable per role: AROA + 17 characters. */
const roleId = (roleArn: string): string => `AROA${alnum(createHash('sha256').update(roleArn).digest().subarray(0, 17))}`;

const validName = (params: URLSearchParams, key: string, required: boolean, max: number, pattern: RegExp): string | undefined => {
  const member = key.charAt(0).toLowerCase() + key.slice(1);
  const value = params.get(key) ?? undefined;
  if (value === undefined) {
    if (required)
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      );
    return undefined;
  }
  if (value.length < 2) throw constraintError('ValidationError', member, value, 'Member must have length greater than or equal to 2');
  if (value.length > max) throw constraintError('ValidationError', member, value, `Member must have length less than or equal to ${max}`);
  if (!pattern.test(value))
    throw constraintError(
      'ValidationError',
      member,
      value,
      `Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`,
    );
  return value;
};

const assumeRole = (deps: StsDeps, caller: Caller, region: string, params: URLSearchParams, now: number): Reply => {
  const roleArn = params.get('RoleArn') ?? undefined;
  if (roleArn === undefined)
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    );
  if (roleArn.length < 20 || roleArn.length > 2048)
    throw constraintError('ValidationError', 'roleArn', roleArn, 'Member must have length between 20 and 2048');
  const roleSessionName = validName(params, 'RoleSessionName', true, 64, NAME) ?? '';
  const externalId = validName(params, 'ExternalId', false, 1224, EXTERNAL_ID);
  const sourceIdentity = validName(params, 'SourceIdentity', false, 64, NAME);
  const durationParam = params.get('DurationSeconds');
  const durationSeconds = durationParam === null ? 3600 : Number(durationParam);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
    throw constraintError('ValidationError', 'durationSeconds', durationParam, 'Member must have value between 900 and 43200');
  }

  const denied = (): AwsError =>
    new AwsError('AccessDenied', `User: ${callerArn(caller)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  // Only the partition's base key may assume roles, in that partition's regions: credentials never cross partitions.
  if (!caller.base) throw denied();
  const arn = parseRoleArn(roleArn);
  if (!arn || arn.partition !== caller.base.partition || partitionOfRegion(region) !== caller.base.partition) throw denied();
  const account = deps.state.accountsByRoleArn.get(roleArn);
  if (!account) throw denied();
  if (account.externalId !== undefined && account.externalId !== externalId) throw denied();
  if (deps.state.trustBroken.has(account.id)) throw denied();
  if (durationSeconds > (account.maxSessionDurationSeconds ?? 3600)) {
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }

  // The wire format has whole seconds; store exactly what the client sees.
  const expiration = new Date(Math.floor((now + durationSeconds * 1000) / 1000) * 1000);
  const session: Session = {
    accessKeyId: `ASIA${alnum(randomBytes(16))}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `FwoGZXIvYXdzE${randomBytes(96).toString('base64')}`,
    accountId: account.id,
    partition: account.partition,
    roleArn,
    roleSessionName,
    sourceIdentity,
    expiresAt: expiration.getTime(),
  };
  deps.state.sessions.set(session.accessKeyId, session);
  return success(
    'AssumeRole',
    `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${esc(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${esc(session.sessionToken)}</SessionToken><Expiration>${expiration.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration></Credentials>` +
      `<AssumedRoleUser><Arn>${esc(assumedRoleArn(account.partition, account.id, roleArn, roleSessionName))}</Arn>` +
      `<AssumedRoleId>${roleId(roleArn)}:${esc(roleSessionName)}</AssumedRoleId></AssumedRoleUser>` +
      (sourceIdentity === undefined ? '' : `<SourceIdentity>${esc(sourceIdentity)}</SourceIdentity>`),
  );
};

const getCallerIdentity = (caller: Caller, region: string): Reply => {
  const partition = caller.base ? caller.base.partition : caller.session.partition;
  if (partitionOfRegion(region) !== partition) throw invalidToken();
  const account = caller.base ? caller.base.accountId : caller.session.accountId;
  const userId = caller.base
    ? `AIDA${alnum(createHash('sha256').update(caller.base.accessKeyId).digest().subarray(0, 17))}`
    : `${roleId(caller.session.roleArn)}:${caller.session.roleSessionName}`;
  return success('GetCallerIdentity', `<Arn>${esc(callerArn(caller))}</Arn><UserId>${esc(userId)}</UserId><Account>${account}</Account>`);
};

export const handleSts = (deps: StsDeps, req: RawRequest, info: CallInfo, now: number): Reply => {
  const params = new URLSearchParams(req.body.toString('utf8'));
  info.operation = params.get('Action') ?? 'Unknown';
  info.request = Object.fromEntries(params);
  try {
    const auth = parseAuthorization(header(req, 'authorization'));
    if (auth === undefined) throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    if (auth === 'malformed')
      throw new AwsError(
        'IncompleteSignature',
        'Authorization header requires Credential, SignedHeaders and Signature in AWS4-HMAC-SHA256 format.',
      );
    info.accessKeyId = auth.accessKeyId;
    info.region = auth.region;
    const base = deps.state.baseKeys.get(auth.accessKeyId);
    const session = deps.state.sessions.get(auth.accessKeyId);
    const caller: Caller | undefined = base ? { base } : session ? { session } : undefined;
    if (!caller) throw invalidToken();
    info.accountId = base?.accountId ?? session?.accountId;
    info.partition = base?.partition ?? session?.partition;
    if (session && header(req, 'x-amz-security-token') !== session.sessionToken) throw invalidToken();
    if (auth.service !== 'sts') throw new AwsError('SignatureDoesNotMatch', "Credential should be scoped to correct service: 'sts'.", 403);
    const secret = base?.secretAccessKey ?? session?.secretAccessKey ?? '';
    if (deps.verifySignatures && !verifySignature(auth, secret, req.method, req.path, req.headers, req.body)) {
      throw new AwsError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        403,
      );
    }
    if (session && now >= session.expiresAt) throw new AwsError('ExpiredToken', 'The security token included in the request is expired');
    switch (info.operation) {
      case 'AssumeRole':
        return assumeRole(deps, caller, auth.region, params, now);
      case 'GetCallerIdentity':
        return getCallerIdentity(caller, auth.region);
      default:
        throw new AwsError('InvalidAction', `Could not find operation ${info.operation} for version ${params.get('Version') ?? ''}`);
    }
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    info.errorCode = error.code;
    return errorReply(error);
  }
};
