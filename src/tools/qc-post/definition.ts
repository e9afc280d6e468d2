import { z } from 'zod';
import { defineTool } from '../define.ts';

// Both checks compare with the snapshot initial-qc took under the same change number.
const requires = { tool: 'qc-prep', action: 'initial-qc' } as const;
const checkRate = { maxConcurrency: '50', maxErrors: '100%' } as const;

export default defineTool({
  id: 'qc-post',
  command: '/qc-post',
  title: 'Linux QC Patching Post',
  description: 'Post-patching QC of RHEL- and Debian-family Linux hosts against the /qc-prep initial-qc snapshot.',
  actions: [
    {
      id: 'service-checks',
      title: 'Service Checks',
      description:
        'Fails when a service that ran before patching is not running, or a unit newly failed; warns on units that were already failed.',
      script: 'service-checks.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: z.object({}),
      mutates: false,
      targets: { min: 1, max: 5000 },
      timeouts: { deliverySeconds: 600, executionSeconds: 600 },
      rate: checkRate,
      approval: { approvals: 1 },
      requires,
    },
    {
      id: 'reboot-verification',
      title: 'Reboot Verification',
      description:
        'Fails unless the host booted after the snapshot, runs the staged kernel, and has every persistent mount of the snapshot.',
      script: 'reboot-verification.sh',
      interpreter: 'bash',
      platform: 'Linux',
      params: z.object({}),
      mutates: false,
      targets: { min: 1, max: 5000 },
      timeouts: { deliverySeconds: 600, executionSeconds: 600 },
      rate: checkRate,
      approval: { approvals: 1 },
      requires,
    },
  ],
});
