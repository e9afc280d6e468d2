import { GetResourcesCommand, type ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SessionTag } from '../aws/credentialBroker.ts';
import type { TaggingClients } from '../aws/taggingClients.ts';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { InstanceTags } from '../db/queries/inventoryTags.ts';
import type { ScopeBound } from './describeScope.ts';

/** GetResources' page size bounds are 1–100 resources. */
const RESOURCES_PER_PAGE = 100;
/** EC2 instances, and hybrid (on-premises) managed nodes, whose ids are `mi-`. */
export const INSTANCE_RESOURCE_TYPES = ['ec2:instance', 'ssm:managed-instance'] as const;

const ARN = /^arn:(aws|aws-us-gov):(ec2|ssm):([a-z0-9-]+):(\d{12}):(instance|managed-instance)\/((?:i|mi)-[0-9a-f]+)$/u;

/**
 * The instance id of a resource ARN of exactly this account, region and partition (`arn:aws:` or
 * `arn:aws-us-gov:`); anything else is not one of the scope's instances.
 */
export const instanceIdOfArn = (arn: string, account: TargetAccount, region: string): string | undefined => {
  const m = ARN.exec(arn);
  if (!m || m[1] !== account.partition || m[3] !== region || m[4] !== account.id) return undefined;
  const [service, type, id = ''] = [m[2], m[5], m[6]];
  if (service === 'ec2' && type === 'instance' && id.startsWith('i-')) return id;
  if (service === 'ssm' && type === 'managed-instance' && id.startsWith('mi-')) return id;
  return undefined;
};

const toInstanceTags = (account: TargetAccount, region: string, mapping: ResourceTagMapping): InstanceTags | undefined => {
  const instanceId = mapping.ResourceARN ? instanceIdOfArn(mapping.ResourceARN, account, region) : undefined;
  if (!instanceId) return undefined;
  const tags: Record<string, string> = {};
  for (const t of mapping.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return { instanceId, tags };
};

/**
 * Every tagged instance of one account/region with all its tags, page by page (each page one GetResources call
 * inside the per-region bound, handed to `onPage` before the next is asked for). The last page's
 * PaginationToken is empty, not absent. Throws when a page cannot be read: the caller keeps the last good tags.
 */
export const readScopeTags = async (
  deps: { readonly tagging: TaggingClients; readonly bound: ScopeBound; readonly session: SessionTag },
  account: TargetAccount,
  region: string,
  onPage: (page: InstanceTags[]) => Promise<void>,
): Promise<{ readonly pages: number; readonly resources: number }> => {
  const client = deps.tagging.reader(account, region, deps.session);
  let token: string | undefined;
  let pages = 0;
  let resources = 0;
  do {
    const from = token;
    const page = await deps.bound.run({ runId: deps.session.runId, accountId: account.id, region }, async () =>
      client.send(
        new GetResourcesCommand({
          ResourceTypeFilters: [...INSTANCE_RESOURCE_TYPES],
          ResourcesPerPage: RESOURCES_PER_PAGE,
          ...(from ? { PaginationToken: from } : {}),
        }),
      ),
    );
    pages += 1;
    const found = (page.ResourceTagMappingList ?? []).flatMap((m) => toInstanceTags(account, region, m) ?? []);
    resources += found.length;
    await onPage(found);
    token = page.PaginationToken === '' ? undefined : page.PaginationToken;
  } while (token);
  return { pages, resources };
};
