import { escapeText } from '../../domain/escapeText.ts';
import { mention } from './mention.ts';
import { slackDate } from './slackDate.ts';
import type { RunView } from './runView.ts';
import { label } from './statusEmoji.ts';

/** One run on one line (history, App Home): status, what, who, change, size, when, id. */
export const runLine = (run: RunView): string =>
  `${label(run.status)} *${run.toolTitle} — ${run.actionTitle}* · ${mention(run.requesterId)} · ${escapeText(run.changeNumber)} · ${run.targetCount} instance(s) · ${slackDate(run.createdAt)}\n\`${run.id}\``;
