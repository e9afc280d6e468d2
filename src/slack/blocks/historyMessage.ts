import type { KnownBlock } from '@slack/types';
import { runLine } from './runLine.ts';
import type { RunView } from './runView.ts';

/** `/ops history [n]`: the newest runs, one section each (n ≤ 25 keeps it under Slack's 50 blocks). */
export const historyMessage = (runs: readonly RunView[]): { text: string; blocks: KnownBlock[] } => {
  if (runs.length === 0)
    return {
      text: 'No runs yet.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No runs yet. Start one with a tool command, e.g. `/qc-prep`.' } }],
    };
  return {
    text: `The last ${runs.length} run(s)`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*The last ${runs.length} run(s)* — details: \`/ops show &lt;run id&gt;\`` } },
      ...runs.map((r): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: runLine(r).slice(0, 3000) } })),
    ],
  };
};
