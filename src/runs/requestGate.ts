import type { DatabasePool } from 'slonik';
import { appendRefusal } from '../db/queries/audit.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { decideRequest } from '../domain/requestPolicy.ts';
import type { Roster } from '../domain/roster.ts';
import type { ToolRegistry } from '../tools/registry.ts';

/** Where the check happens: the slash command (before the form opens), the form's picker options, or its submission. */
export type RequestStage = 'command' | 'options' | 'submission';

export type RequestGate = {
  readonly check: (p: {
    toolId: string;
    userId: string;
    channelId: string;
    stage: RequestStage;
  }) => Promise<{ readonly ok: true } | Refusal>;
};

/** Who may request a tool (e.g. the directory's `requestersFor`); undefined = anyone. */
export type RequestersFor = (toolId: string) => Promise<Roster | undefined>;

/**
 * Who may request which tool from where (TOOL_REQUESTER_GROUPS, TOOL_ALLOWED_CHANNELS). Checked on the
 * slash command and again on submission: the server decides, never the form. Refusals are audited.
 */
export const createRequestGate = (deps: {
  readonly pool: DatabasePool;
  readonly registry: Pick<ToolRegistry, 'byId'>;
  readonly requestersFor: RequestersFor;
  readonly allowedChannels: Readonly<Record<string, readonly string[]>>;
}): RequestGate => ({
  check: async ({ toolId, userId, channelId, stage }) => {
    const tool = deps.registry.byId(toolId);
    const verdict = tool
      ? decideRequest({
          userId,
          channelId,
          command: tool.command,
          requesters: await deps.requestersFor(toolId),
          channels: deps.allowedChannels[toolId] ?? [],
        })
      : refuse('unknown_tool', 'This tool no longer exists; close the form.');
    if (!verdict.ok) {
      return appendRefusal(deps.pool, {
        actor: userId,
        attempted: 'request',
        refusal: verdict,
        data: { tool: toolId, channel: channelId, stage },
      });
    }
    return verdict;
  },
});
