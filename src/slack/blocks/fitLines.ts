/**
 * Joins `lines` under `heading` into at most `max` characters, cutting on line boundaries; when lines are
 * left out, the last line says how many (`more(n)`), and that line always fits. A single overlong line is
 * shortened with an ellipsis rather than dropped.
 */
export const fitLines = (heading: string, lines: readonly string[], max: number, more: (left: number) => string): string => {
  const out: string[] = [heading];
  let used = heading.length;
  for (let i = 0; i < lines.length; i++) {
    const left = lines.length - i - 1;
    // Room kept for the "…and N more" line whenever lines could still be left out.
    const reserve = left > 0 ? more(lines.length).length + 1 : 0;
    let line = lines[i] ?? '';
    const room = max - used - 1 - reserve;
    if (line.length > room && i === 0 && room > 20) line = `${line.slice(0, room - 1)}…`;
    if (line.length > room && !(left === 0 && used + 1 + line.length <= max)) {
      const moreLine = more(lines.length - i);
      if (used + 1 + moreLine.length <= max) out.push(moreLine);
      return out.join('\n');
    }
    out.push(line);
    used += 1 + line.length;
  }
  return out.join('\n');
};
