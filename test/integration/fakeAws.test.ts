// The fake AWS server, driven by the real SDK v3 clients over HTTP.
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvalidInstanceId,
  InvocationDoesNotExist,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
  ThrottlingException,
} from '@aws-sdk/client-ssm';
import type {
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
  ListCommandInvocationsCommandOutput,
  SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { makeInstances, startFakeAws, truncateOutput } from '../../src/sandbox/aws/index.ts';
import type { FakeAws, FakeAwsOptions, FakePartition } from '../../src/sandbox/aws/index.ts';

const BASE = {
  aws: { accessKeyId: 'AKIAFAKECOMMERCIAL01', secretAccessKey: 'commercial-secret', accountId: '999999999999' },
  'aws-us-gov': { accessKeyId: 'AKIAFAKEGOVCLOUD0001', secretAccessKey: 'govcloud-secret', accountId: '888888888888' },
} as const;
const COMMERCIAL = { id: '111111111111', partition: 'aws', roleArn: 'arn:aws:iam::111111111111:role/pcm-ops' } as const;
const OTHER = { id: '333333333333', partition: 'aws', roleArn: 'arn:aws:iam::333333333333:role/pcm-ops' } as const;
const GOV = {
  id: '222222222222',
  partition: 'aws-us-gov',
  roleArn: 'arn:aws-us-gov:iam::222222222222:role/pcm-ops',
  externalId: 'ext-222',
} as const;

const I_OK = 'i-0aaaaaaaaaaaaaaa1';
const I_FAIL = 'i-0aaaaaaaaaaaaaaa2';
const I_LOST = 'i-0aaaaaaaaaaaaaaa3';
const I_GOV = 'i-0bbbbbbbbbbbbbbb1';
const I_OTHER = 'i-0ccccccccccccccc1';

let fake: FakeAws | undefined;
const clients: { destroy(): void }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await fake?.close();
  fake = undefined;
});

const start = async (overrides: Partial<FakeAwsOptions> = {}): Promise<FakeAws> => {
  fake = await startFakeAws({
    partitions: BASE,
    accounts: [COMMERCIAL, OTHER, GOV],
    instances: [
      {
        instanceId: I_OK,
        accountId: COMMERCIAL.id,
        region: 'us-east-1',
        tags: { Env: 'prod' },
        behavior: { status: 'Success', stdout: 'hello\n' },
      },
      {
        instanceId: I_FAIL,
        accountId: COMMERCIAL.id,
        region: 'us-east-1',
        tags: { Env: 'dev' },
        behavior: { status: 'Failed', responseCode: 3, stderr: 'boom' },
      },
      { instanceId: I_LOST, accountId: COMMERCIAL.id, region: 'us-east-1', pingStatus: 'ConnectionLost' },
      { instanceId: I_GOV, accountId: GOV.id, region: 'us-gov-west-1', behavior: { status: 'Success', stdout: 'gov\n' } },
      { instanceId: I_OTHER, accountId: OTHER.id, region: 'us-east-1' },
    ],
    deliveryMs: 10,
    defaultRunMs: 30,
    timeScale: 0.01,
    ...overrides,
  });
  return fake;
};

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const sts = (region: string, credentials: Creds): STSClient => {
  const client = new STSClient({ endpoint: fake?.url, region, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
};

const ssm = (region: string, credentials: Creds, maxAttempts = 1): SSMClient => {
  const client = new SSMClient({ endpoint: fake?.url, region, credentials, maxAttempts });
  clients.push(client);
  return client;
};

const assume = async (partition: FakePartition, region: string, input: Partial<AssumeRoleCommandInput> = {}): Promise<Creds> => {
  const account = partition === 'aws' ? COMMERCIAL : GOV;
  const out = await sts(region, BASE[partition]).send(
    new AssumeRoleCommand({
      RoleArn: account.roleArn,
      RoleSessionName: 'pcm-ops-alice',
      SourceIdentity: 'alice',
      ExternalId: GOV.externalId,
      ...input,
    }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
};

const commercialSsm = async (maxAttempts = 1): Promise<SSMClient> => ssm('us-east-1', await assume('aws', 'us-east-1'), maxAttempts);

const send = async (client: SSMClient, instanceIds: string[], extra: Partial<SendCommandCommandInput> = {}): Promise<string> => {
  const out = await client.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: instanceIds,
      Parameters: { commands: ['echo hello'] },
      ...extra,
    }),
  );
  return out.Command?.CommandId ?? '';
};

const invocation = (client: SSMClient, commandId: string, instanceId: string) =>
  client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));

