// Rows of the fake tables and how the Table API queries and renders them
// (sysparm_query, sysparm_fields, sysparm_display_value, sysparm_exclude_reference_link).
import { CHANGE_STATES, sysIdFor } from './changeInWindow.ts';
import type { StoredChange } from './fakeServiceNowTypes.ts';

interface Reference {
  table: string;
  value: string;
  display: string;
}
type Field = string | Reference;
export type Row = Record<string, Field>;

const isRef = (f: Field | undefined): f is Reference => typeof f === 'object';

// Choice fields whose display value differs from the stored value.
const CHOICES: Record<string, Record<string, string>> = {
  state: CHANGE_STATES,
  type: { normal: 'Normal', standard: 'Standard', emergency: 'Emergency' },
};

const ref = (table: string, r: { value: string; display_value?: string } | ''): Field =>
  r === '' ? '' : { table, value: r.value, display: r.display_value ?? r.value };

export function changeRow(c: StoredChange): Row {
  return {
    ...c.fields,
    sys_id: c.sys_id,
    number: c.number,
    state: c.state,
    start_date: c.start_date,
    end_date: c.end_date,
    assignment_group: ref('sys_user_group', c.assignment_group),
    short_description: c.short_description,
    type: c.type,
    cmdb_ci: ref('cmdb_ci', c.cmdb_ci),
    // Journal fields read back empty through the Table API.
    work_notes: '',
    sys_class_name: 'change_request',
    sys_created_on: c.sys_created_on,
    sys_updated_on: c.sys_updated_on,
  };
}

export function taskCiRows(c: StoredChange): Row[] {
  return c.cis.map((name) => ({
    sys_id: sysIdFor(`task_ci:${c.sys_id}:${name}`),
    task: { table: 'task', value: c.sys_id, display: c.number },
    ci_item: { table: 'cmdb_ci', value: sysIdFor(`ci:${name}`), display: name },
    sys_created_on: c.sys_created_on,
    sys_updated_on: c.sys_updated_on,
  }));
}

/** Raw value of `field` or a dot-walked `ref.field` (sys_id → value; name/number → display). */
function rawValue(row: Row, path: string): string {
  const [head = '', tail] = path.split('.', 2);
  const f = row[head];
  if (f === undefined) return '';
  if (!isRef(f)) return tail === undefined ? f : '';
  if (tail === undefined || tail === 'sys_id') return f.value;
  return tail === 'name' || tail === 'number' || tail === 'display_value' ? f.display : '';
}

export type QueryTerm = { field: string; op: '=' | '!='; value: string };

/** Parses the ^-joined subset the bot needs; anything else throws so a test notices the fake's limit. */
export function parseQuery(query: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  for (const part of query.split('^')) {
    if (part === '' || part.startsWith('ORDERBY')) continue;
    const m = part.match(/^([\w.]+)(!=|=)(.*)$/);
    if (!m || m[1] === undefined || m[3] === undefined)
      throw new Error(`fake ServiceNow supports only field=value and field!=value terms, got "${part}"`);
    terms.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return terms;
}

// ServiceNow's string comparisons are case-insensitive (database collation).
export function matches(row: Row, terms: QueryTerm[]): boolean {
  return terms.every((t) => (rawValue(row, t.field).toLowerCase() === t.value.toLowerCase()) === (t.op === '='));
}

export type DisplayMode = 'false' | 'true' | 'all';

export interface RenderOptions {
  baseUrl: string;
  fields?: string[];
  display: DisplayMode;
  excludeLink: boolean;
}

function renderField(row: Row, name: string, o: RenderOptions): unknown {
  if (name.includes('.')) {
    const value = rawValue(row, name);
    return o.display === 'all' ? { display_value: value, value } : value;
  }
  const f = row[name];
  if (f === undefined) return undefined;
  if (!isRef(f)) {
    const display = CHOICES[name]?.[f] ?? f;
    if (o.display === 'true') return display;
    return o.display === 'all' ? { display_value: display, value: f } : f;
  }
  const link = o.excludeLink ? {} : { link: `${o.baseUrl}/api/now/table/${f.table}/${f.value}` };
  if (o.display === 'true') return { display_value: f.display, ...link };
  if (o.display === 'all') return { display_value: f.display, ...link, value: f.value };
  return o.excludeLink ? f.value : { ...link, value: f.value };
}

export function renderRow(row: Row, o: RenderOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of o.fields ?? Object.keys(row)) {
    const value = renderField(row, name, o);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
