import { z } from 'zod';
import { defineTool } from '../define.ts';

// One host per run: these touch a single agent an engineer is troubleshooting.
const oneHost = { min: 1, max: 1 } as const;

export default defineTool({
  id: 'sft-fix',
  command: '/sft-fix',
  title: 'ScaleFT agent fixer',
  description: 'Diagnose, restart and (re-)enroll the ScaleFT server agent (sftd) on one Linux host.',
  // The name of the SecureString parameter, not the token: the script reads it on the instance.
  settings: { enrollmentTokenParameter: '/pcm-ops/scaleft/enrollment-token' },
  actions: [
    {
      id: 'detection',
      title: 'Detection',
      description: 'Installed, version, running, enabled, enrolled, and errors logged in the last hour.',
      script: 'detection.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: z.object({}),
      mutates: false,
      targets: oneHost,
      timeouts: { deliverySeconds: 600, executionSeconds: 300 },
      approval: { approvals: 1 },
    },
    {
      id: 'repair',
      title: 'Repair',
      description: 'Stops sftd, removes stale pid/lock files (never tokens), enables and restarts it, and verifies it stays active.',
      script: 'repair.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: z.object({}),
      mutates: true,
      targets: oneHost,
      timeouts: { deliverySeconds: 600, executionSeconds: 600 },
      approval: { approvals: 1 },
    },
    {
      id: 'enrollment',
      title: 'Enrollment',
      description:
        'Reads the enrollment token from SSM Parameter Store on the instance, installs it for sftd (0600) and restarts sftd until it is enrolled. No-op when already enrolled unless forced.',
      script: 'enrollment.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: z.object({
        force: z.boolean().default(false).meta({
          title: 'Force re-enrollment',
          description: 'Re-enroll even if the agent already has a device token (the old one is kept as a backup on the host).',
          placeholder: 'false',
        }),
      }),
      mutates: true,
      targets: oneHost,
      timeouts: { deliverySeconds: 600, executionSeconds: 600 },
      approval: { approvals: 1 },
    },
  ],
});
