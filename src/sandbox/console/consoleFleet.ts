// The console's fleet: a few dozen instances in three accounts, each (when first used) a simulated
// host on which the real tool scripts run, keeping its state between runs.
import { makeInstances } from '../aws/makeInstances.ts';
import type { FakeBehavior, FakeInstance } from '../aws/types.ts';
import { createSimHost } from '../simHost/simHost.ts';
import { debian12Healthy, rhel9Healthy, ubuntu2204Healthy, withProfile, type HostProfile } from '../simHost/profiles.ts';
import type { SimHost } from '../simHost/simTypes.ts';
import { CONSOLE_ACCOUNTS } from './consoleWorld.ts';

export type Family = 'rhel' | 'amazon' | 'debian' | 'ubuntu' | 'windows';

const amazonLinux2023 = (): HostProfile =>
  withProfile(rhel9Healthy(), {
    name: 'al2023',
    osRelease: [
      'NAME="Amazon Linux"',
      'VERSION="2023"',
      'ID="amzn"',
      'ID_LIKE="fedora"',
      'VERSION_ID="2023"',
      'PLATFORM_ID="platform:al2023"',
      'PRETTY_NAME="Amazon Linux 2023.6.20241010"',
      '',
    ].join('\n'),
    runningKernel: '6.1.109-118.189.amzn2023.x86_64',
    installedKernels: ['6.1.102-111.182.amzn2023.x86_64', '6.1.109-118.189.amzn2023.x86_64'],
    availableKernels: ['6.1.112-122.189.amzn2023.x86_64', '6.1.115-126.197.amzn2023.x86_64'],
    extraPackages: [],
    defaultKernel: '6.1.109-118.189.amzn2023.x86_64',
    packageManagers: ['dnf'],
  });

const PROFILES: Record<Exclude<Family, 'windows'>, () => HostProfile> = {
  rhel: rhel9Healthy,
  amazon: amazonLinux2023,
  debian: debian12Healthy,
  ubuntu: ubuntu2204Healthy,
};

const PLATFORM: Record<Family, { name: string; version: string }> = {
  rhel: { name: 'Red Hat Enterprise Linux', version: '9.3' },
  amazon: { name: 'Amazon Linux', version: '2023' },
  debian: { name: 'Debian GNU/Linux', version: '12' },
  ubuntu: { name: 'Ubuntu', version: '22.04' },
  windows: { name: 'Microsoft Windows Server 2022 Datacenter', version: '10.0.20348' },
};

type Group = {
  account: (typeof CONSOLE_ACCOUNTS)[number];
  region: string;
  family: Family;
  count: number;
  tags: Record<string, string>;
  /** Profile changes on some hosts, so the reports have something to say. */
  quirk?: (index: number) => Partial<HostProfile> | undefined;
  offline?: boolean;
};

const [prodCom, stageCom, prodGov] = CONSOLE_ACCOUNTS as [Group['account'], Group['account'], Group['account']];

const GROUPS: Group[] = [
  {
    account: prodCom,
    region: 'us-east-1',
    family: 'rhel',
    count: 8,
    tags: { Environment: 'prod', Role: 'web', PatchGroup: 'A' },
    quirk: (i) => (i === 5 ? { disks: [{ mount: '/boot', source: '/dev/nvme0n1p3', sizeMb: 960, availMb: 60 }] } : undefined),
  },
  { account: prodCom, region: 'us-east-1', family: 'amazon', count: 4, tags: { Environment: 'prod', Role: 'batch', PatchGroup: 'B' } },
  { account: prodCom, region: 'us-west-2', family: 'ubuntu', count: 4, tags: { Environment: 'prod', Role: 'web', PatchGroup: 'B' } },
  { account: prodCom, region: 'us-west-2', family: 'debian', count: 3, tags: { Environment: 'prod', Role: 'db', PatchGroup: 'A' } },
  { account: stageCom, region: 'us-east-1', family: 'rhel', count: 3, tags: { Environment: 'stage', Role: 'web', PatchGroup: 'A' } },
  { account: stageCom, region: 'us-east-1', family: 'ubuntu', count: 2, tags: { Environment: 'stage', Role: 'db', PatchGroup: 'B' } },
  { account: stageCom, region: 'us-east-1', family: 'windows', count: 1, tags: { Environment: 'stage', Role: 'ad', PatchGroup: 'W' } },
  { account: prodGov, region: 'us-gov-west-1', family: 'rhel', count: 3, tags: { Environment: 'prod', Role: 'web', PatchGroup: 'A' } },
  { account: prodGov, region: 'us-gov-west-1', family: 'debian', count: 2, tags: { Environment: 'prod', Role: 'db', PatchGroup: 'B' } },
  {
    account: prodGov,
    region: 'us-gov-west-1',
    family: 'amazon',
    count: 1,
    tags: { Environment: 'prod', Role: 'batch', PatchGroup: 'B' },
    offline: true,
  },
];

export type LastRun = {
  readonly at: string;
  readonly tool: string;
  readonly action: string;
  readonly status: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
};

