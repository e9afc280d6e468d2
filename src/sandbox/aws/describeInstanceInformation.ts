import { AwsError, constraintError } from './awsError.ts';
import type { InstanceEntry } from './fakeState.ts';
import { scopeKey } from './fakeState.ts';
import { ascending, collectPage, decodeToken, encodeToken } from './paging.ts';
import type { SsmContext } from './ssmContext.ts';
import { epochSeconds } from './ssmContext.ts';
import { asInput, optInt, optList } from './ssmInput.ts';

type Predicate = (instance: InstanceEntry) => boolean;

const DEFAULT_AGENT_VERSION = '3.3.1142.0';

const PING_STATUSES = new Set(['Online', 'ConnectionLost', 'Inactive']);
const PLATFORM_TYPES = new Set(['Linux', 'Windows', 'MacOS']);
const RESOURCE_TYPES = new Set(['EC2Instance', 'ManagedInstance']);
// Keys of the legacy InstanceInformationFilterList (an enum in the model).
const LEGACY_KEYS = [
  'InstanceIds',
  'AgentVersion',
  'PingStatus',
  'PlatformTypes',
  'ActivationIds',
  'IamRole',
  'ResourceType',
  'AssociationStatus',
];

const resourceType = (i: InstanceEntry): string => (i.instanceId.startsWith('mi-') ? 'ManagedInstance' : 'EC2Instance');

/** One filter → predicate; also returns the instance ids when the filter is InstanceIds (an index lookup). */
const predicateFor = (key: string, values: string[], legacy: boolean): { predicate: Predicate; ids?: string[] } => {
  const set = new Set(values);
  const checkValues = (allowed: Set<string>): void => {
    for (const v of values) {
      if (!allowed.has(v)) {
        throw legacy
          ? new AwsError('InvalidInstanceInformationFilterValue', `${v} is not a valid value for filter ${key}.`)
          : new AwsError('InvalidFilterValue', `${v} is not a valid value for filter ${key}.`);
      }
    }
  };
  switch (key) {
    case 'InstanceIds':
      return { predicate: (i) => set.has(i.instanceId), ids: values };
    case 'PingStatus':
      checkValues(PING_STATUSES);
      return { predicate: (i) => set.has(i.pingStatus) };
    case 'PlatformTypes':
      checkValues(PLATFORM_TYPES);
      return { predicate: (i) => set.has(i.platformType ?? 'Linux') };
    case 'ResourceType':
      checkValues(RESOURCE_TYPES);
      return { predicate: (i) => set.has(resourceType(i)) };
    case 'AgentVersion':
      return { predicate: (i) => set.has(i.agentVersion ?? DEFAULT_AGENT_VERSION) };
    case 'tag-key':
      return { predicate: (i) => values.some((k) => i.tags?.[k] !== undefined) };
    default:
      if (!legacy && key.startsWith('tag:')) {
        const tag = key.slice(4);
        return {
          predicate: (i) => {
            const value = i.tags?.[tag];
            return value !== undefined && set.has(value);
          },
        };
      }
      if (legacy && LEGACY_KEYS.includes(key)) return { predicate: () => false };
      throw legacy
        ? constraintError(
            'ValidationException',
            'instanceInformationFilterList.1.member.key',
            key,
            `Member must satisfy enum value set: [${LEGACY_KEYS.join(', ')}]`,
          )
        : new AwsError('InvalidFilterKey', `The filter key ${key} is not supported.`);
  }
};

const filterValues = (raw: unknown, keyField: string, valuesField: string): { key: string; values: string[] } => {
  const filter = asInput(raw);
  const key = filter[keyField];
  const values = filter[valuesField];
  if (typeof key !== 'string' || !Array.isArray(values) || values.length === 0 || values.length > 100) {
    throw new AwsError('ValidationException', `Each filter needs a ${keyField} and 1-100 ${valuesField}.`);
  }
  return { key, values: values.map(String) };
};

const isTagKey = (key: string): boolean => key === 'tag-key' || key.startsWith('tag:');

/**
 * As SSM answers it (API reference and service model): MaxResults 5–50, default 10; "attempting to use
 * InstanceInformationFilterList and Filters leads to an exception error"; "tag filters can't be combined with
 * other filter types"; 1–100 values per filter (both filter kinds).
 */
export const describeInstanceInformation = (ctx: SsmContext, body: unknown): unknown => {
  const input = asInput(body);
  const maxResults = optInt(input, 'MaxResults', 5, 50) ?? 10;
  const from = decodeToken('DescribeInstanceInformation', input.NextToken);
  const filters = optList(input, 'Filters', 100) ?? [];
  const legacy = optList(input, 'InstanceInformationFilterList', 100) ?? [];
  if (filters.length > 0 && legacy.length > 0) {
    throw new AwsError('ValidationException', 'InstanceInformationFilterList and Filters cannot be used together; use Filters.');
  }
  const keys = filters.map((f) => filterValues(f, 'Key', 'Values'));
  if (keys.some((f) => isTagKey(f.key)) && keys.some((f) => !isTagKey(f.key))) {
    throw new AwsError('InvalidFilter', "Tag filters can't be combined with other filter types.");
  }
  const parsed = [
    ...keys.map(({ key, values }) => predicateFor(key, values, false)),
    ...legacy.map((f) => {
      const { key, values } = filterValues(f, 'key', 'valueSet');
      return predicateFor(key, values, true);
    }),
  ];
  const { accountId } = ctx.session;
  const idFilter = parsed.find((p) => p.ids !== undefined)?.ids;
  const source = idFilter
    ? idFilter.map((id) => ctx.state.instances.get(id)).filter((i) => i !== undefined)
    : (ctx.state.instancesByScope.get(scopeKey(accountId, ctx.region)) ?? []);
  const inScope = (i: InstanceEntry): boolean => i.accountId === accountId && i.region === ctx.region;
  const page = collectPage(ascending(source, from), maxResults, (i) => inScope(i) && parsed.every((p) => p.predicate(i)));
  return {
    InstanceInformationList: page.items.map((i) => ({
      InstanceId: i.instanceId,
      PingStatus: i.pingStatus,
      LastPingDateTime: epochSeconds(i.pingStatus === 'Online' ? ctx.now : i.lastPingAt),
      AgentVersion: i.agentVersion ?? DEFAULT_AGENT_VERSION,
      IsLatestVersion: false,
      PlatformType: i.platformType ?? 'Linux',
      PlatformName: i.platformName ?? (i.platformType === 'Windows' ? 'Microsoft Windows Server 2022 Datacenter' : 'Amazon Linux'),
      PlatformVersion: i.platformVersion ?? (i.platformType === 'Windows' ? '10.0.20348' : '2023'),
      ResourceType: resourceType(i),
      IPAddress: i.ipAddress ?? '10.0.0.1',
      ComputerName: i.computerName ?? `ip-10-0-0-1.${ctx.region}.compute.internal`,
      SourceId: i.instanceId,
      SourceType: 'AWS::EC2::Instance',
    })),
    ...(page.next === undefined ? {} : { NextToken: encodeToken('DescribeInstanceInformation', page.next) }),
  };
};
