import type { InvocationEntry } from './commandSimulation.ts';
import { parseRoleArn, partitionOfRegion } from './partition.ts';
import type { FakeAccount, FakeAwsOptions, FakeBehaviorSpec, FakeInstance, FakePartition } from './types.ts';

export type BaseKey = { accessKeyId: string; secretAccessKey: string; partition: FakePartition; accountId: string };

export type Session = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  partition: FakePartition;
  roleArn: string;
  roleSessionName: string;
  sourceIdentity: string | undefined;
  expiresAt: number;
};

export type InstanceEntry = FakeInstance & { pingStatus: NonNullable<FakeInstance['pingStatus']>; lastPingAt: number };

export type CommandEntry = {
  commandId: string;
  accountId: string;
  region: string;
  partition: FakePartition;
  documentName: string;
  pluginName: string;
  comment: string;
  parameters: Record<string, string[]>;
  commands: string[];
  instanceIds: string[];
  timeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  maxErrorsLimit: number;
  outputS3Region: string;
  outputS3BucketName: string;
  outputS3KeyPrefix: string;
  cloudWatchOutputConfig: { CloudWatchLogGroupName: string; CloudWatchOutputEnabled: boolean };
  requestedAt: number;
  expiresAt: number;
  invocations: InvocationEntry[];
  invocationByInstance: Map<string, InvocationEntry>;
  cancelRequested: boolean;
  sentBy: { accessKeyId: string; roleSessionName: string; sourceIdentity: string | undefined };
};

export const scopeKey = (accountId: string, region: string): string => `${accountId}/${region}`;

const INSTANCE_ID = /^(i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17})$/;

/** All mutable state, with the indexes that keep every lookup O(1) and every page O(page size). */
export class FakeState {
  readonly baseKeys = new Map<string, BaseKey>();
  readonly sessions = new Map<string, Session>();
  readonly accountsByRoleArn = new Map<string, FakeAccount>();
  readonly accountsById = new Map<string, FakeAccount>();
  /** Base keys revoked (deleted or deactivated in IAM): STS and SSM answer InvalidClientTokenId, as AWS does. */
  readonly revokedBaseKeys = new Map<string, BaseKey>();
  /** Accounts whose role's trust policy no longer lets the base identity in: AssumeRole is AccessDenied. */
  readonly trustBroken = new Set<string>();
  readonly instances = new Map<string, InstanceEntry>();
  /** Insertion order; only ever appended to, so positions are stable paging cursors. */
  readonly instancesByScope = new Map<string, InstanceEntry[]>();
  readonly commandsById = new Map<string, CommandEntry>();
  /** Oldest first; only ever appended to. */
  readonly commandsByScope = new Map<string, CommandEntry[]>();
  /** Oldest first; only ever appended to. */
  readonly invocationsByInstance = new Map<string, InvocationEntry[]>();

  constructor(options: FakeAwsOptions) {
    for (const [partition, creds] of Object.entries(options.partitions) as [FakePartition, FakeAwsOptions['partitions'][FakePartition]][]) {
      if (!creds) continue;
      this.baseKeys.set(creds.accessKeyId, {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        partition,
        accountId: creds.accountId ?? '000000000000',
      });
    }
    for (const account of options.accounts) {
      const arn = parseRoleArn(account.roleArn);
      if (!arn || arn.partition !== account.partition || arn.accountId !== account.id) {
        throw new Error(`fake AWS: role ARN ${account.roleArn} does not belong to account ${account.id} in ${account.partition}`);
      }
      this.accountsByRoleArn.set(account.roleArn, account);
      this.accountsById.set(account.id, account);
    }
    this.addInstances(options.instances ?? []);
  }

  addInstances(instances: FakeInstance[]): void {
    const now = Date.now();
    for (const instance of instances) {
      if (!INSTANCE_ID.test(instance.instanceId)) throw new Error(`fake AWS: invalid instance id ${instance.instanceId}`);
      if (this.instances.has(instance.instanceId)) throw new Error(`fake AWS: duplicate instance ${instance.instanceId}`);
      const account = this.accountsById.get(instance.accountId);
      if (!account) throw new Error(`fake AWS: instance ${instance.instanceId} is in unconfigured account ${instance.accountId}`);
      if (partitionOfRegion(instance.region) !== account.partition) {
        throw new Error(`fake AWS: instance ${instance.instanceId}: region ${instance.region} is not in partition ${account.partition}`);
      }
      const entry: InstanceEntry = { ...instance, pingStatus: instance.pingStatus ?? 'Online', lastPingAt: now };
      this.instances.set(entry.instanceId, entry);
      const key = scopeKey(entry.accountId, entry.region);
      const list = this.instancesByScope.get(key);
      if (list) list.push(entry);
      else this.instancesByScope.set(key, [entry]);
    }
  }

  instance(instanceId: string): InstanceEntry {
    const entry = this.instances.get(instanceId);
    if (!entry) throw new Error(`fake AWS: unknown instance ${instanceId}`);
    return entry;
  }

  setBehavior(instanceId: string, behavior: FakeBehaviorSpec | undefined): void {
    this.instance(instanceId).behavior = behavior;
  }

  setPingStatus(instanceId: string, status: InstanceEntry['pingStatus']): void {
    const entry = this.instance(instanceId);
    // LastPingDateTime freezes when an agent stops pinging (Online instances report "now").
    if (entry.pingStatus === 'Online') entry.lastPingAt = Date.now();
    entry.pingStatus = status;
  }

  addCommand(command: CommandEntry): void {
    this.commandsById.set(command.commandId, command);
    const key = scopeKey(command.accountId, command.region);
    const list = this.commandsByScope.get(key);
    if (list) list.push(command);
    else this.commandsByScope.set(key, [command]);
    for (const inv of command.invocations) {
      const perInstance = this.invocationsByInstance.get(inv.instanceId);
      if (perInstance) perInstance.push(inv);
      else this.invocationsByInstance.set(inv.instanceId, [inv]);
    }
  }
}
