/**
 * Simulated host profiles: plain data the stubs answer from. Start from a preset and override
 * fields with `withProfile(base, { … })` (the nested `sft` object is merged one level deep).
 */
export type OsFamily = 'rhel' | 'debian' | 'other';

export type SimMount = { readonly target: string; readonly source: string; readonly fstype: string };
export type SimDisk = { readonly mount: string; readonly source: string; readonly sizeMb: number; readonly availMb: number };
/** A process holding the package-manager lock (fuser sees it on the lock files; /proc has its comm). */
export type SimLock = { readonly pid: number; readonly comm: string };

export type SimSft = {
  readonly installed: boolean;
  readonly version: string;
  readonly active: boolean;
  /** The unit is in the failed state (only meaningful when not active). */
  readonly failed: boolean;
  readonly enabled: boolean;
  /** /var/lib/sftd/device.token exists. */
  readonly enrolled: boolean;
  readonly startSucceeds: boolean;
  readonly enrollSucceeds: boolean;
  /** sftd deletes enrollment.token after enrolling (the real agent does). */
  readonly consumesEnrollmentToken: boolean;
  /** The enrollment token the simulated ScaleFT service accepts. */
  readonly acceptedToken: string;
  /** Lines `journalctl -u sftd -p err` returns. */
  readonly journalErrors: readonly string[];
  /** Files created under the root at start, e.g. stale pid files. */
  readonly staleFiles: readonly string[];
};

export type HostProfile = {
  readonly name: string;
  readonly family: OsFamily;
  /** Content of /etc/os-release; null = the file is missing. */
  readonly osRelease: string | null;
  readonly hostname: string;
  readonly arch: string;
  readonly uid: number;
  readonly runningKernel: string;
  readonly installedKernels: readonly string[];
  /** Kernels the repositories offer (dnf/apt-get install succeeds for these). */
  readonly availableKernels: readonly string[];
  /**
   * Other packages the repositories offer, by full name (Debian, e.g. `linux-image-6.1.0-47-amd64-dbg`)
   * or name-version-release.arch (RHEL, e.g. `kernel-debug-core-5.14.0-427.13.1.el9_4.x86_64`). They
   * install like any package (recorded, nothing in /boot): what a pattern-matching name may select.
   */
  readonly extraPackages: readonly string[];
  /** RHEL: grubby's default kernel. Debian: ignored (GRUB boots the first entry until saved_entry is set). */
  readonly defaultKernel: string | null;
  readonly packageManagers: readonly ('dnf' | 'yum' | 'apt-get')[];
  readonly uptimeSeconds: number;
  readonly disks: readonly SimDisk[];
  readonly pendingUpdates: readonly string[];
  /** Repositories unreachable: check-update / apt-get update fail. */
  readonly repoError: boolean;
  /** Package installation fails (e.g. no space in /boot). */
  readonly installFails: boolean;
  /** Kernel package installs without an initramfs (dracut / update-initramfs failed). */
  readonly breakInitramfs: boolean;
  /** grubby accepts --set-default but the default does not change. */
  readonly grubbyIgnoresSetDefault: boolean;
  readonly lock: SimLock | null;
  readonly runningServices: readonly string[];
  readonly failedUnits: readonly string[];
  readonly mounts: readonly SimMount[];
  /** Commands absent from this host (no stub on PATH). */
  readonly missingCommands: readonly string[];
  /** Commands that hang for a minute before answering (cancellation tests). */
  readonly hangingCommands: readonly string[];
  readonly sft: SimSft;
  /** SSM Parameter Store as the instance role sees it. */
  readonly ssmParameters: Readonly<Record<string, string>>;
  /** When set, every `aws` call fails with this stderr (e.g. no credentials). */
  readonly awsError: string | null;
  /** Extra files in the root: absolute path → content. */
  readonly files: Readonly<Record<string, string>>;
};

export type ProfilePatch = Partial<Omit<HostProfile, 'sft'>> & { readonly sft?: Partial<SimSft> };

export const withProfile = (base: HostProfile, patch: ProfilePatch): HostProfile => ({
  ...base,
  ...patch,
  sft: { ...base.sft, ...patch.sft },
});

/** Looks like a real enrollment token so leak checks are meaningful; never a real secret. */
export const SIM_ENROLLMENT_TOKEN = 'eyJ0eXAiOiJzaW0ifQ.c2ltLWVucm9sbG1lbnQtdG9rZW4tN2YzYTk5.Zk9vQmFSc2lt';
export const SFT_TOKEN_PARAMETER = '/pcm-ops/scaleft/enrollment-token';