/** Polls until the invocation reaches a terminal state, returning every status seen. */
const untilDone = async (client: SSMClient, commandId: string, instanceId: string): Promise<string[]> => {
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) {
    const out = await invocation(client, commandId, instanceId);
    if (seen.at(-1) !== out.StatusDetails) seen.push(out.StatusDetails ?? '');
    if (!['Pending', 'InProgress', 'Delayed', 'Cancelling'].includes(out.Status ?? '')) return seen;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`still running: ${seen.join(' → ')}`);
};

const rejection = async (promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

describe('STS', () => {
  it('issues temporary credentials in both partitions that SSM accepts', async () => {
    const f = await start();
    for (const [partition, region, instanceId] of [
      ['aws', 'us-east-1', I_OK],
      ['aws-us-gov', 'us-gov-west-1', I_GOV],
    ] as const) {
      const creds = await assume(partition, region);
      expect(creds.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      const who = await sts(region, creds).send(new GetCallerIdentityCommand({}));
      const account = partition === 'aws' ? COMMERCIAL : GOV;
      expect(who.Arn).toBe(`arn:${partition}:sts::${account.id}:assumed-role/pcm-ops/pcm-ops-alice`);
      const client = ssm(region, creds);
      const commandId = await send(client, [instanceId]);
      const listed = await client.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
      expect(listed.CommandInvocations?.map((i) => i.InstanceId)).toEqual([instanceId]);
    }
    const [commercial, gov] = f.commands();
    expect(commercial).toMatchObject({ accountId: COMMERCIAL.id, region: 'us-east-1', partition: 'aws', commands: ['echo hello'] });
    expect(commercial?.sentBy).toMatchObject({ roleSessionName: 'pcm-ops-alice', sourceIdentity: 'alice' });
    expect(gov).toMatchObject({ accountId: GOV.id, region: 'us-gov-west-1', partition: 'aws-us-gov' });
    const assumeCall = f.calls.find((c) => c.operation === 'AssumeRole');
    expect(assumeCall).toMatchObject({ service: 'sts', status: 200, partition: 'aws', accessKeyId: BASE.aws.accessKeyId });
    expect(assumeCall?.request).toMatchObject({ RoleSessionName: 'pcm-ops-alice', SourceIdentity: 'alice' });
  });

  it('never lets credentials cross partitions', async () => {
    await start();
    const cases: [Creds, string, string][] = [
      [BASE.aws, 'us-gov-west-1', GOV.roleArn],
      [BASE.aws, 'us-east-1', GOV.roleArn],
      [BASE['aws-us-gov'], 'us-east-1', COMMERCIAL.roleArn],
      [BASE['aws-us-gov'], 'us-gov-west-1', COMMERCIAL.roleArn],
      [BASE['aws-us-gov'], 'us-east-1', GOV.roleArn],
    ];
    for (const [creds, region, roleArn] of cases) {
      const error = await rejection(
        sts(region, creds).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'x1', ExternalId: GOV.externalId })),
      );
      expect(error.name).toBe('AccessDenied');
      expect(error.$metadata?.httpStatusCode).toBe(403);
      expect(error.message).toContain('is not authorized to perform: sts:AssumeRole');
    }
  });

  it('validates session name, source identity, external id and duration', async () => {
    await start();
    const cases: [Partial<AssumeRoleCommandInput>, FakePartition, string][] = [
      [{ RoleSessionName: 'a' }, 'aws', 'ValidationError'],
      [{ RoleSessionName: 'has space' }, 'aws', 'ValidationError'],
      [{ SourceIdentity: 'x'.repeat(65) }, 'aws', 'ValidationError'],
      [{ DurationSeconds: 899 }, 'aws', 'ValidationError'],
      [{ DurationSeconds: 7200 }, 'aws', 'ValidationError'], // above the role's MaxSessionDuration (3600)
      [{ ExternalId: 'wrong-ext' }, 'aws-us-gov', 'AccessDenied'],
      [{ RoleArn: 'arn:aws:iam::444444444444:role/pcm-ops' }, 'aws', 'AccessDenied'],
    ];
    for (const [input, partition, code] of cases) {
      const region = partition === 'aws' ? 'us-east-1' : 'us-gov-west-1';
      const error = await rejection(assume(partition, region, input));
      expect(error.name, JSON.stringify(input)).toBe(code);
    }
    const unknownKey = await rejection(
      sts('us-east-1', { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }).send(new GetCallerIdentityCommand({})),
    );
    expect(unknownKey.name).toBe('InvalidClientTokenId');
    const badSecret = await rejection(sts('us-east-1', { ...BASE.aws, secretAccessKey: 'wrong' }).send(new GetCallerIdentityCommand({})));
    expect(badSecret.name).toBe('SignatureDoesNotMatch');
  });
});

