// Turns a Web API HTTP request into (token, args) the way Slack reads it.
import type { IncomingMessage } from 'node:http';
import type { SlackArgs } from './fakeSlackTypes.ts';

// WebClient form-encodes everything and sends nested values as JSON strings in these fields.
const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata', 'files'] as const;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type ParsedWebApiRequest = { token: string | undefined; args: SlackArgs } | { error: string };

export function parseWebApiRequest(req: IncomingMessage, body: string, query: URLSearchParams): ParsedWebApiRequest {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const args: SlackArgs = Object.fromEntries(query);
  if (body !== '') {
    if (contentType.startsWith('application/json')) {
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'invalid_json' };
        Object.assign(args, parsed);
      } catch {
        return { error: 'invalid_json' };
      }
    } else if (contentType.startsWith('application/x-www-form-urlencoded') || contentType === '') {
      Object.assign(args, Object.fromEntries(new URLSearchParams(body)));
    } else {
      return { error: 'invalid_form_data' };
    }
  }
  for (const field of JSON_FIELDS) {
    const raw = args[field];
    if (typeof raw !== 'string') continue;
    // Leave unparseable JSON as a string: the method answers invalid_blocks_format / invalid_arguments.
    try {
      args[field] = JSON.parse(raw);
    } catch {
      /* keep raw */
    }
  }
  const auth = req.headers.authorization;
  const bearer = auth?.match(/^Bearer\s+(.+)$/i)?.[1];
  const bodyToken = typeof args['token'] === 'string' ? args['token'] : undefined;
  delete args['token'];
  return { token: bearer ?? bodyToken, args };
}
