import { classifyTargetToken, type TargetSelector } from './targetSelectors.ts';

/** Entries one uploaded file may name (bounded work at submit; above any action's `targets.max`). */
export const MAX_FILE_TARGETS = 10_000;

/**
 * Header names of the column read from a CSV, most specific first (case, spaces, `-` and `_` ignored):
 * instance_id / instanceid / id for instance ids, computer_name / name / hostname / host for names.
 * Either column may also hold the other kind: each value is classified on its own.
 */
const HEADERS = ['instanceid', 'id', 'computername', 'name', 'hostname', 'host'];

export type ParsedTargetFile =
  | { readonly ok: true; readonly selectors: readonly TargetSelector[]; readonly entries: number }
  | { readonly ok: false; readonly message: string };

const headerKey = (cell: string): string => cell.toLowerCase().replace(/[\s_-]+/gu, '');

/** One CSV record (RFC 4180 quoting within a line; ids and host names never span lines). */
const csvCells = (line: string): string[] => {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (c === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
};

const shown = (text: string): string => (text.length > 40 ? `${text.slice(0, 39)}…` : text);

/**
 * Parses an uploaded target list; pure. Accepted: a text file with one instance id or computer name per
 * line, or a CSV whose header names the column to read (see HEADERS; other columns are ignored). Blank
 * lines and lines starting with `#` are skipped. Anything else is refused with the first offending lines.
 */
export const parseTargetFile = (text: string): ParsedTargetFile => {
  const lines = text
    .replace(/^\uFEFF/u, '')
    .split(/\r?\n/u)
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
  const [first] = lines;
  if (!first)
    return { ok: false, message: 'The file names no instance: one instance id or computer name per line, or a CSV with a header.' };

  const headerCells = csvCells(first.line).map(headerKey);
  const column = HEADERS.map((h) => headerCells.indexOf(h)).find((i) => i >= 0);
  const rows = column === undefined ? lines : lines.slice(1);
  if (column === undefined && headerCells.length > 1)
    return {
      ok: false,
      message: `Line ${first.number} has several columns but no header naming one of instance_id, id, computer_name, name or hostname.`,
    };
  if (rows.length > MAX_FILE_TARGETS)
    return { ok: false, message: `The file names ${rows.length} instances; at most ${MAX_FILE_TARGETS} a file. Narrow it, or use a tag.` };

  const ids: string[] = [];
  const names: string[] = [];
  const invalid: string[] = [];
  for (const { line, number } of rows) {
    const value = column === undefined ? line : (csvCells(line)[column] ?? '');
    const target = classifyTargetToken(value);
    if (target?.kind === 'id') ids.push(target.value);
    else if (target?.kind === 'name') names.push(target.value);
    else invalid.push(`line ${number} "${shown(value)}"`);
  }
  if (invalid.length > 0) {
    const more = invalid.length > 5 ? ` and ${invalid.length - 5} more` : '';
    return { ok: false, message: `Not an instance id or computer name: ${invalid.slice(0, 5).join(', ')}${more}.` };
  }
  const uniqueIds = [...new Set(ids)];
  const uniqueNames = [...new Set(names)];
  return {
    ok: true,
    entries: uniqueIds.length + uniqueNames.length,
    selectors: [
      ...(uniqueIds.length > 0 ? [{ kind: 'ids', ids: uniqueIds } as const] : []),
      ...(uniqueNames.length > 0 ? [{ kind: 'names', names: uniqueNames } as const] : []),
    ],
  };
};