describe('SSM authentication', () => {
  it('refuses base credentials, cross-partition regions, bad signatures and expired tokens', async () => {
    const f = await start();
    const describeCall = (client: SSMClient) => rejection(client.send(new DescribeInstanceInformationCommand({})));

    const base = await describeCall(ssm('us-east-1', BASE.aws));
    expect(base.name).toBe('UnrecognizedClientException');
    expect(base).toBeInstanceOf(SSMServiceException); // not modeled by SSM: the service base class
    expect(base.$metadata?.httpStatusCode).toBe(400);

    const gov = await assume('aws-us-gov', 'us-gov-west-1');
    expect((await describeCall(ssm('us-east-1', gov))).name).toBe('UnrecognizedClientException');
    await expect(ssm('us-gov-east-1', gov).send(new DescribeInstanceInformationCommand({}))).resolves.toBeDefined();

    const commercial = await assume('aws', 'us-east-1');
    expect((await describeCall(ssm('us-east-1', { ...commercial, secretAccessKey: 'wrong' }))).name).toBe('InvalidSignatureException');
    expect((await describeCall(ssm('us-east-1', { ...commercial, sessionToken: 'forged' }))).name).toBe('UnrecognizedClientException');

    f.expireCredentials(commercial.accessKeyId);
    expect((await describeCall(ssm('us-east-1', commercial))).name).toBe('ExpiredTokenException');
  });
});

