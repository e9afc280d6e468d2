import { z } from 'zod';

/**
 * The one machine-readable line every tool script prints last on stdout:
 * `PCM_RESULT {"status":"ok","summary":"…","details":{…}}`.
 * Exit codes of the scripts: 0 ok/warn, 1 fail, 2 unsupported, 3 unexpected script error.
 */
export const PCM_RESULT_PREFIX = 'PCM_RESULT ';

const SUMMARY_MAX = 200;

/** Detail values are deliberately flat: simple values or string lists (e.g. failed units). */
export const pcmDetailValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

export const pcmResultSchema = z.object({
  status: z.enum(['ok', 'warn', 'fail', 'unsupported']),
  // Scripts keep it to 200 characters; a longer one is cut rather than losing the whole result.
  summary: z.string().transform((s) => (s.length > SUMMARY_MAX ? `${s.slice(0, SUMMARY_MAX - 1)}…` : s)),
  details: z.record(z.string(), pcmDetailValueSchema).default({}),
});

export type PcmResult = z.infer<typeof pcmResultSchema>;
export type PcmResultStatus = PcmResult['status'];

/**
 * Takes the result from the LAST non-empty line of stdout only, and validates it. Anything printed
 * before that line is human output: an earlier `PCM_RESULT …` line (a compromised host, or a log line
 * echoing user data) is never a verdict. Returns undefined when the last non-empty line is not a
 * valid result line, which is also what a truncated stdout looks like (SSM keeps the beginning, the
 * agent appends a truncation marker, and the script prints its result last) or a script killed
 * mid-print: no stale or planted verdict stands in for the real one.
 */
export const parsePcmResult = (stdout: string): PcmResult | undefined => {
  const lines = stdout.split(/\r?\n/u);
  let last: string | undefined;
  for (let i = lines.length - 1; i >= 0 && last === undefined; i -= 1) {
    if (lines[i]?.trim()) last = lines[i];
  }
  if (last === undefined || !last.startsWith(PCM_RESULT_PREFIX)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(last.slice(PCM_RESULT_PREFIX.length));
  } catch {
    return undefined;
  }
  const parsed = pcmResultSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
};