export type FleetInstance = {
  readonly instanceId: string;
  readonly name: string;
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  readonly family: Family;
  readonly platform: string;
  readonly pingStatus: 'Online' | 'ConnectionLost';
  readonly tags: Record<string, string>;
};

export type FleetView = FleetInstance & {
  readonly runningKernel: string | undefined;
  readonly busy: boolean;
  readonly lastRun: LastRun | undefined;
};

export type ConsoleFleet = {
  readonly instances: readonly FleetInstance[];
  /** The fake AWS instances, each running the real command text on its simulated host. */
  readonly fakeInstances: FakeInstance[];
  readonly view: () => FleetView[];
  /** Boots the boot loader's default kernel (what Kernel Staging set); returns the running kernel. */
  readonly reboot: (instanceId: string) => Promise<string>;
  readonly cleanup: () => Promise<void>;
};

const exported = (commands: readonly string[], name: string): string =>
  /^'(.*)'$/u.exec(commands.find((c) => c.startsWith(`export ${name}=`))?.slice(`export ${name}=`.length) ?? '')?.[1] ?? '?';

export const createConsoleFleet = (options: { readonly scriptTimeoutMs?: number } = {}): ConsoleFleet => {
  const instances: FleetInstance[] = [];
  const fakeInstances: FakeInstance[] = [];
  const profiles = new Map<string, HostProfile>();
  const hosts = new Map<string, Promise<SimHost>>();
  const lastRuns = new Map<string, LastRun>();
  const busy = new Set<string>();
  const kernels = new Map<string, string>();

  const hostOf = (instanceId: string): Promise<SimHost> => {
    let host = hosts.get(instanceId);
    if (!host) {
      const profile = profiles.get(instanceId);
      if (!profile) return Promise.reject(new Error(`${instanceId} is not a simulated Linux host`));
      host = createSimHost(profile);
      hosts.set(instanceId, host);
    }
    return host;
  };

  for (const group of GROUPS) {
    const made = makeInstances({
      accountId: group.account.id,
      region: group.region,
      count: group.count,
      name: `console-${group.family}`,
      platformType: group.family === 'windows' ? 'Windows' : 'Linux',
      tags: group.tags,
    });
    made.forEach((instance, index) => {
      const name = `${group.tags.Environment ?? 'x'}-${group.tags.Role ?? 'x'}-${group.family}-${group.region.replace(/^us-(gov-)?/u, '')}-${index + 1}`;
      const platform = PLATFORM[group.family];
      const pingStatus = group.offline ? 'ConnectionLost' : 'Online';
      const tags = { Name: name, ...group.tags };
      if (group.family !== 'windows') {
        const profile = withProfile(PROFILES[group.family](), { hostname: instance.computerName ?? name, ...group.quirk?.(index) });
        profiles.set(instance.instanceId, profile);
        kernels.set(instance.instanceId, profile.runningKernel);
      }
      instances.push({
        instanceId: instance.instanceId,
        name,
        accountId: group.account.id,
        accountName: group.account.name,
        region: group.region,
        family: group.family,
        platform: `${platform.name} ${platform.version}`,
        pingStatus,
        tags,
      });
      fakeInstances.push({
        ...instance,
        platformName: platform.name,
        platformVersion: platform.version,
        pingStatus,
        tags,
        ...(group.family === 'windows'
          ? {}
          : {
              run: async ({ commands }): Promise<FakeBehavior> => {
                busy.add(instance.instanceId);
                try {
                  const host = await hostOf(instance.instanceId);
                  const result = await host.run('console/scripts/ssm.sh', {
                    commands,
                    timeoutMs: options.scriptTimeoutMs ?? 120_000,
                  });
                  const status = result.timedOut ? 'TimedOut' : result.exitCode === 0 ? 'Success' : 'Failed';
                  lastRuns.set(instance.instanceId, {
                    at: new Date().toISOString(),
                    tool: exported(commands, 'PCM_TOOL'),
                    action: exported(commands, 'PCM_ACTION'),
                    status,
                    exitCode: result.exitCode,
                    stdout: result.stdout,
                    stderr: result.stderr,
                  });
                  kernels.set(instance.instanceId, host.profile().runningKernel);
                  return { status, stdout: result.stdout, stderr: result.stderr, responseCode: result.exitCode ?? 1 };
                } finally {
                  busy.delete(instance.instanceId);
                }
              },
            }),
      });
    });
  }

  return {
    instances,
    fakeInstances,
    view: () =>
      instances.map((i) => ({
        ...i,
        runningKernel: kernels.get(i.instanceId),
        busy: busy.has(i.instanceId),
        lastRun: lastRuns.get(i.instanceId),
      })),
    reboot: async (instanceId) => {
      const kernel = await (await hostOf(instanceId)).reboot();
      kernels.set(instanceId, kernel);
      return kernel;
    },
    cleanup: async () => {
      await Promise.all([...hosts.values()].map(async (h) => (await h).cleanup()));
    },
  };
};
