import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../blocks/approvalMessage.ts';
import { requestMetadataSchema, requestModal, SELECT_ACTION_ID } from '../../blocks/requestModal.ts';
import { publishDecision } from '../../publishDecision.ts';
import type { SlackDeps } from '../../slackDeps.ts';
import { readRequestState, stateValuesSchema } from '../views/readRequestState.ts';
import { rejectModal } from './rejectModal.ts';

const APPROVE_VALUE = /^([0-9a-f-]{36}):([0-9a-f]{64})$/u;

export const registerActions = (app: App, deps: SlackDeps): void => {
  // Choosing another action in the request modal rebuilds it with that action's parameters.
  app.action<BlockAction<StaticSelectAction>>(SELECT_ACTION_ID, async ({ ack, body, action, client }) => {
    await ack();
    const view = body.view;
    if (!view) return;
    const meta = requestMetadataSchema.safeParse(JSON.parse(view.private_metadata || '{}'));
    const tool = meta.success ? deps.registry.byId(meta.data.tool) : undefined;
    const chosen = tool ? deps.registry.action(tool.id, action.selected_option.value) : undefined;
    if (!meta.success || !tool || !chosen) return;
    const values = stateValuesSchema.safeParse(view.state.values);
    const kept = values.success ? readRequestState(values.data) : undefined;
    await client.views.update({
      view_id: view.id,
      hash: view.hash,
      view: requestModal(tool, chosen, meta.data, { instances: kept?.instances, change: kept?.change }),
    });
  });

  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    const channel = body.channel?.id ?? deps.approvalChannelId;
    const match = APPROVE_VALUE.exec(action.value ?? '');
    if (!match?.[1] || !match[2]) {
      await deps.sender.ephemeral(channel, body.user.id, 'This button is malformed; nothing was approved.');
      return;
    }
    const log = deps.logger.child({ runId: match[1], user: body.user.id });
    const result = await deps.decider.approve({ runId: match[1], approverId: body.user.id, clickedDigest: match[2] });
    if (!result.ok) {
      log.info({ code: result.code }, 'approval refused');
      await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${result.message}`);
      return;
    }
    log.info({ final: result.final }, 'approval recorded');
    await publishDecision(deps, result.run.id, { kind: result.final ? 'approved' : 'approval_recorded', by: body.user.id });
  });

  app.action<BlockAction<ButtonAction>>(REJECT_ACTION_ID, async ({ ack, body, action, client }) => {
    await ack();
    if (!action.value) return;
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(action.value) });
  });
};
