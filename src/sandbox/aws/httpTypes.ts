import type { IncomingHttpHeaders } from 'node:http';
import type { FakeCallRecord } from './types.ts';

export type RawRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer };

/** drop: destroy the socket instead of answering. */
export type Reply = { status: number; contentType: string; body: string; headers?: Record<string, string>; drop?: boolean };

/** Filled in by the handlers as they learn who is calling; becomes a FakeCallRecord. */
export type CallInfo = Pick<
  FakeCallRecord,
  'service' | 'operation' | 'region' | 'accessKeyId' | 'accountId' | 'partition' | 'request' | 'errorCode'
>;

export const header = (req: RawRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};
