// Public shapes of the fake ServiceNow's configuration and recorded state.

/** A reference field (assignment_group, cmdb_ci…): sys_id plus the name shown in display mode. */
export interface FakeReference {
  value: string;
  display_value?: string;
}

/** A change as a test describes it; missing fields get ServiceNow-like defaults. */
export interface FakeChange {
  number: string;
  /** 32 hex chars; derived from the number when omitted (stable across runs). */
  sys_id?: string;
  /** State code as ServiceNow stores it, a string: "-1" = Implement. Default "-1". */
  state?: string;
  /** "YYYY-MM-DD HH:mm:ss" in UTC, or "" when unset. */
  start_date?: string;
  end_date?: string;
  assignment_group?: FakeReference | '';
  short_description?: string;
  /** normal | standard | emergency. Default normal. */
  type?: string;
  cmdb_ci?: FakeReference | '';
  /** Affected CI names, served from task_ci. */
  cis?: string[];
  /** Other plain fields (approval, risk, …), returned as given. */
  fields?: Record<string, string>;
}

export interface WorkNote {
  value: string;
  at: Date;
  /** The user the PATCH authenticated as. */
  by: string;
}

/** A change as the fake stores it. */
export interface StoredChange extends Required<Omit<FakeChange, 'fields'>> {
  fields: Record<string, string>;
  workNotes: WorkNote[];
  sys_created_on: string;
  sys_updated_on: string;
}

export type ServiceNowMode = 'up' | 'down' | 'malformed' | 'slow';
/** not-json: truncated JSON; wrong-shape: valid JSON the bot must refuse; html: an HTML login page with 200. */
export type MalformedVariant = 'not-json' | 'wrong-shape' | 'html';

export interface FakeServiceNowOptions {
  /** Basic-auth user and password. Default 'pcm.bot' / 'pcm-bot-password'. */
  user?: string;
  password?: string;
  /** Enables POST /oauth_token.do for these client credentials. */
  oauth?: { clientId: string; clientSecret: string; tokenTtlSeconds?: number };
  changes?: FakeChange[];
  /** Affected CI names by change sys_id (or number); merged with FakeChange.cis. */
  cis?: Record<string, string[]>;
  /** Delay in 'slow' mode. Default 2000 ms. */
  slowMs?: number;
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** How the request authenticated: basic, bearer, none, or invalid (wrong credentials/token). */
  auth: 'basic' | 'bearer' | 'none' | 'invalid';
  status: number;
  at: Date;
}
