import type { Partition } from './partition.ts';

export type Target = { readonly instanceId: string; readonly accountId: string; readonly region: string; readonly partition: Partition };
export type Chunk = {
  readonly seq: number;
  readonly partition: Partition;
  readonly accountId: string;
  readonly region: string;
  readonly instanceIds: readonly string[];
  /** The rollout wave of every instance in the chunk (chunks never span waves); absent without a rollout. */
  readonly wave?: number;
};

/** SSM accepts at most 50 InstanceIds per SendCommand. */
export const MAX_IDS_PER_COMMAND = 50;

/** Groups targets by partition, account and region, then cuts each group into chunks of ≤ 50. Deterministic. */
export const chunkTargets = (targets: readonly Target[], size: number = MAX_IDS_PER_COMMAND): Chunk[] => {
  const groups = Map.groupBy(targets, (t) => `${t.partition}|${t.accountId}|${t.region}`);
  const chunks: Chunk[] = [];
  for (const key of [...groups.keys()].sort()) {
    const group = (groups.get(key) ?? []).map((t) => t.instanceId).sort();
    const first = groups.get(key)?.[0];
    if (!first) continue;
    for (let i = 0; i < group.length; i += size) {
      chunks.push({
        seq: chunks.length,
        partition: first.partition,
        accountId: first.accountId,
        region: first.region,
        instanceIds: group.slice(i, i + size),
      });
    }
  }
  return chunks;
};

/**
 * With a rollout: the chunks of each wave in turn (a chunk never spans two waves), numbered on across
 * waves, so the canary's chunks come first. Targets without a wave are chunked as one group.
 */
export const chunkWaves = (
  targets: readonly (Target & { readonly wave?: number | null })[],
  size: number = MAX_IDS_PER_COMMAND,
): Chunk[] => {
  const byWave = Map.groupBy(targets, (t) => t.wave ?? -1);
  const chunks: Chunk[] = [];
  for (const wave of [...byWave.keys()].sort((a, b) => a - b)) {
    for (const c of chunkTargets(byWave.get(wave) ?? [], size)) {
      chunks.push({ ...c, seq: chunks.length, ...(wave >= 0 ? { wave } : {}) });
    }
  }
  return chunks;
};
