import { AwsError } from './awsError.ts';
import type { FakeState, InstanceEntry, Session } from './fakeState.ts';
import { scopeKey } from './fakeState.ts';
import { asInput } from './ssmInput.ts';

/** What GetResources gets: the authenticated caller and the clock. */
export type TaggingContext = { state: FakeState; session: Session; region: string; now: number };

// Limits of GetResources (API reference): ResourcesPerPage 1–100, TagsPerPage 100–500, ≤ 50 TagFilters of ≤ 20
// values each, ≤ 100 ARNs in ResourceARNList (which excludes the paging parameters); a token lives 15 minutes.
const MAX_RESOURCES_PER_PAGE = 100;
const TAGS_PER_PAGE = { min: 100, max: 500 };
const MAX_TAG_FILTERS = 50;
const MAX_TAG_FILTER_VALUES = 20;
const MAX_ARNS = 100;
const TOKEN_LIFETIME_MS = 15 * 60_000;
/** The fake holds instances only: these are the resource types (and their services) it can answer for. */
const RESOURCE_TYPES: Record<string, (i: InstanceEntry) => boolean> = {
  ec2: (i) => i.instanceId.startsWith('i-'),
  'ec2:instance': (i) => i.instanceId.startsWith('i-'),
  ssm: (i) => i.instanceId.startsWith('mi-'),
  'ssm:managed-instance': (i) => i.instanceId.startsWith('mi-'),
};
const RESOURCE_TYPE_FORMAT = /^[a-z0-9-]+(:[a-zA-Z0-9-]+)?$/;

const invalid = (message: string): AwsError => new AwsError('InvalidParameterException', message);

const arnOf = (i: InstanceEntry, session: Session): string =>
  i.instanceId.startsWith('mi-')
    ? `arn:${session.partition}:ssm:${i.region}:${i.accountId}:managed-instance/${i.instanceId}`
    : `arn:${session.partition}:ec2:${i.region}:${i.accountId}:instance/${i.instanceId}`;

const int = (input: Record<string, unknown>, key: string): number | undefined => {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `Expected an integer for ${key}`);
  return value;
};

const strings = (value: unknown, key: string): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new AwsError('SerializationException', `Expected a list of strings for ${key}`);
  return value as string[];
};

// The token names the caller's scope and the request's filters, so it cannot be replayed elsewhere or with others.
const tokenFor = (scope: string, filters: string, position: number, issuedAt: number): string =>
  Buffer.from(JSON.stringify({ s: scope, f: filters, p: position, t: issuedAt })).toString('base64url');

const readToken = (token: string, scope: string, filters: string, now: number): number => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('The specified pagination token is not valid.');
  }
  const t = parsed as { s?: unknown; f?: unknown; p?: unknown; t?: unknown };
  if (t.s !== scope || t.f !== filters || !Number.isInteger(t.p) || typeof t.t !== 'number') {
    throw invalid('The specified pagination token is not valid.');
  }
  if (now - t.t > TOKEN_LIFETIME_MS) throw new AwsError('PaginationTokenExpiredException', 'The pagination token has expired.');
  return t.p as number;
};

/**
 * GetResources for the instances of the caller's account and region: only resources that carry (or carried)
 * tags are listed (`tags` set on the FakeInstance, possibly `{}`), each with all its tags. The last page's
 * PaginationToken is the empty string, as the service answers.
 */