const healthySft: SimSft = {
  installed: true,
  version: '1.80.1',
  active: true,
  failed: false,
  enabled: true,
  enrolled: true,
  startSucceeds: true,
  enrollSucceeds: true,
  consumesEnrollmentToken: true,
  acceptedToken: SIM_ENROLLMENT_TOKEN,
  journalErrors: [],
  staleFiles: [],
};

const pseudoMounts: readonly SimMount[] = [
  { target: '/proc', source: 'proc', fstype: 'proc' },
  { target: '/sys', source: 'sysfs', fstype: 'sysfs' },
  { target: '/dev', source: 'devtmpfs', fstype: 'devtmpfs' },
  { target: '/dev/shm', source: 'tmpfs', fstype: 'tmpfs' },
  { target: '/run', source: 'tmpfs', fstype: 'tmpfs' },
  { target: '/sys/fs/cgroup', source: 'cgroup2', fstype: 'cgroup2' },
  { target: '/run/user/1000', source: 'tmpfs', fstype: 'tmpfs' },
];

export const rhel9Healthy = (): HostProfile => ({
  name: 'rhel9-healthy',
  family: 'rhel',
  osRelease: [
    'NAME="Red Hat Enterprise Linux"',
    'VERSION="9.3 (Plow)"',
    'ID="rhel"',
    'ID_LIKE="fedora"',
    'VERSION_ID="9.3"',
    'PLATFORM_ID="platform:el9"',
    'PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"',
    'ANSI_COLOR="0;31"',
    '',
  ].join('\n'),
  hostname: 'ip-10-0-1-23.ec2.internal',
  arch: 'x86_64',
  uid: 0,
  runningKernel: '5.14.0-362.8.1.el9_3.x86_64',
  installedKernels: ['5.14.0-284.30.1.el9_2.x86_64', '5.14.0-362.8.1.el9_3.x86_64'],
  availableKernels: ['5.14.0-362.24.1.el9_3.x86_64', '5.14.0-427.13.1.el9_4.x86_64'],
  extraPackages: [
    'kernel-debug-5.14.0-427.13.1.el9_4.x86_64',
    'kernel-debug-core-5.14.0-427.13.1.el9_4.x86_64',
    'kernel-rt-5.14.0-427.13.1.el9_4.x86_64',
  ],
  defaultKernel: '5.14.0-362.8.1.el9_3.x86_64',
  packageManagers: ['dnf', 'yum'],
  uptimeSeconds: 40 * 86_400,
  disks: [
    { mount: '/', source: '/dev/nvme0n1p4', sizeMb: 20_480, availMb: 12_000 },
    { mount: '/boot', source: '/dev/nvme0n1p3', sizeMb: 960, availMb: 620 },
  ],
  pendingUpdates: ['kernel', 'kernel-core', 'kernel-modules', 'openssl-libs', 'glibc'],
  repoError: false,
  installFails: false,
  breakInitramfs: false,
  grubbyIgnoresSetDefault: false,
  lock: null,
  runningServices: [
    'NetworkManager.service',
    'amazon-ssm-agent.service',
    'auditd.service',
    'chronyd.service',
    'crond.service',
    'dbus-broker.service',
    'rsyslog.service',
    'sshd.service',
    'systemd-journald.service',
    'systemd-logind.service',
    'systemd-udevd.service',
    'tuned.service',
    'user@1000.service',
  ],
  failedUnits: [],
  mounts: [
    { target: '/', source: '/dev/nvme0n1p4', fstype: 'xfs' },
    { target: '/boot', source: '/dev/nvme0n1p3', fstype: 'xfs' },
    { target: '/boot/efi', source: '/dev/nvme0n1p2', fstype: 'vfat' },
    { target: '/data', source: '/dev/nvme1n1', fstype: 'xfs' },
    ...pseudoMounts,
  ],
  missingCommands: [],
  hangingCommands: [],
  sft: healthySft,
  ssmParameters: { [SFT_TOKEN_PARAMETER]: SIM_ENROLLMENT_TOKEN },
  awsError: null,
  files: {},
});

