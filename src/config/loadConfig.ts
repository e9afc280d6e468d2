import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { envSchema, type Env } from './envSchema.ts';
import { targetsSchema, type Targets } from './targetsSchema.ts';

export type Config = Readonly<Env & { targets: Targets; socketMode: boolean }>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const describe = (prefix: string, error: z.ZodError): string[] =>
  error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`);

/**
 * Parses the environment and the targets file into one frozen Config. Returns every problem at once
 * (data, not an exception) so the operator fixes them in one go.
 */
export const loadConfig = async (env: NodeJS.ProcessEnv): Promise<ConfigResult> => {
  const problems: string[] = [];
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) problems.push(...describe('', parsedEnv.error));
  // The schema's cross-field check only runs once every field parses; say it now so the list is complete.
  if (!parsedEnv.success && !env.APPROVER_USER_IDS?.trim() && !env.APPROVER_USERGROUP_ID?.trim()) {
    problems.push('APPROVER_USER_IDS: or APPROVER_USERGROUP_ID must name at least one approver');
  }

  let targets: Targets | undefined;
  const file = env.OPS_TARGETS_FILE;
  if (file) {
    try {
      const text = await readFile(file, 'utf8');
      const raw: unknown = /\.ya?ml$/iu.test(path.extname(file)) ? parseYaml(text) : JSON.parse(text);
      const parsed = targetsSchema.safeParse(raw);
      if (parsed.success) targets = parsed.data;
      else problems.push(...describe(`OPS_TARGETS_FILE(${file})`, parsed.error));
    } catch (error) {
      problems.push(`OPS_TARGETS_FILE: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || !parsedEnv.success || !targets) return { ok: false, problems: [...new Set(problems)] };
  const config = Object.freeze({ ...parsedEnv.data, targets, socketMode: Boolean(parsedEnv.data.SLACK_APP_TOKEN) });
  return { ok: true, config };
};
