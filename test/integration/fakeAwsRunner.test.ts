// The fake SSM's runner mode (FakeInstance.run): the command text is executed for real (the console runs
// it on a simulated host) and the invocation reports what happened, read through the real SDK client.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAws } from '../../src/sandbox/aws/index.ts';
import type { FakeAws, FakeBehavior, FakeBehaviorContext } from '../../src/sandbox/aws/index.ts';

const BASE = { accessKeyId: 'AKIAFAKECOMMERCIAL01', secretAccessKey: 'commercial-secret' };
const ACCOUNT = { id: '111111111111', partition: 'aws', roleArn: 'arn:aws:iam::111111111111:role/pcm-ops' } as const;
const A = 'i-0aaaaaaaaaaaaaaa1';
const B = 'i-0aaaaaaaaaaaaaaa2';

type Deferred = { ctx: FakeBehaviorContext; resolve: (b: FakeBehavior) => void; reject: (e: Error) => void };

let fake: FakeAws | undefined;
let client: SSMClient | undefined;
afterEach(async () => {
  client?.destroy();
  await fake?.close();
});

const start = async (): Promise<{ calls: Deferred[]; ssm: SSMClient }> => {
  const calls: Deferred[] = [];
  const run = (ctx: FakeBehaviorContext): Promise<FakeBehavior> =>
    new Promise((resolve, reject) => {
      calls.push({ ctx, resolve, reject });
    });
  fake = await startFakeAws({
    partitions: { aws: BASE },
    accounts: [ACCOUNT],
    instances: [A, B].map((instanceId) => ({ instanceId, accountId: ACCOUNT.id, region: 'us-east-1', run })),
    deliveryMs: 10,
  });
  const sts = new STSClient({ endpoint: fake.url, region: 'us-east-1', credentials: BASE, maxAttempts: 1 });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: ACCOUNT.roleArn, RoleSessionName: 'pcm-ops-test' }))).Credentials;
  sts.destroy();
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('no credentials');
  client = new SSMClient({
    endpoint: fake.url,
    region: 'us-east-1',
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
    maxAttempts: 1,
  });
  return { calls, ssm: client };
};

const send = async (ssm: SSMClient, ids: string[], maxConcurrency = '50'): Promise<string> => {
  const out = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ids,
      MaxConcurrency: maxConcurrency,
      Parameters: { commands: ['echo one', 'echo two'] },
    }),
  );
  return out.Command?.CommandId ?? '';
};

const invocation = (ssm: SSMClient, commandId: string, instanceId: string) =>
  ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));

const until = async <T>(read: () => T | undefined, what: string): Promise<T> => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('fake SSM runner mode', () => {
  it('runs the commands through the runner and stays InProgress until it reports', async () => {
    const { calls, ssm } = await start();
    const commandId = await send(ssm, [A]);
    const call = await until(() => calls[0], 'the runner');
    expect(call.ctx.commands).toEqual(['echo one', 'echo two']);
    expect(call.ctx.instance.instanceId).toBe(A);
    expect((await invocation(ssm, commandId, A)).Status).toBe('InProgress');

    call.resolve({ status: 'Failed', responseCode: 3, stdout: 'PCM_RESULT {"status":"fail"}\n', stderr: 'boom\n' });
    const done = await invocation(ssm, commandId, A);
    expect(done).toMatchObject({
      Status: 'Failed',
      ResponseCode: 3,
      StandardOutputContent: 'PCM_RESULT {"status":"fail"}\n',
      StandardErrorContent: 'boom\n',
    });
  });

  it('runs at most MaxConcurrency at a time, and a runner that throws is a Failed invocation', async () => {
    const { calls, ssm } = await start();
    const commandId = await send(ssm, [A, B], '1');
    const first = await until(() => calls[0], 'the first runner');
    expect(calls).toHaveLength(1);
    first.reject(new Error('host unreachable'));
    const second = await until(() => calls[1], 'the second runner');
    expect(second.ctx.instance.instanceId).toBe(B);
    second.resolve({ status: 'Success', stdout: 'ok\n' });

    expect(await invocation(ssm, commandId, A)).toMatchObject({
      Status: 'Failed',
      StandardErrorContent: expect.stringContaining('host unreachable'),
    });
    expect(await invocation(ssm, commandId, B)).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'ok\n' });
  });
});