describe('SendCommand', () => {
  it('rejects more than 50 instances, unknown or foreign instances and bad parameters', async () => {
    await start();
    const client = await commercialSsm();
    const tooMany = await rejection(
      send(
        client,
        makeInstances({ accountId: COMMERCIAL.id, region: 'us-east-1', count: 51 }).map((i) => i.instanceId),
      ),
    );
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toContain("at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");

    for (const id of ['i-0deadbeefdeadbeef', I_OTHER, I_GOV]) {
      const error = await rejection(send(client, [I_OK, id]));
      expect(error).toBeInstanceOf(InvalidInstanceId);
    }
    expect((await rejection(send(client, ['not-an-id']))).name).toBe('ValidationException');
    expect((await rejection(send(client, [I_OK, I_OK]))).name).toBe('DuplicateInstanceId');
    expect((await rejection(send(client, [I_OK], { Comment: 'x'.repeat(101) }))).name).toBe('ValidationException');
    expect((await rejection(send(client, [I_OK], { TimeoutSeconds: 29 }))).name).toBe('ValidationException');
    expect((await rejection(send(client, [I_OK], { Parameters: { command: ['typo'] } }))).name).toBe('InvalidParameters');
    expect((await rejection(send(client, [I_OK], { DocumentName: 'AWS-RunEvilScript' }))).name).toBe('InvalidDocument');
    expect(fake?.commands()).toEqual([]);
  });

  // Transitional states last deliveryMs; 60 ms keeps them observable on a loaded machine.
  it('runs to Success with stdout, and derives the command status', async () => {
    await start({ deliveryMs: 60 });
    const client = await commercialSsm();
    const sent = await client.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [I_OK],
        Parameters: { commands: ['echo hello'] },
        Comment: 'greet',
        TimeoutSeconds: 60,
      }),
    );
    expect(sent.Command).toMatchObject({
      Status: 'Pending',
      TargetCount: 1,
      CompletedCount: 0,
      Comment: 'greet',
      TimeoutSeconds: 60,
      MaxConcurrency: '50',
      MaxErrors: '0',
    });
    expect(sent.Command?.RequestedDateTime).toBeInstanceOf(Date);
    const commandId = sent.Command?.CommandId ?? '';
    expect(await untilDone(client, commandId, I_OK)).toEqual(['Pending', 'In Progress', 'Success']);
    const done = await invocation(client, commandId, I_OK);
    expect(done).toMatchObject({
      Status: 'Success',
      ResponseCode: 0,
      StandardOutputContent: 'hello\n',
      StandardErrorContent: '',
      PluginName: 'aws:runShellScript',
    });
    expect(Date.parse(done.ExecutionEndDateTime ?? '')).toBeGreaterThan(Date.parse(done.ExecutionStartDateTime ?? ''));
    const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Success', StatusDetails: 'Success', CompletedCount: 1, ErrorCount: 0 });
  });

  it('reports Failed with the exit code, and lets behaviour depend on the script', async () => {
    const f = await start();
    f.setBehavior(I_OK, ({ commands }) =>
      commands.join('\n').includes('exit 7') ? { status: 'Failed', responseCode: 7, stdout: 'partial' } : { status: 'Success' },
    );
    const client = await commercialSsm();
    const commandId = await send(client, [I_OK, I_FAIL], { Parameters: { commands: ['exit 7'] } });
    await untilDone(client, commandId, I_OK);
    await untilDone(client, commandId, I_FAIL);
    expect(await invocation(client, commandId, I_OK)).toMatchObject({
      Status: 'Failed',
      StatusDetails: 'Failed',
      ResponseCode: 7,
      StandardOutputContent: 'partial',
    });
    expect(await invocation(client, commandId, I_FAIL)).toMatchObject({ Status: 'Failed', ResponseCode: 3, StandardErrorContent: 'boom' });
    const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', CompletedCount: 2, ErrorCount: 2 });
  });

  it('times out delivery to a ConnectionLost instance after TimeoutSeconds × timeScale', async () => {
    await start({ deliveryMs: 60 });
    const client = await commercialSsm();
    const commandId = await send(client, [I_LOST], { TimeoutSeconds: 30 }); // 300 ms at timeScale 0.01
    expect(await untilDone(client, commandId, I_LOST)).toEqual(['Pending', 'Delayed', 'Delivery Timed Out']);
    expect(await invocation(client, commandId, I_LOST)).toMatchObject({ Status: 'TimedOut', ResponseCode: -1, ExecutionStartDateTime: '' });
    const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'TimedOut', StatusDetails: 'Delivery Timed Out', DeliveryTimedOutCount: 1 });
  });

  it('honours MaxConcurrency and terminates the rest once MaxErrors is exceeded', async () => {
    const f = await start();
    const fleet = makeInstances({ accountId: COMMERCIAL.id, region: 'us-east-1', count: 4, behavior: { status: 'Failed', runMs: 20 } });
    f.addInstances(fleet);
    const client = await commercialSsm();
    const commandId = await send(
      client,
      fleet.map((i) => i.instanceId),
      { MaxConcurrency: '1', MaxErrors: '1' },
    );
    const last = fleet[3]?.instanceId ?? '';
    await untilDone(client, commandId, last);
    const invocations = f.invocations(commandId);
    expect(invocations.map((i) => i.statusDetails)).toEqual(['Failed', 'Failed', 'Terminated', 'Terminated']);
    expect(invocations[1]?.startedAt).toBeGreaterThanOrEqual(invocations[0]?.endedAt ?? Infinity);
    const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ErrorCount: 2, CompletedCount: 4 });
  });

  it('does not let Undeliverable invocations spoil a command’s Success', async () => {
    const f = await start();
    f.setBehavior(I_FAIL, { status: 'Undeliverable' });
    const client = await commercialSsm();
    const commandId = await send(client, [I_OK, I_FAIL]);
    await untilDone(client, commandId, I_OK);
    await untilDone(client, commandId, I_FAIL);
    expect(await invocation(client, commandId, I_FAIL)).toMatchObject({
      Status: 'Failed',
      StatusDetails: 'Undeliverable',
      ResponseCode: -1,
    });
    const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Success', CompletedCount: 2, ErrorCount: 0 });
  });

  it('cancels running invocations', async () => {
    const f = await start({ deliveryMs: 60 });
    f.setBehavior(I_OK, { status: 'Success', runMs: 60_000 });
    const client = await commercialSsm();
    const commandId = await send(client, [I_OK]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await invocation(client, commandId, I_OK)).Status).toBe('InProgress');
    await client.send(new CancelCommandCommand({ CommandId: commandId }));
    expect(await untilDone(client, commandId, I_OK)).toEqual(['Cancelling', 'Cancelled']);
    const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Cancelled', CompletedCount: 1 });
    expect((await rejection(client.send(new CancelCommandCommand({ CommandId: '00000000-0000-0000-0000-000000000000' })))).name).toBe(
      'InvalidCommandId',
    );
  });
});

