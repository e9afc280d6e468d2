import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { z } from 'zod';
import { escapeText } from '../../../domain/escapeText.ts';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../blocks/approvalMessage.ts';
import { requestMetadataSchema, requestModal, SELECT_ACTION_ID } from '../../blocks/requestModal.ts';
import { CANCEL_ACTION_ID, RERUN_ACTION_ID } from '../../blocks/runMessage.ts';
import { label } from '../../blocks/statusEmoji.ts';
import { isRerunnable } from '../../../domain/rerunPolicy.ts';
import { getRun } from '../../../db/queries/runs.ts';
import { loadRerunChoices } from '../../loadRerunChoices.ts';
import { failingCredentialLines } from '../../loadCredentialLines.ts';
import type { SlackDeps } from '../../slackDeps.ts';
import { readRequestState, stateValuesSchema } from '../../blocks/readRequestState.ts';
import { rejectModal } from '../../blocks/rejectModal.ts';
import { runLogFields } from '../../../logging/runLogFields.ts';
import { registerHaltActions } from './haltActions.ts';

const APPROVE_VALUE = /^([0-9a-f-]{36}):([0-9a-f]{64})$/u;
const runId = z.uuid();

export const registerActions = (app: App, deps: SlackDeps): void => {
  registerHaltActions(app, deps);

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
      view: requestModal(
        tool,
        chosen,
        meta.data,
        { instances: kept?.instances, change: kept?.change, picked: kept?.picked },
        deps.fleet,
        await failingCredentialLines(deps),
      ),
    });
  });

  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    const channel = body.channel?.id ?? deps.approvalChannelId;
    const match = APPROVE_VALUE.exec(action.value ?? '');
    if (!match?.[1] || !match[2]) {
      await deps.sender.ephemeral(
        channel,
        body.user.id,
        ':no_entry: This button is malformed; nothing was approved. Use the buttons of the current approval message.',
      );
      return;
    }
    const log = deps.logger.child({ runId: match[1], user: body.user.id });
    const result = await deps.decider.approve({ runId: match[1], approverId: body.user.id, clickedDigest: match[2] });
    if (!result.ok) {
      log.info({ code: result.code }, 'approval refused');
      await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${escapeText(result.message)}`);
      return;
    }
    log.info({ ...runLogFields(result.run), final: result.final }, 'approval recorded');
    // The decider queued what the decision owes Slack in its transaction.
    deps.wakeOutbox();
  });

  // Reject asks for a reason in a modal; someone who may not reject is told so at once instead.
  app.action<BlockAction<ButtonAction>>(REJECT_ACTION_ID, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id ?? deps.approvalChannelId;
    const id = runId.safeParse(action.value);
    if (!id.success) {
      await deps.sender.ephemeral(
        channel,
        body.user.id,
        ':no_entry: This button is malformed; nothing was rejected. Use the buttons of the current approval message.',
      );
      return;
    }
    const allowed = await deps.decider.canReject({ runId: id.data, approverId: body.user.id });
    if (!allowed.ok) {
      await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${escapeText(allowed.message)}`);
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(id.data) });
  });

  // "Re-run failed" on a finished run's parent message: the request modal, prefilled with the same tool, action,
  // parameters and change, targeting `rerun:<run>` (resolved at submit to exactly the failed set). A new request.
  app.action<BlockAction<ButtonAction>>(RERUN_ACTION_ID, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id ?? deps.approvalChannelId;
    const id = runId.safeParse(action.value);
    const run = id.success ? await getRun(deps.pool, id.data) : null;
    const tool = run ? deps.registry.byId(run.tool) : undefined;
    const chosen = run && tool ? deps.registry.action(tool.id, run.action) : undefined;
    if (!run || !tool || !chosen) {
      await deps.sender.ephemeral(channel, body.user.id, ':no_entry: This run or its action no longer exists; nothing to re-run.');
      return;
    }
    if (!isRerunnable(run.status)) {
      await deps.sender.ephemeral(
        channel,
        body.user.id,
        `:no_entry: This run is ${label(run.status)}; only a finished run with failures can be re-run.`,
      );
      return;
    }
    // Only someone who may request the tool (here) gets the form; the submission is checked again.
    const allowed = await deps.requestGate.check({ toolId: tool.id, userId: body.user.id, channelId: run.channel_id, stage: 'command' });
    if (!allowed.ok) {
      await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${escapeText(allowed.message)}`);
      return;
    }
    await client.views.open({
      trigger_id: body.trigger_id,
      view: requestModal(
        tool,
        chosen,
        { tool: tool.id, channel: run.channel_id },
        { instances: `rerun:${run.id}`, change: run.change_number, params: run.params, rerun: await loadRerunChoices(deps.pool, run.id) },
        deps.fleet,
        await failingCredentialLines(deps),
      ),
    });
  });

  // Cancel on the run's parent message: the same rules and effects as `/ops cancel`.
  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    const channel = body.channel?.id ?? deps.approvalChannelId;
    const id = runId.safeParse(action.value);
    if (!id.success) {
      await deps.sender.ephemeral(
        channel,
        body.user.id,
        ':no_entry: This button is malformed; nothing was cancelled. Use `/ops cancel &lt;run id&gt;`.',
      );
      return;
    }
    const result = await deps.canceller.cancel({ runId: id.data, userId: body.user.id });
    const log = deps.logger.child({ runId: id.data, user: body.user.id });
    if (!result.ok) {
      log.info({ code: result.code }, 'cancel refused');
      await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${escapeText(result.message)}`);
      return;
    }
    log.info({ ...runLogFields(result.run), outcome: result.outcome }, 'cancel accepted');
    deps.wakeOutbox();
  });
};
