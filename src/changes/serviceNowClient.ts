import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { isSecureServiceUrl } from '../config/secureServiceUrl.ts';

export type ServiceNowChange = {
  readonly sysId: string;
  readonly number: string;
  readonly state: string;
  readonly plannedStart: Date | null;
  readonly plannedEnd: Date | null;
  /** sys_id of the assignment group. */
  readonly assignmentGroup: string | null;
  readonly assignmentGroupName: string | null;
  readonly shortDescription: string | null;
};

export type ServiceNowClient = {
  /** null when ServiceNow answers that no such change exists; throws ServiceNowError when it cannot tell. */
  readonly getChange: (number: string) => Promise<ServiceNowChange | null>;
  /** Names of the change's affected CIs (task_ci). */
  readonly getAffectedCis: (sysId: string) => Promise<readonly string[]>;
  readonly addWorkNote: (sysId: string, text: string) => Promise<void>;
};

/** Why ServiceNow could not give a trustworthy answer. */
export type ServiceNowErrorKind =
  'unreachable' | 'timeout' | 'unavailable' | 'rate_limited' | 'auth' | 'malformed' | 'http' | 'redirect' | 'too_large';

/** ServiceNow could not give a trustworthy answer (down, timeout, malformed, auth, redirect, too large). Callers fail closed. */
export class ServiceNowError extends Error {
  override readonly name = 'ServiceNowError';
  readonly kind: ServiceNowErrorKind;

  constructor(kind: ServiceNowErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Basic auth with a user, or OAuth client credentials (POST /oauth_token.do, token cached until it expires). */
export type ServiceNowAuth =
  | { readonly kind: 'basic'; readonly user: string; readonly password: string }
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };

// Table API date-times are "YYYY-MM-DD HH:mm:ss" in UTC (sysparm_display_value=false).
const snDate = z.string().transform((s, ctx) => {
  if (s === '') return null;
  const d = new Date(`${s.replace(' ', 'T')}Z`);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: `bad date ${s}` });
    return z.NEVER;
  }
  return d;
});

// With sysparm_exclude_reference_link=true a reference is its sys_id string; tolerate the object form too.
const reference = z.union([z.string(), z.object({ value: z.string() }).loose()]);

const changeRecord = z
  .object({
    sys_id: z.string().regex(/^[0-9a-f]{32}$/u),
    number: z.string(),
    state: z.string(),
    start_date: snDate.optional(),
    end_date: snDate.optional(),
    assignment_group: reference.optional(),
    'assignment_group.name': z.string().optional(),
    short_description: z.string().optional(),
  })
  .loose();

const tableAnswer = z.object({ result: z.array(changeRecord) });
const ciAnswer = z.object({ result: z.array(z.object({ 'ci_item.name': z.string() }).loose()) });
const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive().optional() });

export type ServiceNowClientOptions = {
  readonly url: string;
  readonly auth: ServiceNowAuth;
  readonly timeoutMs: number;
  /** Attempts per request on 429/5xx/unreachable (default 3). */
  readonly attempts?: number;
  /** Longest Retry-After honoured before giving up (default 30 s). */
  readonly maxRetryAfterMs?: number;
  /** Largest answer read, in bytes (default 5 MB); a bigger one is refused without reading it all. */
  readonly maxResponseBytes?: number;
  /** Told each OAuth access token as it is obtained, so the logger can scrub it. */
  readonly registerSecret?: (secret: string) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
};

