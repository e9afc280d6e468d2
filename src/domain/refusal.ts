/**
 * A refusal is an expected "no" shown to the person (with what to do next); it is data, never thrown.
 * Faults (bugs, outages) are thrown errors, logged with a correlation id. `message` is plain text (it
 * may quote ServiceNow, host names or what the person typed): whoever puts it into mrkdwn escapes it.
 */
export type Refusal = { readonly ok: false; readonly code: string; readonly message: string };

export const refuse = (code: string, message: string): Refusal => ({ ok: false, code, message });
