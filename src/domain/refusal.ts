/**
 * A refusal is an expected "no" shown to the person (with what to do next); it is data, never thrown, and
 * audited with its code and reason. Faults (bugs, outages) are thrown errors, logged with a correlation id.
 * `message` is plain text (it may quote ServiceNow, host names or what the person typed): whoever puts it
 * into mrkdwn escapes it. `field` places it under a form field; `fields` carries one message per field when
 * a form fails validation in several places at once (then `message` says it all in one text).
 */
export type Refusal = {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly fields?: Readonly<Record<string, string>>;
};

export const refuse = (code: string, message: string, field?: string): Refusal =>
  field === undefined ? { ok: false, code, message } : { ok: false, code, message, field };