const CI_PAGE = 1000;
const CI_MAX_PAGES = 20;
// A change record or a page of CI names is a few KB; anything near this is not a Table API answer.
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/** Retry-After is seconds or an HTTP date. */
const retryAfterMs = (header: string | null, now: number): number | undefined => {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

/**
 * Table API client: basic auth or OAuth client credentials, zod-parsed answers, a timeout per request,
 * and retries with backoff on 429/5xx honouring Retry-After. Anything it cannot trust becomes a
 * ServiceNowError (the verifier turns it into a refusal: fail closed).
 */
export const createServiceNowClient = (o: ServiceNowClientOptions): ServiceNowClient => {
  // The configuration refuses it first; this guards any other caller (credentials must not cross in clear text).
  if (!isSecureServiceUrl(o.url)) throw new Error('the ServiceNow URL must be https:// (http:// only for a loopback host)');
  const doFetch = o.fetch ?? fetch;
  const maxBytes = o.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const now = o.now ?? Date.now;
  const base = o.url.replace(/\/+$/u, '');
  const attempts = o.attempts ?? 3;
  const maxRetryAfterMs = o.maxRetryAfterMs ?? 30_000;
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

  /** One logical request: retried on network errors, timeouts, 429 and 5xx; returns any other answer. */
  const send = async (
    method: 'GET' | 'PATCH' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Response> => {
    let last = new ServiceNowError('unreachable', 'ServiceNow was not asked');
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let response: Response;
      try {
        // Never follow a redirect: it would re-send the credentials (or the OAuth body) to wherever it points.
        response = await doFetch(`${base}${path}`, {
          method,
          headers: { accept: 'application/json', ...headers },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
        last = timedOut
          ? new ServiceNowError('timeout', `ServiceNow did not answer within ${seconds(o.timeoutMs)}`)
          : new ServiceNowError('unreachable', `ServiceNow is unreachable (${(error as Error).message})`);
        if (attempt < attempts) await sleep(250 * 2 ** attempt);
        continue;
      }
      if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
        await response.body?.cancel();
        throw new ServiceNowError(
          'redirect',
          `ServiceNow answered with a redirect (HTTP ${response.status}); the bot does not follow redirects, check SERVICENOW_URL`,
        );
      }
      if (response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        const wait = retryAfterMs(response.headers.get('retry-after'), now());
        last =
          response.status === 429
            ? new ServiceNowError('rate_limited', 'ServiceNow is rate limiting the bot (HTTP 429)')
            : new ServiceNowError('unavailable', `ServiceNow is unavailable (HTTP ${response.status})`);
        if (attempt >= attempts) break;
        if (wait !== undefined && wait > maxRetryAfterMs) {
          last = new ServiceNowError(last.kind, `${last.message}; it asked to wait ${seconds(wait)}`);
          break;
        }
        await sleep(wait ?? 250 * 2 ** attempt);
        continue;
      }
      return response;
    }
    throw last;
  };

  /** The answer as JSON, read as a stream and abandoned past maxBytes (a change record is small). */
  const readJson = async (response: Response): Promise<unknown> => {
    const tooLarge = () => new ServiceNowError('too_large', `ServiceNow's answer is larger than ${maxBytes} bytes; refused`);
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
      await response.body?.cancel();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > maxBytes) {
            await reader.cancel();
            throw tooLarge();
          }
          chunks.push(value);
        }
      } catch (error) {
        if (error instanceof ServiceNowError) throw error;
        const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
        throw timedOut
          ? new ServiceNowError('timeout', `ServiceNow did not answer within ${seconds(o.timeoutMs)}`)
          : new ServiceNowError('unreachable', `ServiceNow's answer was cut off (${(error as Error).message})`);
      }
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new ServiceNowError('malformed', 'ServiceNow answered with something that is not JSON');
    }
  };

  let token: { value: string; expiresAt: number } | undefined;
  let tokenRequest: Promise<string> | undefined;

  const fetchToken = async (auth: Extract<ServiceNowAuth, { kind: 'oauth' }>): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret });
    const response = await send('POST', '/oauth_token.do', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString());
    if (!response.ok) {
      await response.body?.cancel();
      throw new ServiceNowError('auth', `ServiceNow refused the bot's OAuth client credentials (HTTP ${response.status})`);
    }
    const parsed = tokenAnswer.safeParse(
      await readJson(response).catch((error: unknown) => {
        if (error instanceof ServiceNowError && error.kind !== 'malformed') throw error;
        return undefined;
      }),
    );
    if (!parsed.success) throw new ServiceNowError('malformed', 'ServiceNow answered the OAuth token request with something unusable');
    o.registerSecret?.(parsed.data.access_token);
    const ttlMs = (parsed.data.expires_in ?? 1800) * 1000;
    // Renew a little before it expires (a tenth of its life, at most a minute) so no request carries a dying token.
    token = { value: parsed.data.access_token, expiresAt: now() + ttlMs - Math.min(60_000, ttlMs / 10) };
    return token.value;
  };

  const authorization = async (fresh: boolean): Promise<string> => {
    const auth = o.auth;
    if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    if (fresh) token = undefined;
    if (token && token.expiresAt > now()) return `Bearer ${token.value}`;
    // Concurrent requests share one token request.
    tokenRequest ??= fetchToken(auth).finally(() => {
      tokenRequest = undefined;
    });
    return `Bearer ${await tokenRequest}`;
  };

  const request = async (method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<unknown> => {
    const headers = async (fresh: boolean) => ({
      authorization: await authorization(fresh),
      ...(body ? { 'content-type': 'application/json' } : {}),
    });
    let response = await send(method, path, await headers(false), body ? JSON.stringify(body) : undefined);
    if (response.status === 401 && o.auth.kind === 'oauth') {
      // The token may have been revoked or expired early on the instance: one retry with a new token.
      await response.body?.cancel();
      response = await send(method, path, await headers(true), body ? JSON.stringify(body) : undefined);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new ServiceNowError('auth', `ServiceNow refused the bot's credentials (HTTP ${response.status})`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ServiceNowError('http', `ServiceNow answered HTTP ${response.status}`);
    }
    return readJson(response);
  };

  const malformed = (error: z.ZodError): ServiceNowError => {
    const issue = error.issues[0];
    return new ServiceNowError(
      'malformed',
      `ServiceNow's answer was malformed (${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'unknown'})`,
    );
  };

  return {
    getChange: async (number) => {
      const query = new URLSearchParams({
        sysparm_query: `number=${number}`,
        sysparm_limit: '1',
        sysparm_display_value: 'false',
        sysparm_exclude_reference_link: 'true',
        sysparm_fields: 'sys_id,number,state,start_date,end_date,assignment_group,assignment_group.name,short_description',
      });
      const parsed = tableAnswer.safeParse(await request('GET', `/api/now/table/change_request?${query.toString()}`));
      if (!parsed.success) throw malformed(parsed.error);
      const record = parsed.data.result[0];
      if (!record || record.number !== number) return null;
      const group = record.assignment_group;
      return {
        sysId: record.sys_id,
        number: record.number,
        state: record.state,
        plannedStart: record.start_date ?? null,
        plannedEnd: record.end_date ?? null,
        assignmentGroup: (typeof group === 'object' ? group.value : group) || null,
        assignmentGroupName: record['assignment_group.name'] || null,
        shortDescription: record.short_description ?? null,
      };
    },
    getAffectedCis: async (sysId) => {
      if (!/^[0-9a-f]{32}$/u.test(sysId)) throw new ServiceNowError('malformed', 'bad change sys_id');
      const names: string[] = [];
      for (let page = 0; page < CI_MAX_PAGES; page += 1) {
        const query = new URLSearchParams({
          sysparm_query: `task=${sysId}`,
          sysparm_fields: 'ci_item.name',
          sysparm_limit: String(CI_PAGE),
          sysparm_offset: String(page * CI_PAGE),
        });
        const parsed = ciAnswer.safeParse(await request('GET', `/api/now/table/task_ci?${query.toString()}`));
        if (!parsed.success) throw malformed(parsed.error);
        names.push(...parsed.data.result.map((r) => r['ci_item.name']).filter(Boolean));
        if (parsed.data.result.length < CI_PAGE) break;
      }
      return names;
    },
    addWorkNote: async (sysId, text) => {
      if (!/^[0-9a-f]{32}$/u.test(sysId)) throw new ServiceNowError('malformed', 'bad change sys_id');
      await request('PATCH', `/api/now/table/change_request/${sysId}`, { work_notes: text });
    },
  };
};