export const getResources = (ctx: TaggingContext, body: unknown): unknown => {
  const input = asInput(body);
  const perPage = int(input, 'ResourcesPerPage');
  const tagsPerPage = int(input, 'TagsPerPage');
  const token = input.PaginationToken;
  if (token !== undefined && token !== null && typeof token !== 'string')
    throw new AwsError('SerializationException', 'Expected a string for PaginationToken');
  if (perPage !== undefined && (perPage < 1 || perPage > MAX_RESOURCES_PER_PAGE)) {
    throw invalid(`ResourcesPerPage must be between 1 and ${MAX_RESOURCES_PER_PAGE}.`);
  }
  if (tagsPerPage !== undefined && (tagsPerPage < TAGS_PER_PAGE.min || tagsPerPage > TAGS_PER_PAGE.max)) {
    throw invalid(`TagsPerPage must be between ${TAGS_PER_PAGE.min} and ${TAGS_PER_PAGE.max}.`);
  }
  const arns = strings(input.ResourceARNList, 'ResourceARNList');
  if (arns !== undefined) {
    if (arns.length < 1 || arns.length > MAX_ARNS) throw invalid(`ResourceARNList takes 1 to ${MAX_ARNS} ARNs.`);
    if (perPage !== undefined || tagsPerPage !== undefined || (typeof token === 'string' && token !== '')) {
      throw invalid('ResourceARNList cannot be used with ResourcesPerPage, TagsPerPage or PaginationToken.');
    }
  }
  if (input.IncludeComplianceDetails === true || input.ExcludeCompliantResources === true) {
    throw invalid('This account is not part of an organization with a tag policy.');
  }
  const types = strings(input.ResourceTypeFilters, 'ResourceTypeFilters') ?? [];
  const typeMatchers = types.map((t) => {
    if (!RESOURCE_TYPE_FORMAT.test(t)) throw invalid(`Invalid resource type ${t}; the format is service[:resourceType].`);
    const matcher = RESOURCE_TYPES[t];
    if (!matcher) throw invalid(`Unsupported resource type: ${t}.`);
    return matcher;
  });
  const rawFilters = input.TagFilters;
  if (rawFilters !== undefined && rawFilters !== null && !Array.isArray(rawFilters))
    throw new AwsError('SerializationException', 'Expected a list for TagFilters');
  const tagFilters = ((rawFilters as unknown[] | undefined) ?? []).map((raw) => {
    const f = asInput(raw);
    if (typeof f.Key !== 'string' || f.Key.length < 1 || f.Key.length > 128)
      throw invalid('Each TagFilter needs a Key of 1 to 128 characters.');
    const values = strings(f.Values, 'Values') ?? [];
    if (values.length > MAX_TAG_FILTER_VALUES) throw invalid(`A TagFilter takes at most ${MAX_TAG_FILTER_VALUES} values.`);
    return { key: f.Key, values: new Set(values) };
  });
  if (tagFilters.length > MAX_TAG_FILTERS) throw invalid(`At most ${MAX_TAG_FILTERS} TagFilters.`);

  const { accountId } = ctx.session;
  const scope = scopeKey(accountId, ctx.region);
  const filters = JSON.stringify([types, (rawFilters as unknown[] | undefined) ?? [], arns ?? []]);
  const from = typeof token === 'string' && token !== '' ? readToken(token, scope, filters, ctx.now) : 0;
  const wanted = arns ? new Set(arns) : undefined;
  const matches = (i: InstanceEntry): boolean =>
    i.tags !== undefined &&
    (typeMatchers.length === 0 || typeMatchers.some((m) => m(i))) &&
    // A filter without values: the key is present. With values: one of them (AND across filters).
    tagFilters.every((f) => {
      const v = i.tags?.[f.key];
      return v !== undefined && (f.values.size === 0 || f.values.has(v));
    }) &&
    (wanted === undefined || wanted.has(arnOf(i, ctx.session)));

  const source = ctx.state.instancesByScope.get(scope) ?? [];
  const limit = perPage ?? MAX_RESOURCES_PER_PAGE;
  const items: InstanceEntry[] = [];
  let tagCount = 0;
  let next: number | undefined;
  for (let position = from; position < source.length; position++) {
    const i = source[position] as InstanceEntry;
    if (!matches(i)) continue;
    const n = Object.keys(i.tags ?? {}).length;
    // A page ends at ResourcesPerPage resources, or before the resource that would take it past TagsPerPage tags.
    if (items.length === limit || (tagsPerPage !== undefined && items.length > 0 && tagCount + n > tagsPerPage)) {
      next = position;
      break;
    }
    items.push(i);
    tagCount += n;
  }
  return {
    PaginationToken: next === undefined ? '' : tokenFor(scope, filters, next, ctx.now),
    ResourceTagMappingList: items.map((i) => ({
      ResourceARN: arnOf(i, ctx.session),
      Tags: Object.entries(i.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    })),
  };
};
