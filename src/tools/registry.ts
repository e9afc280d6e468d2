import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ActionDefinition, ToolDefinition } from './define.ts';
import { readScript } from './readScript.ts';

export type LoadedAction = ActionDefinition & {
  readonly toolId: string;
  /**
   * Exact script text read from disk at start, its `# pcm-include` lines expanded (see
   * expandIncludes.ts): what the host runs. Never from user input.
   */
  readonly scriptContent: string;
  /** sha256 (hex) of `scriptContent`; every execution records it. */
  readonly scriptSha256: string;
  /** The tool's settings (never secrets), exported to the script as PCM_SETTING_*. */
  readonly toolSettings: Readonly<Record<string, string>>;
};

export type LoadedTool = Omit<ToolDefinition, 'actions'> & { readonly actions: readonly LoadedAction[] };

export type ToolRegistry = {
  readonly tools: readonly LoadedTool[];
  readonly byId: (toolId: string) => LoadedTool | undefined;
  readonly byCommand: (command: string) => LoadedTool | undefined;
  readonly action: (toolId: string, actionId: string) => LoadedAction | undefined;
};

export const defaultToolsDir = path.dirname(fileURLToPath(import.meta.url));

const ID = /^[a-z0-9][a-z0-9-]{0,40}$/u;

const loadTool = async (folder: string): Promise<LoadedTool> => {
  const module = (await import(pathToFileURL(path.join(folder, 'definition.ts')).href)) as { default?: ToolDefinition };
  const tool = module.default;
  if (!tool) throw new Error(`tool folder ${folder} has no default export in definition.ts`);
  if (tool.id !== path.basename(folder)) throw new Error(`tool id "${tool.id}" must equal its folder name "${path.basename(folder)}"`);
  if (!ID.test(tool.id)) throw new Error(`tool id "${tool.id}" is not [a-z0-9-]`);
  if (!/^\/[a-z0-9-]{1,31}$/u.test(tool.command)) throw new Error(`tool ${tool.id}: command "${tool.command}" is not a slash command`);
  const seen = new Set<string>();
  const actions: LoadedAction[] = [];
  for (const action of tool.actions) {
    if (!ID.test(action.id) || seen.has(action.id)) throw new Error(`tool ${tool.id}: bad or duplicate action id "${action.id}"`);
    seen.add(action.id);
    if (path.basename(action.script) !== action.script) throw new Error(`tool ${tool.id}: script must be a plain file name`);
    const scriptContent = await readScript(path.dirname(folder), tool.id, action.script);
    const scriptSha256 = createHash('sha256').update(scriptContent, 'utf8').digest('hex');
    actions.push({ ...action, toolId: tool.id, scriptContent, scriptSha256, toolSettings: tool.settings ?? {} });
  }
  return Object.freeze({ ...tool, actions: Object.freeze(actions) });
};

/**
 * Discovers every folder under `dir` that holds a `definition.ts`: adding a tool is adding a folder.
 * Throws (a fault at start) on any malformed tool: a bad tool must never half-load.
 */
export const loadRegistry = async (dir: string = defaultToolsDir): Promise<ToolRegistry> => {
  const entries = await readdir(dir, { withFileTypes: true });
  const tools: LoadedTool[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = path.join(dir, entry.name);
    const hasDefinition = await stat(path.join(folder, 'definition.ts')).then(
      () => true,
      () => false,
    );
    if (hasDefinition) tools.push(await loadTool(folder));
  }
  const commands = new Set<string>();
  for (const tool of tools) {
    if (commands.has(tool.command)) throw new Error(`two tools claim ${tool.command}`);
    commands.add(tool.command);
  }
  const byId = new Map(tools.map((t) => [t.id, t]));
  const byCommand = new Map(tools.map((t) => [t.command, t]));
  return Object.freeze({
    tools: Object.freeze(tools),
    byId: (id: string) => byId.get(id),
    byCommand: (command: string) => byCommand.get(command),
    action: (toolId: string, actionId: string) => byId.get(toolId)?.actions.find((a) => a.id === actionId),
  });
};
