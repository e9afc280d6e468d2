import { randomUUID } from 'node:crypto';
import { AwsError, DropConnection } from './awsError.ts';
import { commandJson } from './commandJson.ts';
import { RUNNER_PLACEHOLDER, scheduleInvocations, settleInvocation } from './commandSimulation.ts';
import type { PlannedInvocation } from './commandSimulation.ts';
import type { CommandEntry } from './fakeState.ts';
import type { SsmContext } from './ssmContext.ts';
import { asInput, INSTANCE_ID, optBool, optInt, optObject, optString, optStringList, reqString } from './ssmInput.ts';
import type { FakeBehavior } from './types.ts';

const DOCUMENTS: Record<string, { plugin: string; linuxOnly: boolean }> = {
  'AWS-RunShellScript': { plugin: 'aws:runShellScript', linuxOnly: true },
  'AWS-RunPowerShellScript': { plugin: 'aws:runPowerShellScript', linuxOnly: false },
};
const DOCUMENT_PARAMETERS = new Set(['commands', 'workingDirectory', 'executionTimeout']);
const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3600;

const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;

/** Percentages are of the target count: concurrency rounds up (at least 1), errors round down. */
const resolveLimit = (value: string, targets: number, round: (n: number) => number): number =>
  value.endsWith('%') ? round((targets * Number(value.slice(0, -1))) / 100) : Number(value);

const parseParameters = (raw: Record<string, unknown> | undefined): Record<string, string[]> => {
  if (!raw) throw new AwsError('InvalidParameters', 'Parameters must include "commands".');
  const parameters: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!DOCUMENT_PARAMETERS.has(name)) throw new AwsError('InvalidParameters', `Parameter "${name}" is not defined in the document.`);
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw new AwsError('InvalidParameters', `Parameter "${name}" must be a list of strings.`);
    }
    parameters[name] = value;
  }
  if (!parameters.commands?.length) throw new AwsError('InvalidParameters', 'Parameter "commands" is required and must not be empty.');
  const timeout = parameters.executionTimeout;
  if (timeout !== undefined) {
    const seconds = Number(timeout[0]);
    if (timeout.length !== 1 || !/^\d+$/.test(timeout[0] ?? '') || seconds < 1 || seconds > 172_800) {
      throw new AwsError('InvalidParameters', 'Parameter "executionTimeout" must be one integer between 1 and 172800.');
    }
  }
  return parameters;
};

