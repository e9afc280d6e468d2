// The console's simulated world: people, channels, accounts and the change records of the fake
// ServiceNow. Fixed ids so a person can follow along with the README.
export const CONSOLE_SIGNING_SECRET = 'console-signing-secret-not-a-secret';
export const CONSOLE_BOT_TOKEN = 'xoxb-console-bot-token';
export const OPS_CHANNEL = 'C0OPSCHAN';
export const APPROVAL_CHANNEL = 'C0APPROVALS';

export const CONSOLE_USERS = [
  { id: 'U0OPERATOR', name: 'olivia.operator', role: 'operator' },
  { id: 'U0APPROVER', name: 'arjun.approver', role: 'approver' },
  { id: 'U0SECONDAP', name: 'sam.second', role: 'second approver' },
  { id: 'U0ADMINUSR', name: 'ada.admin', role: 'admin' },
  { id: 'U0SOMEONE1', name: 'sven.someone', role: 'someone else' },
] as const;

export const CONSOLE_CHANNELS = [
  { id: OPS_CHANNEL, name: 'ops' },
  { id: APPROVAL_CHANNEL, name: 'ops-approvals' },
] as const;

export const CONSOLE_ACCOUNTS = [
  {
    id: '111111111111',
    name: 'prod-com',
    partition: 'aws' as const,
    regions: ['us-east-1', 'us-west-2'],
    roleArn: 'arn:aws:iam::111111111111:role/PcmOpsExecution',
  },
  {
    id: '333333333333',
    name: 'stage-com',
    partition: 'aws' as const,
    regions: ['us-east-1'],
    roleArn: 'arn:aws:iam::333333333333:role/PcmOpsExecution',
  },
  {
    id: '222222222222',
    name: 'prod-gov',
    partition: 'aws-us-gov' as const,
    regions: ['us-gov-west-1'],
    roleArn: 'arn:aws-us-gov:iam::222222222222:role/PcmOpsExecution',
  },
];

export const CONSOLE_BASE_CREDENTIALS = {
  aws: { accessKeyId: 'AKIACONSOLECOMMERCIAL', secretAccessKey: 'console-commercial-secret' },
  'aws-us-gov': { accessKeyId: 'AKIACONSOLEGOVCLOUD01', secretAccessKey: 'console-govcloud-secret' },
};

/** Change numbers of the fake ServiceNow: one in its window (use this one), one not yet open, one closed. */
export const CONSOLE_CHANGES = { inWindow: 'CHG0012345', outOfWindow: 'CHG0020002', closed: 'CHG0030003' } as const;
