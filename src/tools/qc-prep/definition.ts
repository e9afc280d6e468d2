import { z } from 'zod';
import { defineTool } from '../define.ts';

// Thresholds are in MB because that is what `df` reports are compared in; bounds keep typos out.
const minRootFreeMb = z
  .number()
  .int()
  .min(100)
  .max(102_400)
  .default(2048)
  .meta({ title: 'Minimum free space on / (MB)', description: 'The host is not ready when / has less free space.', placeholder: '2048' });

const minBootFreeMb = z.number().int().min(50).max(10_240).default(200).meta({
  title: 'Minimum free space on /boot (MB)',
  description: 'A kernel plus its initramfs needs roughly 100–150 MB.',
  placeholder: '200',
});

/**
 * A kernel release as `uname -r` prints it (RHEL 5.14.0-427.13.1.el9_4.x86_64, Amazon Linux
 * 6.1.79-99.167.amzn2023.x86_64, Debian 6.1.0-18-amd64, Ubuntu 5.15.0-105-generic). It becomes a package
 * name, and apt-get reads a name that matches no package as a regular expression (or glob), dnf/yum read
 * * ? [ as globs, and a trailing - or + tells apt to remove/install: so no regex or glob character but
 * `.`, and a letter or digit last. The script checks the same pattern (TARGET_RE) and installs only a
 * package of exactly this name.
 */
export const KERNEL_RELEASE = /^[0-9]+\.[0-9]+\.[0-9]+-[0-9A-Za-z._~-]*[0-9A-Za-z]$/u;

const targetKernel = z
  .string()
  .max(100)
  .regex(
    KERNEL_RELEASE,
    'Kernel release as uname -r prints it, e.g. 5.14.0-427.13.1.el9_4.x86_64 or 6.1.0-18-amd64: letters, digits and . _ ~ - only.',
  )
  .meta({
    title: 'Kernel to stage',
    description:
      'Kernel release as `uname -r` prints it. RHEL family: the .arch suffix may be omitted (host arch is used). Debian family: e.g. 5.15.0-97-generic.',
    placeholder: '5.14.0-427.13.1.el9_4.x86_64',
  });

const diskParams = z.object({ minRootFreeMb, minBootFreeMb });

// SSM MaxErrors 100% for read-only checks: a host that is "not ready" exits non-zero, and that must
// not stop the check from reaching the rest of the fleet.
const checkRate = { maxConcurrency: '50', maxErrors: '100%' } as const;

export default defineTool({
  id: 'qc-prep',
  command: '/qc-prep',
  title: 'Linux QC Patching Prep',
  description: 'Pre-patching QC of RHEL- and Debian-family Linux hosts: readiness checks, kernel staging and a go/no-go report.',
  actions: [
    {
      id: 'initial-qc',
      title: 'Initial QC',
      description:
        'OS, kernels, uptime, free space on / and /boot, pending updates, package-manager lock; snapshots running services, failed units and mounts for /qc-post. Fails when the host is not ready.',
      script: 'initial-qc.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: diskParams,
      // Only writes its own snapshot under /var/lib/pcm-ops/qc/<change>/.
      mutates: false,
      targets: { min: 1, max: 5000 },
      timeouts: { deliverySeconds: 600, executionSeconds: 1200 },
      rate: checkRate,
      approval: { approvals: 1 },
    },
    {
      id: 'kernel-staging',
      title: 'Kernel Staging',
      description:
        'Installs the given kernel without rebooting and makes it the default boot entry (grubby on RHEL, GRUB saved entry on Debian/Ubuntu). Idempotent.',
      script: 'kernel-staging.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: z.object({ targetKernel }),
      mutates: true,
      targets: { min: 1, max: 5000 },
      timeouts: { deliverySeconds: 600, executionSeconds: 3600 },
      // Staged in waves; stop early when installs fail widely (bad repo, wrong kernel version).
      rate: { maxConcurrency: '10%', maxErrors: '5%' },
      // The same over the whole run: one host per account/region first, then 10 % at a time, halted
      // once more than 5 % of the run failed.
      rollout: {
        canary: { perScope: 1 },
        wave: { percent: 10 },
        budget: { percent: 5 },
        bounds: {
          canaryPerScope: { min: 1, max: 5 },
          wavePercent: { min: 1, max: 25 },
          budgetPercent: { min: 0, max: 10 },
          maxPauseSeconds: 3600,
        },
      },
      approval: { approvals: 1 },
    },
    {
      id: 'final-report',
      title: 'Final Report',
      description:
        'Go/no-go before the patching window: snapshot present, staged kernel installed and default, disk, lock, repositories, pending updates.',
      script: 'final-report.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: diskParams,
      mutates: false,
      targets: { min: 1, max: 5000 },
      timeouts: { deliverySeconds: 600, executionSeconds: 1200 },
      rate: checkRate,
      approval: { approvals: 1 },
    },
  ],
});
