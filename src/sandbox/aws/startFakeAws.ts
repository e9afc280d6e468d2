import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { viewInvocation } from './commandSimulation.ts';
import { FakeState } from './fakeState.ts';
import type { CallInfo, RawRequest, Reply } from './httpTypes.ts';
import { header } from './httpTypes.ts';
import { createPrng } from './prng.ts';
import { handleSsm } from './ssm.ts';
import { handleSts } from './sts.ts';
import { handleTagging, TAGGING_TARGET_PREFIX } from './tagging.ts';
import type { FakeAws, FakeAwsOptions, FakeCallRecord, FakeThrottle, SendCommandFailureMode } from './types.ts';

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Starts one HTTP server on 127.0.0.1 that answers SSM and the Resource Groups Tagging API (awsJson1_1) and STS (awsQuery). */
export const startFakeAws = async (options: FakeAwsOptions): Promise<FakeAws> => {
  const state = new FakeState(options);
  const random = createPrng(options.seed ?? 1);
  const recordCalls = options.recordCalls ?? true;
  const verifySignatures = options.verifySignatures ?? true;
  const deliveryMs = options.deliveryMs ?? 50;
  let throttle: FakeThrottle | undefined = options.throttle;
  let failing: ReadonlySet<string> = new Set();
  const sendCommandFailures: SendCommandFailureMode[] = [];
  const calls: FakeCallRecord[] = [];
  const counts = new Map<string, number>();

  const ssmDeps = {
    state,
    verifySignatures,
    deliveryMs,
    defaultRunMs: options.defaultRunMs ?? 200,
    timeScale: options.timeScale ?? 1,
    invocationVisibleAfterMs: options.invocationVisibleAfterMs ?? 0,
    shouldThrottle: (operation: string): boolean =>
      throttle !== undefined && (throttle.operations === undefined || throttle.operations.includes(operation)) && random() < throttle.rate,
    takeSendCommandFailure: (): SendCommandFailureMode | undefined => sendCommandFailures.shift(),
    shouldFail: (operation: string): boolean => failing.has(operation),
  };
  const stsDeps = { state, verifySignatures };
  const taggingDeps = { state, verifySignatures, shouldThrottle: ssmDeps.shouldThrottle, shouldFail: ssmDeps.shouldFail };

  const route = (raw: RawRequest, info: CallInfo, now: number): Reply | undefined => {
    if (raw.method !== 'POST') return undefined;
    if (header(raw, 'x-amz-target')?.startsWith('AmazonSSM.')) return handleSsm(ssmDeps, raw, info, now);
    if (header(raw, 'x-amz-target')?.startsWith(TAGGING_TARGET_PREFIX)) return handleTagging(taggingDeps, raw, info, now);
    if (header(raw, 'content-type')?.startsWith('application/x-www-form-urlencoded')) {
      info.service = 'sts';
      return handleSts(stsDeps, raw, info, now);
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (options.latencyMs) {
      const { min, max } = options.latencyMs;
      await sleep(min + random() * (max - min));
    }
    const raw: RawRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', headers: req.headers, body };
    const info: CallInfo = {
      service: 'ssm',
      operation: 'Unknown',
      region: undefined,
      accessKeyId: undefined,
      accountId: undefined,
      partition: undefined,
      request: undefined,
      errorCode: undefined,
    };
    const reply = route(raw, info, Date.now());
    if (!reply) {
      res.writeHead(raw.method === 'GET' ? 200 : 404, { 'content-type': 'text/plain' }).end('pcm-ops-bot fake AWS (SSM + STS + tagging)\n');
      return;
    }
    counts.set(info.operation, (counts.get(info.operation) ?? 0) + 1);
    if (recordCalls) {
      const sdkRequest = header(raw, 'amz-sdk-request');
      const attempt = sdkRequest ? /attempt=(\d+)/.exec(sdkRequest)?.[1] : undefined;
      calls.push({
        ...info,
        status: reply.drop ? 0 : reply.status,
        sdkInvocationId: header(raw, 'amz-sdk-invocation-id'),
        sdkAttempt: attempt === undefined ? undefined : Number(attempt),
        at: Date.now(),
      });
    }
    if (reply.drop) {
      req.socket.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': reply.contentType, ...(reply.headers ?? {}) }).end(reply.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get calls() {
      return calls;
    },
    callCounts: () => Object.fromEntries(counts),
    resetCalls: () => {
      calls.length = 0;
      counts.clear();
    },
    commands: () =>
      [...state.commandsById.values()].map((c) => ({
        commandId: c.commandId,
        accountId: c.accountId,
        region: c.region,
        partition: c.partition,
        documentName: c.documentName,
        instanceIds: [...c.instanceIds],
        commands: [...c.commands],
        comment: c.comment,
        parameters: structuredClone(c.parameters),
        timeoutSeconds: c.timeoutSeconds,
        maxConcurrency: c.maxConcurrency,
        maxErrors: c.maxErrors,
        requestedAt: c.requestedAt,
        sentBy: { ...c.sentBy },
      })),
    invocations: (commandId) => {
      const cmd = state.commandsById.get(commandId);
      if (!cmd) return [];
      const now = Date.now();
      return cmd.invocations.map((inv) => {
        const view = viewInvocation(inv, now, deliveryMs);
        return {
          commandId,
          instanceId: inv.instanceId,
          status: view.status,
          statusDetails: view.statusDetails,
          responseCode: view.responseCode,
          stdout: view.stdout,
          stderr: view.stderr,
          requestedAt: inv.requestedAt,
          startedAt: view.startedAt,
          endedAt: view.endedAt,
        };
      });
    },
    addInstances: (instances) => state.addInstances(instances),
    setBehavior: (instanceId, behavior) => state.setBehavior(instanceId, behavior),
    setPingStatus: (instanceId, status) => state.setPingStatus(instanceId, status),
    setTags: (instanceId, tags) => {
      state.instance(instanceId).tags = tags === undefined ? undefined : { ...tags };
    },
    failNextSendCommands: (count, mode) => {
      for (let i = 0; i < count; i++) sendCommandFailures.push(mode);
    },
    setThrottle: (next) => {
      throttle = next;
    },
    revokeBaseCredentials: (partition, revoked) => {
      const [from, to] = revoked ? [state.baseKeys, state.revokedBaseKeys] : [state.revokedBaseKeys, state.baseKeys];
      for (const [id, key] of [...from]) {
        if (key.partition !== partition) continue;
        from.delete(id);
        to.set(id, key);
      }
    },
    breakRoleTrust: (accountId, broken) => {
      if (!state.accountsById.has(accountId)) throw new Error(`fake AWS: no account ${accountId}`);
      if (broken) state.trustBroken.add(accountId);
      else state.trustBroken.delete(accountId);
    },
    failOperations: (operations) => {
      failing = new Set(operations);
    },
    expireCredentials: (accessKeyId) => {
      const now = Date.now();
      for (const session of state.sessions.values()) {
        if (accessKeyId === undefined || session.accessKeyId === accessKeyId) session.expiresAt = Math.min(session.expiresAt, now);
      }
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
};
