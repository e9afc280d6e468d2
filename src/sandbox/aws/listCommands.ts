import { AwsError, constraintError } from './awsError.ts';
import { commandJson } from './commandJson.ts';
import { viewCommand, viewInvocation } from './commandSimulation.ts';
import type { CommandEntry } from './fakeState.ts';
import { scopeKey } from './fakeState.ts';
import { collectPage, decodeToken, descending, encodeToken } from './paging.ts';
import { scopedCommand } from './scopedCommand.ts';
import type { SsmContext } from './ssmContext.ts';
import { asInput, COMMAND_ID, INSTANCE_ID, optInt, optList, optString } from './ssmInput.ts';

const FILTER_KEYS = new Set(['InvokedAfter', 'InvokedBefore', 'Status', 'ExecutionStage', 'DocumentName']);
const STATUSES = new Set(['Pending', 'InProgress', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'Cancelling']);

type Filter = (cmd: CommandEntry, status: () => string) => boolean;

const parseFilter = (raw: unknown): Filter => {
  const filter = asInput(raw);
  const key = String(filter.key);
  const value = String(filter.value);
  if (!FILTER_KEYS.has(key))
    throw constraintError(
      'ValidationException',
      'filters.1.member.key',
      key,
      `Member must satisfy enum value set: [${[...FILTER_KEYS].join(', ')}]`,
    );
  const bad = (): AwsError => new AwsError('InvalidFilterKey', `Invalid value ${value} for filter ${key}.`);
  switch (key) {
    case 'InvokedAfter':
    case 'InvokedBefore': {
      const at = Date.parse(value);
      if (Number.isNaN(at)) throw bad();
      return key === 'InvokedAfter' ? (cmd) => cmd.requestedAt >= at : (cmd) => cmd.requestedAt <= at;
    }
    case 'Status':
      if (!STATUSES.has(value)) throw bad();
      return (_cmd, status) => status() === value;
    case 'ExecutionStage':
      if (value !== 'Executing' && value !== 'Complete') throw bad();
      return (_cmd, status) => ['Pending', 'InProgress', 'Cancelling'].includes(status()) === (value === 'Executing');
    default:
      return (cmd) => cmd.documentName === value;
  }
};

export const listCommands = (ctx: SsmContext, body: unknown): unknown => {
  const input = asInput(body);
  const commandId = optString(input, 'CommandId', COMMAND_ID);
  const instanceId = optString(input, 'InstanceId', INSTANCE_ID);
  const maxResults = optInt(input, 'MaxResults', 1, 50) ?? 50;
  const filters = (optList(input, 'Filters', 5) ?? []).map(parseFilter);
  const from = decodeToken('ListCommands', input.NextToken);

  let source: CommandEntry[];
  if (commandId !== undefined) {
    const cmd = scopedCommand(ctx, commandId);
    if (!cmd) throw new AwsError('InvalidCommandId', 'The specified command ID is not valid.');
    source = [cmd];
  } else if (instanceId !== undefined) {
    // One invocation per command and instance, so the per-instance index lists its commands in order.
    const invocations = ctx.state.invocationsByInstance.get(instanceId) ?? [];
    source = invocations
      .map((inv) => ctx.state.commandsById.get(inv.commandId))
      .filter((cmd) => cmd !== undefined && scopedCommand(ctx, cmd.commandId) !== undefined) as CommandEntry[];
  } else {
    source = ctx.state.commandsByScope.get(scopeKey(ctx.session.accountId, ctx.region)) ?? [];
  }

  const statusOf = (cmd: CommandEntry): string =>
    viewCommand(
      cmd.invocations.map((inv) => viewInvocation(inv, ctx.now, ctx.deliveryMs)),
      cmd.maxErrorsLimit,
      cmd.cancelRequested,
    ).status;
  const page = collectPage(descending(source, from), maxResults, (cmd) => filters.every((f) => f(cmd, () => statusOf(cmd))));
  return {
    Commands: page.items.map((cmd) => commandJson(cmd, ctx.now, ctx.deliveryMs)),
    ...(page.next === undefined ? {} : { NextToken: encodeToken('ListCommands', page.next) }),
  };
};
