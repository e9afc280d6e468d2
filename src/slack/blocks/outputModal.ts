import type { KnownBlock, ModalView } from '@slack/types';
import { escapeText } from '../../domain/escapeText.ts';
import type { ExecutionOutput } from '../../db/queries/runFiles.ts';
import { label } from './statusEmoji.ts';

// A section's text is at most 3,000 characters; the fence takes 8.
const MAX_CHUNK = 2_990;
// A modal holds 100 blocks: a few for the header and notes, the rest for the output.
const MAX_STDOUT_SECTIONS = 60;
const MAX_STDERR_SECTIONS = 25;

/** Text shown inside a ``` fence: escaped (it is mrkdwn), and a fence in the output cannot close ours. */
const fenced = (line: string): string => escapeText(line).replace(/```/gu, '` ` `');

/**
 * Packs output lines into code sections, cutting on line boundaries (a single line longer than a section is
 * split); past `maxSections` the rest is left out and the last note says how many lines the bot cut.
 */
export const outputSections = (text: string, maxSections: number): { sections: string[]; cutLines: number } => {
  const lines = text.replace(/\n$/u, '').split('\n').map(fenced);
  const sections: string[] = [];
  let current: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (current.length > 0) sections.push(`\`\`\`\n${current.join('\n')}\n\`\`\``);
    current = [];
    size = 0;
  };
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    while (line.length > MAX_CHUNK) {
      flush();
      if (sections.length >= maxSections) return { sections, cutLines: lines.length - i };
      current.push(line.slice(0, MAX_CHUNK));
      line = line.slice(MAX_CHUNK);
      flush();
    }
    if (size + line.length + 1 > MAX_CHUNK) flush();
    if (sections.length >= maxSections) return { sections, cutLines: lines.length - i };
    current.push(line);
    size += line.length + 1;
  }
  flush();
  return { sections, cutLines: 0 };
};

const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

const stream = (name: 'stdout' | 'stderr', text: string | null, ssmTruncated: boolean, maxSections: number): KnownBlock[] => {
  if (text === null || text === '') return [context(`*${name}*: _empty_`)];
  const { sections, cutLines } = outputSections(text, maxSections);
  const ssmLimit = name === 'stdout' ? '24,000' : '8,000';
  return [
    context(`*${name}*`),
    ...sections.map((t): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } })),
    ...(cutLines > 0 ? [context(`:scissors: The bot cut the last ${cutLines} line(s) of ${name} here (the modal's size limit).`)] : []),
    ...(ssmTruncated ? [context(`:scissors: SSM truncated ${name} itself: it returns only the first ${ssmLimit} characters.`)] : []),
  ];
};

/** "View output": one instance's stored stdout/stderr in a modal, within Block Kit's limits, saying where it was cut. */
export const outputModal = (runId: string, e: ExecutionOutput): ModalView => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Instance output' },
  close: { type: 'plain_text', text: 'Close' },
  blocks: [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*\`${escapeText(e.instance_id)}\`*${e.computer_name ? ` ${escapeText(e.computer_name.slice(0, 200))}` : ''} · ` +
          `${escapeText(`${e.account_id}/${e.region}`)}\n${label(e.status)}` +
          `${e.status_details ? ` (${escapeText(e.status_details.slice(0, 200))})` : ''}` +
          `${e.response_code === null ? '' : ` · exit code ${e.response_code}`}`,
      },
    },
    context(`run \`${runId}\``),
    ...(e.output_pruned
      ? [context(':wastebasket: The output was removed by the retention policy (OUTPUT_RETENTION_DAYS); statuses and results are kept.')]
      : [
          ...stream('stdout', e.stdout, e.stdout_truncated, MAX_STDOUT_SECTIONS),
          ...stream('stderr', e.stderr, e.stderr_truncated, MAX_STDERR_SECTIONS),
        ]),
  ],
});
