import { AwsError } from './awsError.ts';
import type { FakeState, Session } from './fakeState.ts';
import type { CallInfo, RawRequest } from './httpTypes.ts';
import { header } from './httpTypes.ts';
import { partitionOfRegion } from './partition.ts';
import { parseAuthorization, verifySignature } from './sigv4.ts';

const unrecognized = (): AwsError => new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');

/**
 * Who is calling, for the services that take only the temporary credentials AssumeRole handed out (SSM and
 * the Resource Groups Tagging API): signed for `service`, with the session token, unexpired, in a region of
 * the credentials' own partition.
 */
export const authenticate = (
  deps: { readonly state: FakeState; readonly verifySignatures: boolean },
  req: RawRequest,
  info: CallInfo,
  now: number,
  service: 'ssm' | 'tagging',
): { session: Session; region: string } => {
  const auth = parseAuthorization(header(req, 'authorization'));
  if (auth === undefined) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (auth === 'malformed') {
    throw new AwsError(
      'IncompleteSignatureException',
      'Authorization header requires Credential, SignedHeaders and Signature in AWS4-HMAC-SHA256 format.',
    );
  }
  info.accessKeyId = auth.accessKeyId;
  info.region = auth.region;
  const base = deps.state.baseKeys.get(auth.accessKeyId);
  if (base) {
    // Base keys exist only to assume roles; the product must never run commands with them.
    info.accountId = base.accountId;
    info.partition = base.partition;
    throw unrecognized();
  }
  const session = deps.state.sessions.get(auth.accessKeyId);
  if (!session) throw unrecognized();
  info.accountId = session.accountId;
  info.partition = session.partition;
  if (header(req, 'x-amz-security-token') !== session.sessionToken) throw unrecognized();
  if (auth.service !== service)
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`);
  if (deps.verifySignatures && !verifySignature(auth, session.secretAccessKey, req.method, req.path, req.headers, req.body)) {
    throw new AwsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  if (now >= session.expiresAt) throw new AwsError('ExpiredTokenException', 'The security token included in the request is expired');
  // Credentials never cross partitions.
  if (partitionOfRegion(auth.region) !== session.partition) throw unrecognized();
  return { session, region: auth.region };
};
