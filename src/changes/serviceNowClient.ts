import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

export type ServiceNowChange = {
  readonly sysId: string;
  readonly number: string;
  readonly state: string;
  readonly plannedStart: Date | null;
  readonly plannedEnd: Date | null;
  readonly assignmentGroup: string | null;
  readonly shortDescription: string | null;
};

export type ServiceNowClient = {
  /** null when ServiceNow answers that no such change exists; throws ServiceNowError when it cannot tell. */
  readonly getChange: (number: string) => Promise<ServiceNowChange | null>;
  readonly addWorkNote: (sysId: string, text: string) => Promise<void>;
};

/** ServiceNow could not give a trustworthy answer (down, timeout, malformed, auth). Callers fail closed. */
export class ServiceNowError extends Error {
  override readonly name = 'ServiceNowError';
}

// Table API date-times are "YYYY-MM-DD HH:mm:ss" in UTC (sysparm_display_value=false).
const snDate = z
  .string()
  .transform((s, ctx) => {
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
    short_description: z.string().optional(),
  })
  .loose();

const tableAnswer = z.object({ result: z.array(changeRecord) });

export type ServiceNowClientOptions = {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly attempts?: number;
  readonly fetch?: typeof fetch;
};

/**
 * Table API client: basic auth, zod-parsed answers, a timeout per request, and retries with
 * backoff on 429/5xx honouring Retry-After. Anything it cannot trust becomes a ServiceNowError.
 */
export const createServiceNowClient = (o: ServiceNowClientOptions): ServiceNowClient => {
  const doFetch = o.fetch ?? fetch;
  const base = o.url.replace(/\/+$/u, '');
  const auth = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
  const attempts = o.attempts ?? 3;

  const request = async (method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<unknown> => {
    let lastError = 'no attempt made';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let response: Response;
      try {
        response = await doFetch(`${base}${path}`, {
          method,
          headers: { authorization: auth, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch (error) {
        lastError = `ServiceNow unreachable: ${(error as Error).message}`;
        if (attempt < attempts) await sleep(250 * 2 ** attempt);
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        const retryAfter = Number(response.headers.get('retry-after'));
        lastError = `ServiceNow answered HTTP ${response.status}`;
        await response.body?.cancel();
        if (attempt < attempts) await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 250 * 2 ** attempt);
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        throw new ServiceNowError(`ServiceNow refused the bot's credentials (HTTP ${response.status})`);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ServiceNowError(`ServiceNow answered HTTP ${response.status}`);
      }
      try {
        return await response.json();
      } catch {
        throw new ServiceNowError('ServiceNow answered with something that is not JSON');
      }
    }
    throw new ServiceNowError(lastError);
  };

  return {
    getChange: async (number) => {
      const query = new URLSearchParams({
        sysparm_query: `number=${number}`,
        sysparm_limit: '1',
        sysparm_display_value: 'false',
        sysparm_exclude_reference_link: 'true',
        sysparm_fields: 'sys_id,number,state,start_date,end_date,assignment_group,short_description',
      });
      const parsed = tableAnswer.safeParse(await request('GET', `/api/now/table/change_request?${query.toString()}`));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ServiceNowError(`ServiceNow's answer was malformed (${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'unknown'})`);
      }
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
        shortDescription: record.short_description ?? null,
      };
    },
    addWorkNote: async (sysId, text) => {
      if (!/^[0-9a-f]{32}$/u.test(sysId)) throw new ServiceNowError('bad sys_id');
      await request('PATCH', `/api/now/table/change_request/${sysId}`, { work_notes: text });
    },
  };
};
