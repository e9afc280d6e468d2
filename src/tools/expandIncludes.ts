import { createHash } from 'node:crypto';

/** Returns the text of a library given its include path (relative to `src/tools`); throws if absent. */
export type LibraryReader = (includePath: string) => Promise<string>;

const DIRECTIVE = /^# pcm-include: (.*)$/u;
// Also catches near misses (indented, no space, no colon): a typo must fail, not silently ship a
// script without its helpers.
const LOOKS_LIKE_DIRECTIVE = /^\s*#\s*pcm-include\b/u;
// One flat folder of libraries: no `..`, no absolute paths, nothing outside `lib/`.
const LIBRARY_PATH = /^lib\/[a-z0-9-]+\.sh$/u;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Replaces each `# pcm-include: lib/<name>.sh` line of a script with that library's text, framed by
 * comment lines naming the library and its sha256, so the one file the host runs (and the run
 * records) says where each part came from. Strict, because the result is what gets approved and
 * hashed: the path must match `lib/<name>.sh` and exist, a library is included at most once, and a
 * library may not include another.
 */
export const expandIncludes = async (script: string, read: LibraryReader): Promise<string> => {
  const included = new Set<string>();
  const out: string[] = [];
  for (const line of script.split('\n')) {
    if (!LOOKS_LIKE_DIRECTIVE.test(line)) {
      out.push(line);
      continue;
    }
    const includePath = DIRECTIVE.exec(line)?.[1];
    if (includePath === undefined || !LIBRARY_PATH.test(includePath)) {
      throw new Error(`bad include "${line.slice(0, 120)}": expected "# pcm-include: lib/<name>.sh"`);
    }
    if (included.has(includePath)) throw new Error(`${includePath} is included more than once`);
    included.add(includePath);
    let library: string;
    try {
      library = await read(includePath);
    } catch (error) {
      throw new Error(`unknown library ${includePath}`, { cause: error });
    }
    if (library.split('\n').some((l) => LOOKS_LIKE_DIRECTIVE.test(l))) throw new Error(`${includePath}: a library may not include another`);
    // The end marker must start its own line, so the hashed text is exactly what sits between the markers.
    if (!library.endsWith('\n')) throw new Error(`${includePath} must end with a newline`);
    out.push(
      `# ---- pcm-include begin: ${includePath} sha256=${sha256(library)} ----\n${library}# ---- pcm-include end: ${includePath} ----`,
    );
  }
  return out.join('\n');
};
