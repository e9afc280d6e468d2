import type { IncomingHttpHeaders } from 'node:http';
import type { FakePartition } from './types.ts';

export type RawRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer };

/** drop: destroy the socket instead of answering. */
export type Reply = { status: number; contentType: string; body: string; headers?: Record<string, string>; drop?: boolean };

/** Filled in by the handlers as they learn who is calling; becomes a FakeCallRecord. */
export type CallInfo = {
  service: 'ssm' | 'sts' | 'tagging';
  operation: string;
  region: string | undefined;
  accessKeyId: string | undefined;
  accountId: string | undefined;
  partition: FakePartition | undefined;
  request: unknown;
  errorCode: string | undefined;
};

export const header = (req: RawRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};