describe('reading results', () => {
  it('pages ListCommands (newest first) and ListCommandInvocations with MaxResults', async () => {
    const fleet = makeInstances({ accountId: COMMERCIAL.id, region: 'us-east-1', count: 5 });
    const f = await start();
    f.addInstances(fleet);
    const client = await commercialSsm();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await send(client, [I_OK], { Comment: `c${i}` }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListCommandsCommand({ MaxResults: 2, NextToken: token }));
      expect(page.Commands?.length).toBeLessThanOrEqual(2);
      seen.push(...(page.Commands ?? []).map((c) => c.CommandId ?? ''));
      token = page.NextToken;
    } while (token);
    expect(seen).toEqual([...ids].reverse());

    const fleetCommand = await send(
      client,
      fleet.map((i) => i.instanceId),
    );
    const instances: string[] = [];
    token = undefined;
    do {
      const page: ListCommandInvocationsCommandOutput = await client.send(
        new ListCommandInvocationsCommand({ CommandId: fleetCommand, MaxResults: 2, NextToken: token }),
      );
      instances.push(...(page.CommandInvocations ?? []).map((i) => i.InstanceId ?? ''));
      token = page.NextToken;
    } while (token);
    expect(instances).toEqual(fleet.map((i) => i.instanceId));

    const byInstance = await client.send(new ListCommandsCommand({ InstanceId: I_OK, MaxResults: 50 }));
    expect(byInstance.Commands).toHaveLength(5);
    const filtered = await client.send(new ListCommandsCommand({ Filters: [{ key: 'DocumentName', value: 'AWS-RunPowerShellScript' }] }));
    expect(filtered.Commands).toEqual([]);
    expect((await rejection(client.send(new ListCommandsCommand({ NextToken: 'garbage' })))).name).toBe('InvalidNextToken');
    expect((await rejection(client.send(new ListCommandsCommand({ MaxResults: 51 })))).name).toBe('ValidationException');
  });

  it('truncates plugin Output like the agent and GetCommandInvocation content at 24,000 / 8,000', async () => {
    const f = await start();
    f.setBehavior(I_OK, { status: 'Success', stdout: 'o'.repeat(30_000), stderr: 'e'.repeat(10_000) });
    f.setBehavior(I_FAIL, { status: 'Failed', stdout: 'x'.repeat(3_000) });
    const client = await commercialSsm();
    const commandId = await send(client, [I_OK, I_FAIL]);
    await untilDone(client, commandId, I_OK);
    await untilDone(client, commandId, I_FAIL);
    const full = await invocation(client, commandId, I_OK);
    expect(full.StandardOutputContent).toHaveLength(24_000);
    expect(full.StandardErrorContent).toHaveLength(8_000);

    const listed = await client.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    const outputs = new Map(listed.CommandInvocations?.map((i) => [i.InstanceId, i.CommandPlugins?.[0]]));
    const both = outputs.get(I_OK);
    expect(both).toMatchObject({ Name: 'aws:runShellScript', Status: 'Success', ResponseCode: 0 });
    expect(both?.ResponseStartDateTime).toBeInstanceOf(Date);
    expect(both?.Output).toHaveLength(2500);
    expect(both?.Output).toContain('\n---Output truncated---\n----------ERROR-------\n');
    expect(both?.Output?.endsWith('\n---Error truncated----')).toBe(true);
    const stdoutOnly = outputs.get(I_FAIL)?.Output ?? '';
    expect(stdoutOnly).toHaveLength(2500);
    expect(stdoutOnly.endsWith('x\n---Output truncated---')).toBe(true);
    const brief = await client.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    expect(brief.CommandInvocations?.[0]?.CommandPlugins).toEqual([]);
  });

  it('matches the agent’s own TruncateOutput test vectors', () => {
    const long = 'This is a sample text. '.repeat(30);
    expect(truncateOutput('', '', 100)).toBe('');
    expect(truncateOutput('', 'sample error', 100)).toBe('\n----------ERROR-------\nsample error');
    expect(truncateOutput(long, '', 100)).toBe(`${long.slice(0, 77)}\n---Output truncated---`);
    expect(truncateOutput('', long, 100)).toBe(`\n----------ERROR-------\n${long.slice(0, 53)}\n---Error truncated----`);
    expect(truncateOutput(long, long, 100)).toBe(
      `${long.slice(0, 15)}\n---Output truncated---\n----------ERROR-------\n${long.slice(0, 15)}\n---Error truncated----`,
    );
  });

  it('answers InvocationDoesNotExist until an invocation is visible', async () => {
    await start({ invocationVisibleAfterMs: 150 });
    const client = await commercialSsm();
    const commandId = await send(client, [I_OK]);
    expect(await rejection(invocation(client, commandId, I_OK))).toBeInstanceOf(InvocationDoesNotExist);
    await new Promise((r) => setTimeout(r, 160));
    await expect(invocation(client, commandId, I_OK)).resolves.toMatchObject({ CommandId: commandId });
    expect((await rejection(invocation(client, commandId, I_FAIL))).name).toBe('InvocationDoesNotExist');
  });

  it('describes only the caller’s instances, with filters and paging', async () => {
    const f = await start();
    f.addInstances(makeInstances({ accountId: COMMERCIAL.id, region: 'us-east-1', count: 12, tags: { Role: 'web' } }));
    const client = await commercialSsm();
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page: DescribeInstanceInformationCommandOutput = await client.send(
        new DescribeInstanceInformationCommand({ MaxResults: 5, NextToken: token }),
      );
      expect(page.InstanceInformationList?.length).toBeLessThanOrEqual(5);
      all.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId ?? ''));
      token = page.NextToken;
    } while (token);
    expect(all).toHaveLength(15);
    expect(all).not.toContain(I_OTHER);
    expect(all).not.toContain(I_GOV);

    const lost = await client.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['ConnectionLost'] }] }),
    );
    expect(lost.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([I_LOST]);
    const prod = await client.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:Env', Values: ['prod'] }] }));
    expect(prod.InstanceInformationList?.[0]).toMatchObject({
      InstanceId: I_OK,
      PingStatus: 'Online',
      PlatformType: 'Linux',
      ResourceType: 'EC2Instance',
    });
    expect(prod.InstanceInformationList?.[0]?.LastPingDateTime).toBeInstanceOf(Date);
    const byId = await client.send(
      new DescribeInstanceInformationCommand({
        InstanceInformationFilterList: [{ key: 'InstanceIds', valueSet: [I_FAIL, I_OTHER, I_OK] }],
      }),
    );
    expect(byId.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([I_FAIL, I_OK]);
    expect((await rejection(client.send(new DescribeInstanceInformationCommand({ MaxResults: 4 })))).name).toBe('ValidationException');
    expect(
      (await rejection(client.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Bogus', Values: ['x'] }] })))).name,
    ).toBe('InvalidFilterKey');
  });

  it('DescribeInstanceInformation is as strict as SSM: one filter kind, tag filters alone, ≤ 100 values, MaxResults 5–50 (default 10)', async () => {
    const f = await start();
    f.addInstances(makeInstances({ accountId: COMMERCIAL.id, region: 'us-east-1', count: 30, tags: { Role: 'web' } }));
    const client = await commercialSsm();
    const ask = (input: DescribeInstanceInformationCommandInput) => client.send(new DescribeInstanceInformationCommand(input));
    // "Attempting to use InstanceInformationFilterList and Filters leads to an exception error."
    const both = await rejection(
      ask({
        Filters: [{ Key: 'tag:Role', Values: ['web'] }],
        InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['Online'] }],
      }),
    );
    expect(both.name).toBe('ValidationException');
    // "Tag filters can't be combined with other filter types."
    const mixed = await rejection(
      ask({
        Filters: [
          { Key: 'tag:Role', Values: ['web'] },
          { Key: 'PingStatus', Values: ['Online'] },
        ],
      }),
    );
    expect(mixed.name).toBe('InvalidFilter');
    const tagsOnly = await ask({
      Filters: [
        { Key: 'tag:Role', Values: ['web'] },
        { Key: 'tag-key', Values: ['Role'] },
      ],
      MaxResults: 50,
    });
    expect(tagsOnly.InstanceInformationList).toHaveLength(30);
    const values = Array.from({ length: 101 }, (_, i) => `v${i}`);
    expect((await rejection(ask({ Filters: [{ Key: 'tag:Role', Values: values }] }))).name).toBe('ValidationException');
    expect((await rejection(ask({ InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: [] }] }))).name).toBe(
      'ValidationException',
    );
    await expect(ask({ Filters: [{ Key: 'tag:Role', Values: values.slice(0, 100) }] })).resolves.toBeDefined();
    expect((await rejection(ask({ MaxResults: 51 }))).name).toBe('ValidationException');
    const first = await ask({});
    expect(first.InstanceInformationList).toHaveLength(10);
    expect(first.NextToken).toBeDefined();
  });
});

