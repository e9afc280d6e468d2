import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type SigV4Authorization = {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
};

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** undefined when absent, 'malformed' when present but not a SigV4 header. */
export const parseAuthorization = (header: string | undefined): SigV4Authorization | 'malformed' | undefined => {
  if (header === undefined) return undefined;
  const m = AUTHORIZATION.exec(header);
  if (!m) return 'malformed';
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] = m;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
};

// Derived keys only change per (secret, day, region, service): cache them so verification costs 2 hashes + 1 HMAC.
const signingKeys = new Map<string, Buffer>();

const signingKey = (secret: string, auth: SigV4Authorization): Buffer => {
  const id = `${secret}/${auth.date}/${auth.region}/${auth.service}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingKeys.size > 10_000) signingKeys.clear();
    const kDate = createHmac('sha256', `AWS4${secret}`).update(auth.date).digest();
    const kRegion = createHmac('sha256', kDate).update(auth.region).digest();
    const kService = createHmac('sha256', kRegion).update(auth.service).digest();
    key = createHmac('sha256', kService).update('aws4_request').digest();
    signingKeys.set(id, key);
  }
  return key;
};

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Recomputes the signature the way the SDK's SignatureV4 does for a POST to `path` without a query string. */
export const verifySignature = (
  auth: SigV4Authorization,
  secret: string,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): boolean => {
  const amzDate = headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(auth.date)) return false;
  let canonicalHeaders = '';
  for (const name of auth.signedHeaders) {
    const raw = headers[name];
    if (raw === undefined) return false;
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    canonicalHeaders += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }
  const payloadHeader = headers['x-amz-content-sha256'];
  const payloadHash = typeof payloadHeader === 'string' ? payloadHeader : sha256(body);
  const canonicalRequest = [method, path, '', canonicalHeaders, auth.signedHeaders.join(';'), payloadHash].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(secret, auth)).update(stringToSign).digest();
  return timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'));
};
