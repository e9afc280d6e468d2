import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expandIncludes } from './expandIncludes.ts';

/**
 * A tool script as the host runs it: `<toolsDir>/<tool>/scripts/<script>` with each
 * `# pcm-include: lib/<name>.sh` line replaced by `<toolsDir>/lib/<name>.sh` (see expandIncludes.ts).
 */
export const readScript = async (toolsDir: string, tool: string, script: string): Promise<string> => {
  const text = await readFile(path.join(toolsDir, tool, 'scripts', script), 'utf8');
  try {
    return await expandIncludes(text, (includePath) => readFile(path.join(toolsDir, includePath), 'utf8'));
  } catch (error) {
    // Name the script: at start-up this is the whole fault report.
    throw new Error(`${tool}/scripts/${script}: ${(error as Error).message}`, { cause: error });
  }
};
