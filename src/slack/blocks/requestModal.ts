import { statusLabel } from '../../domain/statusLabel.ts';
import type { KnownBlock, ModalView, Option, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import { MAX_PICKS } from '../../runs/submitRun.ts';
import type { LoadedAction, LoadedTool } from '../../tools/registry.ts';
import { escapeLine } from '../../domain/escapeText.ts';
import type { CauseGroup } from '../../domain/failureCauses.ts';
import { credentialStatusText } from './credentialStatusLines.ts';
import { rolloutBlocks } from './rolloutBlocks.ts';
import { fitLines } from './fitLines.ts';

export const REQUEST_CALLBACK_ID = 'run_request';
export const SELECT_ACTION_ID = 'select_action';

export const requestMetadataSchema = z.object({ tool: z.string(), channel: z.string() });
export type RequestMetadata = z.infer<typeof requestMetadataSchema>;

/** What the rebuilt modal keeps when another action is chosen (an uploaded file cannot be given back: Slack has no initial files). */
export type RequestValues = {
  instances?: string;
  change?: string;
  picked?: readonly string[];
  /** Parameter values to start from instead of the defaults (a re-run starts from the first run's). */
  params?: Readonly<Record<string, unknown>>;
  /** A "Re-run failed" request: the run and its failure causes (each selectable by its `rerun:<run>/<key>` line). */
  rerun?: { readonly runId: string; readonly failed: number; readonly causes: readonly CauseGroup[]; readonly total: number };
};

const plain = (text: string, max = 75): { type: 'plain_text'; text: string } => ({ type: 'plain_text', text: text.slice(0, max) });

type FieldMeta = { title?: string; description?: string; placeholder?: string };

/** zod 4 keeps `.meta()` in the global registry; unwrap optional/default to reach the described schema. */
const fieldInfo = (schema: z.ZodType): { meta: FieldMeta; inner: z.ZodType; optional: boolean; defaultValue: unknown } => {
  let current: z.ZodType = schema;
  let optional = false;
  let defaultValue: unknown;
  let meta: FieldMeta = (z.globalRegistry.get(current) as FieldMeta | undefined) ?? {};
  for (;;) {
    if (current instanceof z.ZodDefault) {
      defaultValue = current.def.defaultValue;
      optional = true;
      current = current.def.innerType as z.ZodType;
    } else if (current instanceof z.ZodOptional) {
      optional = true;
      current = current.def.innerType as z.ZodType;
    } else break;
    meta = { ...(z.globalRegistry.get(current) as FieldMeta | undefined), ...meta };
  }
  return { meta, inner: current, optional, defaultValue };
};

/** One Block Kit input per parameter, chosen by the zod type: enum → select, boolean → checkbox, number → number input, string → text. */
export const paramBlocks = (action: LoadedAction, initial: Readonly<Record<string, unknown>> = {}): KnownBlock[] =>
  Object.entries(action.params.shape).map(([name, schema]): KnownBlock => {
    const info = fieldInfo(schema as z.ZodType);
    const { meta, inner, optional } = info;
    const defaultValue = name in initial ? initial[name] : info.defaultValue;
    const label = plain(meta.title ?? name, 2000);
    const hint = meta.description ? plain(meta.description, 2000) : undefined;
    const blockId = `param:${name}`;
    if (inner instanceof z.ZodEnum) {
      const options: PlainTextOption[] = (inner.options as string[]).map((o) => ({ text: plain(o), value: o }));
      const initial = options.find((o) => o.value === defaultValue);
      return {
        type: 'input',
        block_id: blockId,
        label,
        hint,
        optional,
        element: { type: 'static_select', action_id: blockId, options, ...(initial ? { initial_option: initial } : {}) },
      };
    }
    if (inner instanceof z.ZodBoolean) {
      const option: Option = { text: plain(meta.title ?? name), value: 'true' };
      return {
        type: 'input',
        block_id: blockId,
        label,
        hint,
        optional: true,
        element: {
          type: 'checkboxes',
          action_id: blockId,
          options: [option],
          ...(defaultValue === true ? { initial_options: [option] } : {}),
        },
      };
    }
    if (inner instanceof z.ZodNumber) {
      return {
        type: 'input',
        block_id: blockId,
        label,
        hint,
        optional,
        element: {
          type: 'number_input',
          action_id: blockId,
          is_decimal_allowed: !inner.isInt,
          ...(typeof defaultValue === 'number' ? { initial_value: String(defaultValue) } : {}),
          ...(inner.minValue !== null && Number.isFinite(inner.minValue) ? { min_value: String(inner.minValue) } : {}),
          ...(inner.maxValue !== null && Number.isFinite(inner.maxValue) ? { max_value: String(inner.maxValue) } : {}),
        },
      };
    }
    return {
      type: 'input',
      block_id: blockId,
      label,
      hint,
      optional,
      element: {
        type: 'plain_text_input',
        action_id: blockId,
        ...(meta.placeholder ? { placeholder: plain(meta.placeholder, 150) } : {}),
        ...(typeof defaultValue === 'string' ? { initial_value: defaultValue } : {}),
      },
    };
  });

/** Slack's limit for a plain_text_input; the hint says so. */
export const MAX_TARGETS_TEXT = 3000;

/** The type-ahead picker: block and action id, characters typed before Slack asks, instances one request may pick. */
export const PICKER_ID = 'targets_picker';
export const PICKER_MIN_QUERY = 3;
export const PICKER_MAX_PICKS = MAX_PICKS;
/** The uploaded target list: one txt or csv file (Slack's own cap is 10 MB a file). */
export const FILE_INPUT_ID = 'targets_file';
export const TARGET_FILE_TYPES = ['txt', 'csv'];

/** Picker and file inputs, in every tool's modal (optional: any one target source is enough). */
const pickerAndFileBlocks = (picked: readonly string[]): KnownBlock[] => [
  {
    type: 'input',
    block_id: PICKER_ID,
    label: plain('Pick instances'),
    optional: true,
    hint: plain(
      `Type at least ${PICKER_MIN_QUERY} characters of an instance id, computer name or IP (the start of it), or a tag value ` +
        `(the whole value, for tags already used in a tag: selector). Up to ${PICKER_MAX_PICKS} instances; they join the targets above.`,
      2000,
    ),
    element: {
      type: 'multi_external_select',
      action_id: PICKER_ID,
      min_query_length: PICKER_MIN_QUERY,
      max_selected_items: PICKER_MAX_PICKS,
      placeholder: plain('i-0123…, web-01, 10.0.1.'),
      ...(picked.length > 0
        ? { initial_options: picked.slice(0, PICKER_MAX_PICKS).map((id) => ({ text: plain(id), value: id.slice(0, 150) })) }
        : {}),
    },
  },
  {
    type: 'input',
    block_id: FILE_INPUT_ID,
    label: plain('Target list file'),
    optional: true,
    hint: plain(
      'One .txt or .csv file up to 10 MB: one instance id or computer name per line, or a CSV with a header row naming the ' +
        'column to read (instance_id, id, computer_name, name or hostname; other columns are ignored). Blank lines and lines ' +
        'starting with # are skipped; at most 10,000 entries. They join the targets above.',
      2000,
    ),
    element: { type: 'file_input', action_id: FILE_INPUT_ID, filetypes: TARGET_FILE_TYPES, max_files: 1 },
  },
];

/** The configured accounts and regions, for the optional narrowing selects. */
export type FleetChoices = {
  readonly accounts: readonly { readonly id: string; readonly name: string; readonly partition: string }[];
  readonly regions: readonly string[];
};

export const SCOPE_BLOCKS = ['scope_accounts', 'scope_regions', 'scope_partitions'] as const;

const multiSelect = (blockId: string, label: string, options: PlainTextOption[]): KnownBlock => ({
  type: 'input',
  block_id: blockId,
  label: plain(label),
  optional: true,
  hint: plain('Optional: narrows tag and id selectors; none selected means all configured.', 2000),
  element: { type: 'multi_static_select', action_id: blockId, options: options.slice(0, 100) },
});

/** Optional account / region / partition narrowing (only what is configured; a select needs 1–100 options). */
const scopeBlocks = (fleet: FleetChoices | undefined): KnownBlock[] => {
  if (!fleet || fleet.accounts.length === 0) return [];
  const partitions = [...new Set(fleet.accounts.map((a) => a.partition))];
  return [
    multiSelect(
      'scope_accounts',
      'Accounts',
      fleet.accounts.map((a) => ({ text: plain(`${a.name} (${a.id})`), value: a.id })),
    ),
    multiSelect(
      'scope_regions',
      'Regions',
      [...new Set(fleet.regions)].map((r) => ({ text: plain(r), value: r })),
    ),
    ...(partitions.length > 1
      ? [
          multiSelect(
            'scope_partitions',
            'Partitions',
            partitions.map((p) => ({ text: plain(p === 'aws-us-gov' ? 'GovCloud (aws-us-gov)' : 'Commercial (aws)'), value: p })),
          ),
        ]
      : []),
  ];
};

/** What a re-run targets, and the cause groups it can be narrowed to (a line each, replacing the targets). */
const rerunBlock = (r: NonNullable<RequestValues['rerun']>): KnownBlock => ({
  type: 'section',
  text: {
    type: 'mrkdwn',
    text: fitLines(
      `:repeat: *Re-run failed* of run \`${r.runId}\`: \`rerun:${r.runId}\` targets its *${r.failed}* failed, timed-out or undeliverable instance(s), resolved when you submit. To re-run one cause only, put its line in Targets instead:`,
      r.causes.map(
        (c) => `• *${c.count}*: ${escapeLine(c.cause || '(no details)', 90)} (${statusLabel(c.status)}) \`rerun:${r.runId}/${c.key}\``,
      ),
      3000,
      (n) => `• …and ${n + Math.max(0, r.total - r.causes.length)} more causes`,
    ),
  },
});

/** The request modal, built from the tool's definition; choosing an action rebuilds it (views.update). */
export const requestModal = (
  tool: LoadedTool,
  action: LoadedAction,
  metadata: RequestMetadata,
  values: RequestValues = {},
  fleet?: FleetChoices,
  /** Failing credential scopes (mrkdwn lines, escaped): targets there are refused at submit. */
  credentialWarnings: readonly string[] = [],
): ModalView => {
  const actionOptions: PlainTextOption[] = tool.actions.map((a) => ({ text: plain(a.title), value: a.id }));
  const selected = actionOptions.find((o) => o.value === action.id);
  const limits = action.targets.max === 1 ? 'one instance' : `${action.targets.min}–${action.targets.max} instances`;
  return {
    type: 'modal',
    callback_id: REQUEST_CALLBACK_ID,
    private_metadata: JSON.stringify(metadata),
    title: plain(tool.title, 24),
    submit: plain('Request approval'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: 'action',
        label: plain('Action'),
        dispatch_action: true,
        element: {
          type: 'static_select',
          action_id: SELECT_ACTION_ID,
          options: actionOptions,
          ...(selected ? { initial_option: selected } : {}),
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${action.description}${action.mutates ? ' *Changes the host.*' : ''} (${limits}; script \`${action.scriptSha256.slice(0, 12)}\`)`.slice(
              0,
              3000,
            ),
          },
        ],
      },
      ...(values.rerun ? [rerunBlock(values.rerun)] : []),
      {
        type: 'input',
        block_id: 'instances',
        label: plain('Targets'),
        // Optional for Slack: the picker or the file may name the targets instead (the submit checks one does).
        optional: true,
        hint: plain(
          'Up to 3,000 characters, one selector per line: instance ids or computer names (several per line, separated by spaces or commas), ' +
            'tag:PatchGroup=prod-a, tag:Env=prod,stage (several values), tag-key:Owner, step:qc-prep/initial-qc=success ' +
            '(instances where that step succeeded, or =failed, under this change), or rerun:<run id> (the failed instances of a run). Tags are resolved in every configured account/region ' +
            '(narrowed by the selects below); the resolved list is frozen at submit.',
          2000,
        ),
        element: {
          type: 'plain_text_input',
          action_id: 'instances',
          multiline: true,
          max_length: MAX_TARGETS_TEXT,
          placeholder: plain('i-0123456789abcdef0\ntag:PatchGroup=prod-a', 150),
          ...(values.instances ? { initial_value: values.instances.slice(0, MAX_TARGETS_TEXT) } : {}),
        },
      },
      ...pickerAndFileBlocks(values.picked ?? []),
      ...scopeBlocks(fleet),
      {
        type: 'input',
        block_id: 'change',
        label: plain('ServiceNow change'),
        element: {
          type: 'plain_text_input',
          action_id: 'change',
          placeholder: plain('CHG0012345'),
          max_length: 15,
          ...(values.change ? { initial_value: values.change } : {}),
        },
      },
      ...paramBlocks(action, values.params),
      ...rolloutBlocks(action),
      ...(credentialWarnings.length > 0
        ? [
            {
              type: 'section' as const,
              text: {
                type: 'mrkdwn' as const,
                text: credentialStatusText(
                  ':warning: *Credential problems* — requests targeting these are refused until they recover:',
                  credentialWarnings,
                  2_800,
                ),
              },
            },
          ]
        : []),
    ],
  };
};

/** A modal state after submission when the checks took longer than Slack's 3 seconds. `text` is mrkdwn: callers escape the values in it. */
export const noticeModal = (title: string, text: string): ModalView => ({
  type: 'modal',
  title: plain(title, 24),
  close: plain('Close'),
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }],
});
