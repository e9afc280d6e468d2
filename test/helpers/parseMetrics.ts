/** One sample of the Prometheus text format: `name{label="value",...} number`. */
export type MetricSample = { readonly name: string; readonly labels: Record<string, string>; readonly value: number };

/** Parses the Prometheus text exposition format (as prom-client writes it); comments are checked for shape. */
export const parseMetrics = (text: string): MetricSample[] => {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (!/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/u.test(line)) throw new Error(`bad comment line: ${line}`);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/u.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/gu)) labels[l[1] ?? ''] = l[2] ?? '';
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1] ?? '', labels, value });
  }
  return samples;
};

/** The value of the one sample with this name whose labels include `labels` (undefined when none). */
export const sampleValue = (samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
