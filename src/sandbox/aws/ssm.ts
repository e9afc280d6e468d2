// SSM over awsJson1_1: POST / with X-Amz-Target: AmazonSSM.<Operation>, JSON in and out,
// errors as HTTP 4xx/5xx {"__type": code, "message": ...} plus x-amzn-ErrorType.
import { randomUUID } from 'node:crypto';
import { AwsError, DropConnection } from './awsError.ts';
import { cancelCommand } from './cancelCommand.ts';
import { describeInstanceInformation } from './describeInstanceInformation.ts';
import type { FakeState } from './fakeState.ts';
import { getCommandInvocation } from './getCommandInvocation.ts';
import type { CallInfo, RawRequest, Reply } from './httpTypes.ts';
import { header } from './httpTypes.ts';
import { authenticate } from './authenticate.ts';
import { listCommandInvocations } from './listCommandInvocations.ts';
import { listCommands } from './listCommands.ts';
import { sendCommand } from './sendCommand.ts';
import type { SsmContext } from './ssmContext.ts';
import type { SendCommandFailureMode } from './types.ts';

export type SsmDeps = {
  state: FakeState;
  verifySignatures: boolean;
  deliveryMs: number;
  defaultRunMs: number;
  timeScale: number;
  invocationVisibleAfterMs: number;
  shouldThrottle: (operation: string) => boolean;
  shouldFail: (operation: string) => boolean;
  takeSendCommandFailure: () => SendCommandFailureMode | undefined;
};

const OPERATIONS: Record<string, (ctx: SsmContext, body: unknown) => unknown> = {
  SendCommand: sendCommand,
  ListCommands: listCommands,
  ListCommandInvocations: listCommandInvocations,
  GetCommandInvocation: getCommandInvocation,
  CancelCommand: cancelCommand,
  DescribeInstanceInformation: describeInstanceInformation,
};

// Raised by the authentication front end, which answers only a lowercase "message"; SSM's modeled errors
// carry a "Message" member, so those get both spellings.
const FRONT_END_ERRORS = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'UnknownOperationException',
  'SerializationException',
]);

const json = (status: number, body: unknown, extra: Record<string, string> = {}): Reply => ({
  status,
  contentType: 'application/x-amz-json-1.1',
  body: JSON.stringify(body),
  headers: { 'x-amzn-RequestId': randomUUID(), ...extra },
});

export const handleSsm = (deps: SsmDeps, req: RawRequest, info: CallInfo, now: number): Reply => {
  info.operation = (header(req, 'x-amz-target') ?? '').slice('AmazonSSM.'.length);
  try {
    let body: unknown;
    try {
      body = req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
    } catch {
      throw new AwsError('SerializationException', 'Request body is not valid JSON.');
    }
    info.request = body;
    const auth = authenticate(deps, req, info, now, 'ssm');
    const operation = OPERATIONS[info.operation];
    if (!operation) throw new AwsError('UnknownOperationException', `Operation ${info.operation} is not supported by this fake.`);
    // A throttled call has no effect at all.
    if (deps.shouldThrottle(info.operation)) throw new AwsError('ThrottlingException', 'Rate exceeded');
    // An injected outage: every call of the operation fails and has no effect, until cleared.
    if (deps.shouldFail(info.operation)) throw new AwsError('InternalServerError', 'Injected failure', 500);
    const ctx: SsmContext = {
      state: deps.state,
      ...auth,
      now,
      deliveryMs: deps.deliveryMs,
      defaultRunMs: deps.defaultRunMs,
      timeScale: deps.timeScale,
      invocationVisibleAfterMs: deps.invocationVisibleAfterMs,
      takeSendCommandFailure: deps.takeSendCommandFailure,
    };
    return json(200, operation(ctx, body));
  } catch (error) {
    if (error instanceof DropConnection) {
      info.errorCode = 'dropped';
      return { status: 0, contentType: '', body: '', drop: true };
    }
    if (!(error instanceof AwsError)) throw error;
    info.errorCode = error.code;
    const payload = FRONT_END_ERRORS.has(error.code)
      ? { __type: error.code, message: error.message }
      : { __type: error.code, message: error.message, Message: error.message };
    return json(error.status, payload, { 'x-amzn-ErrorType': error.code });
  }
};
