// Resource Groups Tagging API over awsJson1_1: POST / with X-Amz-Target: ResourceGroupsTaggingAPI_20170126.<Op>,
// SigV4 for service `tagging`, JSON in and out, errors {"__type", "Message"} plus x-amzn-ErrorType.
import { authenticate } from './authenticate.ts';
import { AwsError } from './awsError.ts';
import { errorReply, jsonReply, readJsonBody } from './awsJson.ts';
import type { FakeState } from './fakeState.ts';
import { getResources, type TaggingContext } from './getResources.ts';
import type { CallInfo, RawRequest, Reply } from './httpTypes.ts';
import { header } from './httpTypes.ts';

export const TAGGING_TARGET_PREFIX = 'ResourceGroupsTaggingAPI_20170126.';

export type TaggingDeps = {
  state: FakeState;
  verifySignatures: boolean;
  shouldThrottle: (operation: string) => boolean;
  shouldFail: (operation: string) => boolean;
};

const OPERATIONS: Record<string, (ctx: TaggingContext, body: unknown) => unknown> = { GetResources: getResources };

export const handleTagging = (deps: TaggingDeps, req: RawRequest, info: CallInfo, now: number): Reply => {
  info.service = 'tagging';
  info.operation = (header(req, 'x-amz-target') ?? '').slice(TAGGING_TARGET_PREFIX.length);
  try {
    const body = readJsonBody(req);
    info.request = body;
    const { session, region } = authenticate(deps, req, info, now, 'tagging');
    const operation = OPERATIONS[info.operation];
    if (!operation) throw new AwsError('UnknownOperationException', `Operation ${info.operation} is not supported by this fake.`);
    // The service's throttle and outage errors (not SSM's ThrottlingException / InternalServerError).
    if (deps.shouldThrottle(info.operation)) throw new AwsError('ThrottledException', 'Rate exceeded');
    if (deps.shouldFail(info.operation)) throw new AwsError('InternalServiceException', 'Injected failure', 500);
    return jsonReply(200, operation({ state: deps.state, session, region, now }, body));
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    info.errorCode = error.code;
    return errorReply(error, { bothSpellings: false });
  }
};