export const sendCommand = (ctx: SsmContext, body: unknown): unknown => {
  const input = asInput(body);
  if (input.Targets !== undefined) throw new AwsError('ValidationException', 'This fake supports InstanceIds only, not Targets.');
  const documentName = reqString(input, 'DocumentName', { pattern: /^[a-zA-Z0-9_\-.:/]{3,128}$/ });
  const document = DOCUMENTS[documentName];
  if (!document) throw new AwsError('InvalidDocument', `Document ${documentName} does not exist in your account.`);
  const instanceIds = optStringList(input, 'InstanceIds', 50, INSTANCE_ID) ?? [];
  if (instanceIds.length === 0) throw new AwsError('ValidationException', 'InstanceIds or Targets must be specified.');
  if (new Set(instanceIds).size !== instanceIds.length) throw new AwsError('DuplicateInstanceId', 'Instance IDs must be unique.');
  const comment = optString(input, 'Comment', { max: 100 }) ?? '';
  const timeoutSeconds = optInt(input, 'TimeoutSeconds', 30, 2_592_000) ?? 3600;
  const maxConcurrency = optString(input, 'MaxConcurrency', { min: 1, max: 7, pattern: MAX_CONCURRENCY }) ?? '50';
  const maxErrors = optString(input, 'MaxErrors', { min: 1, max: 7, pattern: MAX_ERRORS }) ?? '0';
  const outputS3BucketName = optString(input, 'OutputS3BucketName', { min: 3, max: 63 }) ?? '';
  const outputS3KeyPrefix = optString(input, 'OutputS3KeyPrefix', { max: 500 }) ?? '';
  const outputS3Region = optString(input, 'OutputS3Region', { min: 3, max: 20 }) ?? ctx.region;
  const cloudWatch = optObject(input, 'CloudWatchOutputConfig');
  const cloudWatchOutputConfig = {
    CloudWatchLogGroupName: (cloudWatch && optString(cloudWatch, 'CloudWatchLogGroupName', { min: 1, max: 512 })) ?? '',
    CloudWatchOutputEnabled: (cloudWatch && optBool(cloudWatch, 'CloudWatchOutputEnabled')) ?? false,
  };
  const parameters = parseParameters(optObject(input, 'Parameters'));
  const commands = parameters.commands ?? [];

  const { session } = ctx;
  const instances = instanceIds.map((id) => {
    const instance = ctx.state.instances.get(id);
    // SSM does not reveal whether the id exists elsewhere: wrong account/region looks like no instance.
    if (!instance || instance.accountId !== session.accountId || instance.region !== ctx.region || instance.pingStatus === 'Inactive') {
      throw new AwsError('InvalidInstanceId', `Instances [[${id}]] not in a valid state for account ${session.accountId}`);
    }
    if (document.linuxOnly && instance.platformType === 'Windows') {
      throw new AwsError('UnsupportedPlatformType', 'The document does not support the platform type of the given instance ID(s).');
    }
    return instance;
  });

  const failure = ctx.takeSendCommandFailure();
  if (failure === 'reject-500') throw new AwsError('InternalServerError', 'An internal error occurred.', 500);

  const commandId = randomUUID();
  const requestedAt = ctx.now;
  const deliveryTimeoutMs = timeoutSeconds * 1000 * ctx.timeScale;
  const executionTimeoutMs = Number(parameters.executionTimeout?.[0] ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS) * 1000 * ctx.timeScale;
  const plan: PlannedInvocation[] = instances.map((instance) => {
    const spec = instance.behavior;
    const behavior: FakeBehavior = instance.run
      ? RUNNER_PLACEHOLDER
      : typeof spec === 'function'
        ? spec({ commands, documentName, instance })
        : (spec ?? { status: 'Success' });
    return {
      instanceId: instance.instanceId,
      instanceName: instance.computerName ?? '',
      behavior,
      reachable: instance.pingStatus === 'Online',
    };
  });
  const windows = instances.some((i) => i.platformType === 'Windows');
  const concurrency = Math.max(1, resolveLimit(maxConcurrency, instances.length, Math.ceil));
  const maxErrorsLimit = resolveLimit(maxErrors, instances.length, Math.floor);
  const invocations = scheduleInvocations(commandId, plan, {
    requestedAt,
    deliveryMs: ctx.deliveryMs,
    defaultRunMs: ctx.defaultRunMs,
    deliveryTimeoutMs,
    executionTimeoutMs,
    // Runners take as long as they take: all are dispatched at once and limited while they run (below).
    maxConcurrency: instances.some((i) => i.run) ? instances.length : concurrency,
    maxErrors: maxErrorsLimit,
    killedExitCode: windows ? -1 : 137,
  });
  const command: CommandEntry = {
    commandId,
    accountId: session.accountId,
    region: ctx.region,
    partition: session.partition,
    documentName,
    pluginName: document.plugin,
    comment,
    parameters,
    commands,
    instanceIds,
    timeoutSeconds,
    maxConcurrency,
    maxErrors,
    maxErrorsLimit,
    outputS3Region,
    outputS3BucketName,
    outputS3KeyPrefix,
    cloudWatchOutputConfig,
    requestedAt,
    expiresAt: requestedAt + deliveryTimeoutMs + executionTimeoutMs,
    invocations,
    invocationByInstance: new Map(invocations.map((inv) => [inv.instanceId, inv])),
    cancelRequested: false,
    sentBy: { accessKeyId: session.accessKeyId, roleSessionName: session.roleSessionName, sourceIdentity: session.sourceIdentity },
  };
  ctx.state.addCommand(command);
  // Runners execute the command for real once the agent has it, at most MaxConcurrency at a time (the
  // others show InProgress meanwhile, where SSM would show Pending); their answer settles the invocation.
  const runnable = invocations.flatMap((inv) => {
    const instance = ctx.state.instances.get(inv.instanceId);
    return instance?.run && inv.startAt !== undefined ? [{ inv, instance, run: instance.run }] : [];
  });
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let item = runnable[next++]; item; item = runnable[next++]) {
      const { inv, instance, run } = item;
      if (inv.cancelledAt !== undefined) continue;
      const killedExitCode = instance.platformType === 'Windows' ? -1 : 137;
      const result = await Promise.resolve()
        .then(() => run({ commands, documentName, instance }))
        .catch((error: unknown): FakeBehavior => ({
          status: 'Failed',
          stderr: `simulated host: ${String(error)}\n`,
        }));
      settleInvocation(inv, result, Date.now(), killedExitCode);
    }
  };
  if (runnable.length > 0)
    setTimeout(() => void Promise.all(Array.from({ length: Math.min(concurrency, runnable.length) }, lane)), ctx.deliveryMs);

  if (failure === 'accept-then-500') throw new AwsError('InternalServerError', 'An internal error occurred.', 500);
  if (failure === 'accept-then-drop') throw new DropConnection();
  return { Command: commandJson(command, ctx.now, ctx.deliveryMs) };
};