export const ubuntu2204Healthy = (): HostProfile => ({
  name: 'ubuntu2204-healthy',
  family: 'debian',
  osRelease: [
    'PRETTY_NAME="Ubuntu 22.04.4 LTS"',
    'NAME="Ubuntu"',
    'VERSION_ID="22.04"',
    'VERSION="22.04.4 LTS (Jammy Jellyfish)"',
    'VERSION_CODENAME=jammy',
    'ID=ubuntu',
    'ID_LIKE=debian',
    'UBUNTU_CODENAME=jammy',
    '',
  ].join('\n'),
  hostname: 'ip-10-0-2-45',
  arch: 'x86_64',
  uid: 0,
  runningKernel: '5.15.0-91-generic',
  installedKernels: ['5.15.0-88-generic', '5.15.0-91-generic'],
  availableKernels: ['5.15.0-94-generic', '5.15.0-97-generic'],
  extraPackages: ['linux-image-unsigned-5.15.0-97-generic'],
  defaultKernel: null,
  packageManagers: ['apt-get'],
  uptimeSeconds: 25 * 86_400,
  // /boot lives on / (cloud image layout): df /boot reports the root filesystem.
  disks: [
    { mount: '/', source: '/dev/root', sizeMb: 30_720, availMb: 18_000 },
    { mount: '/boot/efi', source: '/dev/nvme0n1p15', sizeMb: 105, availMb: 99 },
  ],
  pendingUpdates: ['linux-image-generic', 'linux-image-5.15.0-97-generic', 'openssl', 'libssl3'],
  repoError: false,
  installFails: false,
  breakInitramfs: false,
  grubbyIgnoresSetDefault: false,
  lock: null,
  runningServices: [
    'cron.service',
    'dbus.service',
    'rsyslog.service',
    'snap.amazon-ssm-agent.amazon-ssm-agent.service',
    'ssh.service',
    'systemd-journald.service',
    'systemd-logind.service',
    'systemd-networkd.service',
    'systemd-resolved.service',
    'systemd-udevd.service',
    'unattended-upgrades.service',
  ],
  failedUnits: [],
  mounts: [
    { target: '/', source: '/dev/root', fstype: 'ext4' },
    { target: '/boot/efi', source: '/dev/nvme0n1p15', fstype: 'vfat' },
    { target: '/snap/amazon-ssm-agent/7628', source: '/dev/loop0', fstype: 'squashfs' },
    ...pseudoMounts,
  ],
  missingCommands: [],
  hangingCommands: [],
  sft: healthySft,
  ssmParameters: { [SFT_TOKEN_PARAMETER]: SIM_ENROLLMENT_TOKEN },
  awsError: null,
  files: {},
});

/** Debian 12 on EC2: the debug (-dbg, ~5.6 GB each) and unsigned images sit in the same repository as the kernels. */
export const debian12Healthy = (): HostProfile => ({
  ...ubuntu2204Healthy(),
  name: 'debian12-healthy',
  osRelease: [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION="12 (bookworm)"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    '',
  ].join('\n'),
  hostname: 'ip-10-0-3-17',
  runningKernel: '6.1.0-44-amd64',
  installedKernels: ['6.1.0-43-amd64', '6.1.0-44-amd64'],
  availableKernels: ['6.1.0-47-amd64', '6.1.0-47-cloud-amd64', '6.1.0-47-rt-amd64'],
  extraPackages: [
    'linux-image-6.1.0-47-amd64-dbg',
    'linux-image-6.1.0-47-amd64-unsigned',
    'linux-image-6.1.0-47-cloud-amd64-dbg',
    'linux-image-6.1.0-47-rt-amd64-dbg',
  ],
  pendingUpdates: ['linux-image-amd64', 'linux-image-6.1.0-47-amd64', 'openssl', 'libssl3'],
  runningServices: [
    'amazon-ssm-agent.service',
    'chrony.service',
    'cron.service',
    'dbus.service',
    'ssh.service',
    'systemd-journald.service',
    'systemd-logind.service',
    'systemd-networkd.service',
    'systemd-udevd.service',
  ],
  mounts: [
    { target: '/', source: '/dev/nvme0n1p1', fstype: 'ext4' },
    { target: '/boot/efi', source: '/dev/nvme0n1p15', fstype: 'vfat' },
    ...pseudoMounts,
  ],
});

export const alpineUnsupported = (): HostProfile => ({
  ...ubuntu2204Healthy(),
  name: 'alpine-unsupported',
  family: 'other',
  osRelease: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
  runningKernel: '6.6.14-0-virt',
  installedKernels: [],
  availableKernels: [],
  extraPackages: [],
  packageManagers: [],
  missingCommands: ['systemctl', 'journalctl', 'findmnt', 'fuser'],
  sft: { ...healthySft, installed: false, active: false, enrolled: false },
});

export const suseUnsupported = (): HostProfile => ({
  ...rhel9Healthy(),
  name: 'sles15-unsupported',
  family: 'other',
  osRelease: [
    'NAME="SLES"',
    'VERSION="15-SP5"',
    'VERSION_ID="15.5"',
    'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"',
    'ID="sles"',
    'ID_LIKE="suse"',
    '',
  ].join('\n'),
  runningKernel: '5.14.21-150500.55.39-default',
  installedKernels: [],
  availableKernels: [],
  extraPackages: [],
  packageManagers: [],
});
