import { createHash } from 'node:crypto';
import type { FakeBehaviorSpec, FakeInstance } from './types.ts';

export type MakeInstancesOptions = {
  accountId: string;
  region: string;
  count: number;
  behavior?: FakeBehaviorSpec;
  platformType?: FakeInstance['platformType'];
  /** The same tags on every instance, or each instance's own (by its index in the fleet). */
  tags?: Record<string, string> | ((index: number) => Record<string, string>);
  /** Distinguishes several fleets in the same account+region (default 'fleet'). */
  name?: string;
};

/** Deterministic fleet: the same options always give the same valid `i-` + 17 hex ids, host names and IPs. */
export const makeInstances = (options: MakeInstancesOptions): FakeInstance[] =>
  Array.from({ length: options.count }, (_, index) => {
    const seed = `${options.name ?? 'fleet'}/${options.accountId}/${options.region}/${index}`;
    const hex = createHash('sha256').update(seed).digest('hex');
    const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    return {
      instanceId: `i-${hex.slice(0, 17)}`,
      accountId: options.accountId,
      region: options.region,
      platformType: options.platformType ?? 'Linux',
      ipAddress: ip,
      computerName: `ip-${ip.replaceAll('.', '-')}.${options.region}.compute.internal`,
      ...(options.tags ? { tags: { ...(typeof options.tags === 'function' ? options.tags(index) : options.tags) } } : {}),
      ...(options.behavior ? { behavior: options.behavior } : {}),
    };
  });