describe('fault injection', () => {
  it('throttles deterministically; the SDK retries ThrottlingException until it succeeds', async () => {
    const f = await start({ throttle: { rate: 1, operations: ['DescribeInstanceInformation'] } });
    const creds = await assume('aws', 'us-east-1');
    const once = await rejection(ssm('us-east-1', creds).send(new DescribeInstanceInformationCommand({})));
    expect(once).toBeInstanceOf(ThrottlingException);
    expect(once.message).toBe('Rate exceeded');
    await expect(ssm('us-east-1', creds).send(new ListCommandsCommand({}))).resolves.toBeDefined(); // not a throttled operation

    f.setThrottle({ rate: 0.5 });
    f.resetCalls();
    const retrying = ssm('us-east-1', creds, 10);
    for (let i = 0; i < 3; i++) await retrying.send(new DescribeInstanceInformationCommand({}));
    const throttled = f.calls.filter((c) => c.errorCode === 'ThrottlingException');
    expect(throttled.length).toBeGreaterThan(0);
    // The same SDK invocation came back with a higher attempt number and got through.
    const retried = f.calls.find((c) => c.status === 200 && (c.sdkAttempt ?? 1) > 1);
    expect(throttled.map((c) => c.sdkInvocationId)).toContain(retried?.sdkInvocationId);
    expect(f.callCounts().DescribeInstanceInformation).toBe(f.calls.length);
  });

  it('accept-then-500 creates the command although the client sees an error; reject-500 does not', async () => {
    const f = await start();
    const client = await commercialSsm();
    f.failNextSendCommands(1, 'accept-then-500');
    const error = await rejection(send(client, [I_OK]));
    expect(error.name).toBe('InternalServerError');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(f.commands()).toHaveLength(1);

    f.failNextSendCommands(1, 'reject-500');
    expect((await rejection(send(client, [I_OK]))).name).toBe('InternalServerError');
    expect(f.commands()).toHaveLength(1);

    f.failNextSendCommands(1, 'accept-then-drop');
    const dropped = await rejection(send(client, [I_OK]));
    expect(dropped.message).toMatch(/socket hang up|ECONNRESET/);
    expect(f.commands()).toHaveLength(2);
    expect(f.calls.filter((c) => c.operation === 'SendCommand').map((c) => c.errorCode)).toEqual([
      'InternalServerError',
      'InternalServerError',
      'dropped',
    ]);
  });

  it('documents that the SDK’s default retries re-send SendCommand after a 500 (duplicate command)', async () => {
    const f = await start();
    const client = await commercialSsm(3);
    f.failNextSendCommands(1, 'accept-then-500');
    await send(client, [I_OK]);
    expect(f.commands()).toHaveLength(2);
    const attempts = f.calls.filter((c) => c.operation === 'SendCommand');
    expect(attempts.map((c) => c.sdkAttempt)).toEqual([1, 2]);
    expect(attempts[0]?.sdkInvocationId).toBe(attempts[1]?.sdkInvocationId);

    // A connection reset (ECONNRESET) is retried the same way.
    f.failNextSendCommands(1, 'accept-then-drop');
    await send(client, [I_OK]);
    expect(f.commands()).toHaveLength(4);
  });

  it('keeps counting calls with recordCalls: false', async () => {
    const f = await start({ recordCalls: false });
    const client = await commercialSsm();
    await client.send(new DescribeInstanceInformationCommand({}));
    await client.send(new DescribeInstanceInformationCommand({}));
    expect(f.calls).toEqual([]);
    expect(f.callCounts()).toEqual({ AssumeRole: 1, DescribeInstanceInformation: 2 });
  });
});
