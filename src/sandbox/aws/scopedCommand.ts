import type { CommandEntry } from './fakeState.ts';
import type { SsmContext } from './ssmContext.ts';

/** Commands are visible only to callers in the account and region that sent them. */
export const scopedCommand = (ctx: SsmContext, commandId: string | undefined): CommandEntry | undefined => {
  if (commandId === undefined) return undefined;
  const cmd = ctx.state.commandsById.get(commandId);
  return cmd && cmd.accountId === ctx.session.accountId && cmd.region === ctx.region ? cmd : undefined;
};
