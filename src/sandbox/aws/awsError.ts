/** An error answered to the client in the protocol of the service that raised it. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** STS only: 'Sender' or 'Receiver'. */
  readonly type: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
    this.type = status >= 500 ? 'Receiver' : 'Sender';
  }
}

/** Coral's wording for model constraint failures, which is what SSM and STS answer. */
export const constraintError = (
  code: 'ValidationException' | 'ValidationError',
  member: string,
  value: unknown,
  constraint: string,
): AwsError =>
  new AwsError(code, `1 validation error detected: Value '${describe(value)}' at '${member}' failed to satisfy constraint: ${constraint}`);

const describe = (value: unknown): string => (Array.isArray(value) ? `[${value.join(', ')}]` : String(value));

/** Thrown by an operation to destroy the socket without answering (ambiguous-failure injection). */
export class DropConnection extends Error {}
