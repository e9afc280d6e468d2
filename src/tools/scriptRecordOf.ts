import type { LoadedAction } from './registry.ts';

/** The content-addressed record of an action's script (the `scripts` row every run and execution points at). */
export const scriptRecordOf = (action: LoadedAction) => ({
  sha256: action.scriptSha256,
  tool: action.toolId,
  action: action.id,
  name: `${action.toolId}/${action.script}`,
  interpreter: action.interpreter,
  content: action.scriptContent,
});
