// The awsJson1_1 wire protocol both JSON services of the fake speak (SSM, the Resource Groups Tagging API).
import { randomUUID } from 'node:crypto';
import { AwsError } from './awsError.ts';
import type { RawRequest, Reply } from './httpTypes.ts';

// Raised by the authentication front end, which answers only a lowercase "message"; the services' modeled
// errors carry a "Message" member.
const FRONT_END_ERRORS = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'UnknownOperationException',
  'SerializationException',
]);

export const jsonReply = (status: number, body: unknown, extra: Record<string, string> = {}): Reply => ({
  status,
  contentType: 'application/x-amz-json-1.1',
  body: JSON.stringify(body),
  headers: { 'x-amzn-RequestId': randomUUID(), ...extra },
});

/** The request's JSON body ({} when empty); a body that is not JSON is the front end's SerializationException. */
export const readJsonBody = (req: RawRequest): unknown => {
  try {
    return req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON.');
  }
};

/**
 * An error as the service answers it: {"__type", "message"} from the front end; a modeled error with "Message"
 * (SSM's also repeat it as "message", `bothSpellings`) and x-amzn-ErrorType.
 */
export const errorReply = (error: AwsError, o: { bothSpellings: boolean }): Reply => {
  const payload = FRONT_END_ERRORS.has(error.code)
    ? { __type: error.code, message: error.message }
    : o.bothSpellings
      ? { __type: error.code, message: error.message, Message: error.message }
      : { __type: error.code, Message: error.message };
  return jsonReply(error.status, payload, { 'x-amzn-ErrorType': error.code });
};
