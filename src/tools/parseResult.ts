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
 * Finds the LAST line starting with `PCM_RESULT ` and validates it. Returns undefined when there is
 * no such line or it does not parse, which is what a truncated stdout (SSM keeps only the first
 * 24,000 characters) or a script killed mid-print looks like. An earlier result line is never used
 * in place of a broken last one: that would report a stale verdict.
 */
export const parsePcmResult = (stdout: string): PcmResult | undefined => {
  const lines = stdout.split(/\r?\n/u);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i];
    if (line === undefined || !line.startsWith(PCM_RESULT_PREFIX)) continue;
    let json: unknown;
    try {
      json = JSON.parse(line.slice(PCM_RESULT_PREFIX.length));
    } catch {
      return undefined;
    }
    const parsed = pcmResultSchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }
  return undefined;
};
