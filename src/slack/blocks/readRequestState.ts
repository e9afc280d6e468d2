import { z } from 'zod';
import type { LoadedAction } from '../../tools/registry.ts';

// The subset of view.state.values entries the request modal produces.
const element = z
  .object({
    type: z.string(),
    value: z.string().nullable().optional(),
    selected_option: z.object({ value: z.string() }).nullable().optional(),
    selected_options: z.array(z.object({ value: z.string() })).optional(),
    // file_input: the uploaded files (Slack sends file objects; only the id is trusted, files.info says the rest).
    files: z.array(z.object({ id: z.string() }).loose()).optional(),
  })
  .loose();
export const stateValuesSchema = z.record(z.string(), z.record(z.string(), element));
export type StateValues = z.infer<typeof stateValuesSchema>;

// Every input's action_id equals its block_id (unique across the modal).
const read = (values: StateValues, blockId: string, actionId = blockId) => values[blockId]?.[actionId];

export type RequestState = {
  actionId: string;
  instances: string;
  change: string;
  params: Record<string, unknown>;
  scope: { accountIds: string[]; regions: string[]; partitions: string[] };
  /** Instance ids chosen in the type-ahead picker. */
  picked: string[];
  /** Ids of the files uploaded in the file input. */
  fileIds: string[];
  /** The rollout fields as typed (absent when the action has none): checked against the definition at submit. */
  rollout: { canaryPerScope?: string; wave?: string; budget?: string; pauseMinutes?: string };
};

/** Turns the modal's state into plain data; type coercion per input kind, validation is the action's schema. */
export const readRequestState = (values: StateValues, action?: LoadedAction): RequestState => {
  const params: Record<string, unknown> = {};
  for (const [name] of Object.entries(action?.params.shape ?? {})) {
    const el = read(values, `param:${name}`);
    if (!el) continue;
    if (el.type === 'checkboxes') params[name] = (el.selected_options ?? []).some((o) => o.value === 'true');
    else if (el.type === 'static_select') {
      if (el.selected_option) params[name] = el.selected_option.value;
    } else if (el.type === 'number_input') {
      if (el.value !== null && el.value !== undefined && el.value !== '') params[name] = Number(el.value);
    } else if (el.value !== null && el.value !== undefined && el.value !== '') params[name] = el.value;
  }
  return {
    actionId: read(values, 'action', 'select_action')?.selected_option?.value ?? '',
    instances: read(values, 'instances')?.value ?? '',
    change: read(values, 'change')?.value ?? '',
    params,
    picked: (read(values, 'targets_picker')?.selected_options ?? []).map((o) => o.value),
    fileIds: (read(values, 'targets_file')?.files ?? []).map((f) => f.id),
    scope: {
      accountIds: (read(values, 'scope_accounts')?.selected_options ?? []).map((o) => o.value),
      regions: (read(values, 'scope_regions')?.selected_options ?? []).map((o) => o.value),
      partitions: (read(values, 'scope_partitions')?.selected_options ?? []).map((o) => o.value),
    },
    rollout: Object.fromEntries(
      (
        [
          ['canaryPerScope', 'rollout:canary'],
          ['wave', 'rollout:wave'],
          ['budget', 'rollout:budget'],
          ['pauseMinutes', 'rollout:pause'],
        ] as const
      ).flatMap(([key, block]) => {
        const value = read(values, block)?.value;
        return value ? [[key, value]] : [];
      }),
    ),
  };
};
