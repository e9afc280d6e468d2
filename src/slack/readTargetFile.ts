import type { WebClient } from '@slack/web-api';
import type { TargetFileContent } from '../runs/submitRun.ts';

/** Slack's cap for a file_input upload, and ours for what the bot downloads. */
export const MAX_TARGET_FILE_BYTES = 10 * 1024 * 1024;

/** Reads file `fileId`, which `uploaderId` (the person submitting) must have uploaded. */
export type TargetFileReader = (client: WebClient, fileId: string, uploaderId: string) => Promise<TargetFileContent>;

const refused = (message: string): TargetFileContent => ({ ok: false, message });

/** Slack's own file host; in tests and the local console, the simulator serving SLACK_API_URL. */
const SLACK_FILES_ORIGIN = 'https://files.slack.com';

const slackError = (error: unknown): string | undefined => (error as { data?: { error?: unknown } }).data?.error as string | undefined;

/**
 * Reads a file uploaded in the request modal: `files.info` with the bot token (scope files:read), then
 * `url_private_download` with `Authorization: Bearer <bot token>`, bounded in size and time. Every failure
 * is a message for the modal's file field, never a throw: the request fails closed, the person can fix it.
 * The token is sent only to Slack's file host (or the configured Slack API's origin), whatever files.info says.
 */
export const createTargetFileReader = (deps: {
  readonly token: string;
  /** SLACK_API_URL when set (simulator): its origin serves the files. */
  readonly apiUrl?: string | undefined;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}): TargetFileReader => {
  const maxBytes = deps.maxBytes ?? MAX_TARGET_FILE_BYTES;
  const timeoutMs = deps.timeoutMs ?? 20_000;
  const doFetch = deps.fetch ?? fetch;
  const origins = new Set([SLACK_FILES_ORIGIN, ...(deps.apiUrl ? [new URL(deps.apiUrl).origin] : [])]);
  const tooBig = `The file is larger than ${maxBytes / (1024 * 1024)} MB; split it, or use a tag.`;

  return async (client, fileId, uploaderId) => {
    let info:
      { name?: string; user?: string; filetype?: string; size?: number; url_private_download?: string; url_private?: string } | undefined;
    try {
      info = (await client.files.info({ file: fileId })).file;
    } catch (error) {
      const code = slackError(error);
      if (code === 'file_not_found' || code === 'file_deleted') return refused('The uploaded file is gone; upload it again.');
      if (code === 'missing_scope') return refused('The bot may not read uploaded files (scope files:read); ask an admin to reinstall it.');
      return refused(`Slack did not describe the uploaded file (${code ?? (error as Error).name}); try again.`);
    }
    if (!info) return refused('Slack did not describe the uploaded file; upload it again.');
    // A forged submission could name any file the bot can see (and the errors quote its lines): only the person's own upload.
    if (info.user !== uploaderId) return refused('Upload the file in this form yourself.');
    const name = info.name ?? 'file';
    // Slack checks `filetypes` in the client only ("for convenience"): check the kind here.
    if (!/\.(txt|csv)$/iu.test(name) && !['text', 'csv'].includes(info.filetype ?? ''))
      return refused('Upload a .txt or .csv file: one instance id or computer name per line, or a CSV with a header.');
    if ((info.size ?? 0) > maxBytes) return refused(tooBig);
    const href = info.url_private_download ?? info.url_private;
    let url: URL;
    try {
      url = new URL(href ?? '');
    } catch {
      return refused('Slack gave no download address for the file; upload it again.');
    }
    if (!origins.has(url.origin)) return refused('The file is not on Slack’s file host; the bot does not send its token elsewhere.');

    try {
      const response = await doFetch(url, {
        headers: { authorization: `Bearer ${deps.token}` },
        // Without a valid token Slack redirects to its sign-in page (HTML): never follow it and read a login page as data.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return refused(`Slack refused the download (HTTP ${response.status}); upload the file again.`);
      }
      if ((response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/html')) {
        await response.body?.cancel();
        return refused('Slack answered the download with a web page, not the file; upload it again.');
      }
      if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
        await response.body?.cancel();
        return refused(tooBig);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body ?? []) {
        size += chunk.byteLength;
        // Leaving the loop cancels the stream: no more than the cap is ever read.
        if (size > maxBytes) return refused(tooBig);
        chunks.push(chunk);
      }
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
      } catch {
        return refused('The file is not UTF-8 text; save it as a plain text or CSV file.');
      }
      return { ok: true, name, text };
    } catch (error) {
      const e = error as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return refused(`The download did not finish within ${timeoutMs / 1000} s; try again.`);
      return refused(`The download failed (${e.name}); try again.`);
    }
  };
};
