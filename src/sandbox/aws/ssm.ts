// SSM over awsJson1_1: POST / with X-Amz-Target: AmazonSSM.<Operation>, JSON in and out,
// errors as HTTP 4xx/5xx {"__type": code, "message": ...} plus x-amzn-ErrorType.
import { AwsError, DropConnection } from './awsError.ts';
import { errorReply, jsonReply, readJsonBody } from './awsJson.ts';
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

export const handleSsm = (deps: SsmDeps, req: RawRequest, info: CallInfo, now: number): Reply => {
  info.operation = (header(req, 'x-amz-target') ?? '').slice('AmazonSSM.'.length);
  try {
    const body = readJsonBody(req);
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
    return jsonReply(200, operation(ctx, body));
  } catch (error) {
    if (error instanceof DropConnection) {
      info.errorCode = 'dropped';
      return { status: 0, contentType: '', body: '', drop: true };
    }
    if (!(error instanceof AwsError)) throw error;
    info.errorCode = error.code;
    return errorReply(error, { bothSpellings: true });
  }
};
