import type { HomeView, KnownBlock } from '@slack/types';
import { escapeText } from '../../domain/escapeText.ts';
import { credentialStatusText } from './credentialStatusLines.ts';
import { mention } from './mention.ts';
import { runLine } from './runLine.ts';
import type { RunView } from './runView.ts';

export type HomeState = {
  readonly awaiting: readonly RunView[];
  readonly mine: readonly RunView[];
  readonly freeze: { readonly on: boolean; readonly reason?: string; readonly by?: string };
  /** Credential status lines (mrkdwn, already escaped): shown at the top. */
  readonly credentials: readonly string[];
};

const MAX_EACH = 20;

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } });

/** The App Home tab: the approvals waiting for this person and their own recent runs (≤ 100 blocks). */
export const homeView = (s: HomeState): HomeView => ({
  type: 'home',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: 'PCM Ops' } },
    section(credentialStatusText('*Credential status*', s.credentials)),
    ...(s.freeze.on
      ? [
          section(
            `:snowflake: *Change freeze is on*${s.freeze.reason ? `: ${escapeText(s.freeze.reason)}` : ''}${s.freeze.by ? ` (by ${mention(s.freeze.by)})` : ''}. Approvals and new dispatches are blocked.`,
          ),
        ]
      : []),
    section(`*Approvals waiting for you* (${s.awaiting.length})`),
    ...(s.awaiting.length === 0
      ? [section('_Nothing to approve._')]
      : s.awaiting.slice(0, MAX_EACH).map((r) => section(`${runLine(r)}\nApprove or reject it in its approval message.`))),
    { type: 'divider' },
    section(`*Your recent runs* (${s.mine.length})`),
    ...(s.mine.length === 0
      ? [section('_You have not requested any run yet._')]
      : s.mine.slice(0, MAX_EACH).map((r) => section(runLine(r)))),
    { type: 'divider' },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '`/ops history [n]` · `/ops show &lt;run&gt;` · `/ops cancel &lt;run&gt;` · `/ops freeze on &lt;reason&gt;` | `off`',
        },
      ],
    },
  ],
});
