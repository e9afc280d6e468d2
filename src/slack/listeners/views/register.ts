import type { App } from '@slack/bolt';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { cleanText, escapeText } from '../../../domain/escapeText.ts';
import { noticeModal, REQUEST_CALLBACK_ID, requestMetadataSchema } from '../../blocks/requestModal.ts';
import type { SubmitResult } from '../../../runs/submitRun.ts';
import type { SlackDeps } from '../../slackDeps.ts';
import { readRequestState, stateValuesSchema } from '../../blocks/readRequestState.ts';
import { REJECT_CALLBACK_ID } from '../../blocks/rejectModal.ts';
import { runLogFields } from '../../../logging/runLogFields.ts';

const fieldBlock = (key: string): string => (key.startsWith('param:') || ['instances', 'change', 'action'].includes(key) ? key : 'action');

// Field errors are plain text (they quote what was typed, host names and ServiceNow values): Slack shows
// `response_action: errors` as plain text, so they are only cleaned there, and escaped for mrkdwn here.
const errorText = (errors: Readonly<Record<string, string>>): string =>
  Object.entries(errors)
    .map(([k, v]) => `• *${escapeText(k.replace('param:', ''))}*: ${escapeText(v)}`)
    .join('\n');

export const registerViews = (app: App, deps: SlackDeps): void => {
  app.view(REQUEST_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const metadata = requestMetadataSchema.safeParse(JSON.parse(view.private_metadata || '{}'));
    const values = stateValuesSchema.safeParse(view.state.values);
    if (!metadata.success || !values.success) {
      await ack({ response_action: 'errors', errors: { action: 'This form is out of date; close it and run the command again.' } });
      return;
    }
    const tool = deps.registry.byId(metadata.data.tool);
    const requested = readRequestState(values.data);
    const action = tool ? deps.registry.action(tool.id, requested.actionId) : undefined;
    const state = readRequestState(values.data, action);
    const log = deps.logger.child({ user: body.user.id, tool: metadata.data.tool, action: state.actionId });

    const work = deps.submitter.submit({
      toolId: metadata.data.tool,
      actionId: state.actionId,
      params: state.params,
      instanceText: state.instances,
      changeNumber: state.change,
      requesterId: body.user.id,
      channelId: metadata.data.channel,
      origin: { viewId: view.id, viewHash: view.hash },
      scope: state.scope,
    });
    // Slack closes the modal with an error after 3 s: answer within budget, finish in an updated view otherwise.
    const raced = await Promise.race([work.then((r) => ({ r })), sleep(deps.submitBudgetMs).then(() => undefined)]).catch(
      (error: unknown) => ({ error }),
    );
    const finish = async (result: SubmitResult, inModal: boolean): Promise<void> => {
      if (!result.ok) {
        if (inModal) {
          await ack({
            response_action: 'errors',
            errors: Object.fromEntries(Object.entries(result.errors).map(([k, v]) => [fieldBlock(k), cleanText(v).slice(0, 3000)])),
          });
        } else {
          await client.views.update({
            view_id: view.id,
            view: noticeModal(
              'Not submitted',
              `Your request was not submitted:\n${errorText(result.errors)}\nRun the command again with these fixed.`,
            ),
          });
        }
        return;
      }
      if (inModal) await ack();
      else {
        const counts = result.preflight
          ? `\n*Pre-flight*: ${result.preflight.eligible} eligible, ${result.preflight.excluded} excluded (details in the thread).`
          : '';
        await client.views.update({
          view_id: view.id,
          view: noticeModal('Submitted', `Your request was submitted for approval. Follow it in the channel thread.${counts}`),
        });
      }
      if (result.redelivered) {
        // Slack re-delivered a submission already handled (here or on another replica): same answer, no second run.
        log.info(runLogFields(result.run), 'view submission re-delivered; answered like the first');
        return;
      }
      log.info({ ...runLogFields(result.run), targets: result.targets.length }, 'run requested');
      // The submitter queued the parent, the "submitted" reply and the approval request with the run (outbox).
    };
    if (raced && 'r' in raced) {
      await finish(raced.r, true);
      return;
    }
    if (raced && 'error' in raced) throw raced.error;
    await ack({
      response_action: 'update',
      view: noticeModal('Checking…', ':hourglass_flowing_sand: Checking the instances and the change in ServiceNow…'),
    });
    await finish(await work, false);
  });

  app.view(REJECT_CALLBACK_ID, async ({ ack, body, view }) => {
    const meta = z.object({ runId: z.uuid() }).safeParse(JSON.parse(view.private_metadata || '{}'));
    const reason = z.string().trim().min(3).max(2000).safeParse(view.state.values.reason?.value?.value);
    if (!meta.success) {
      await ack({ response_action: 'errors', errors: { reason: 'This form is out of date.' } });
      return;
    }
    if (!reason.success) {
      await ack({ response_action: 'errors', errors: { reason: 'Give a reason (3 to 2,000 characters).' } });
      return;
    }
    const result = await deps.decider.reject({ runId: meta.data.runId, approverId: body.user.id, reason: reason.data });
    if (!result.ok) {
      await ack({ response_action: 'errors', errors: { reason: cleanText(result.message) } });
      return;
    }
    await ack();
    // The decider queued what the rejection owes Slack in its transaction.
    deps.wakeOutbox();
  });
};
