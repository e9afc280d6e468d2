import { invocationJson } from './commandJson.ts';
import type { InvocationEntry } from './commandSimulation.ts';
import type { CommandEntry } from './fakeState.ts';
import { scopeKey } from './fakeState.ts';
import { ascending, collectPage, decodeToken, descending, encodeToken } from './paging.ts';
import { scopedCommand } from './scopedCommand.ts';
import type { SsmContext } from './ssmContext.ts';
import { asInput, COMMAND_ID, INSTANCE_ID, optBool, optInt, optString } from './ssmInput.ts';

// A command has at most 50 invocations, so (command position, invocation index) fits one integer cursor.
const STRIDE = 64;

/** Every invocation in the caller's account+region: newest command first, then in InstanceIds order. */
function* allInScope(commands: readonly CommandEntry[], from: number | undefined): Generator<[number, InvocationEntry]> {
  const firstCommand = from === undefined ? commands.length - 1 : Math.floor(from / STRIDE);
  const firstIndex = from === undefined ? 0 : from % STRIDE;
  for (const [c, cmd] of descending(commands, firstCommand)) {
    for (const [i, inv] of ascending(cmd.invocations, c === firstCommand ? firstIndex : 0)) yield [c * STRIDE + i, inv];
  }
}

export const listCommandInvocations = (ctx: SsmContext, body: unknown): unknown => {
  const input = asInput(body);
  const commandId = optString(input, 'CommandId', COMMAND_ID);
  const instanceId = optString(input, 'InstanceId', INSTANCE_ID);
  const maxResults = optInt(input, 'MaxResults', 1, 50) ?? 50;
  const details = optBool(input, 'Details') ?? false;
  const from = decodeToken('ListCommandInvocations', input.NextToken);

  let walk: Iterable<[number, InvocationEntry]>;
  if (commandId !== undefined) {
    // An unknown (or foreign) command id is not an error here: SSM just lists nothing.
    walk = ascending(scopedCommand(ctx, commandId)?.invocations ?? [], from);
  } else if (instanceId !== undefined) {
    walk = descending(ctx.state.invocationsByInstance.get(instanceId) ?? [], from);
  } else {
    walk = allInScope(ctx.state.commandsByScope.get(scopeKey(ctx.session.accountId, ctx.region)) ?? [], from);
  }
  const page = collectPage(
    walk,
    maxResults,
    (inv) => (instanceId === undefined || inv.instanceId === instanceId) && scopedCommand(ctx, inv.commandId) !== undefined,
  );
  return {
    CommandInvocations: page.items.map((inv) => {
      const cmd = ctx.state.commandsById.get(inv.commandId) as CommandEntry;
      return invocationJson(cmd, inv, ctx.now, ctx.deliveryMs, details);
    }),
    ...(page.next === undefined ? {} : { NextToken: encodeToken('ListCommandInvocations', page.next) }),
  };
};
