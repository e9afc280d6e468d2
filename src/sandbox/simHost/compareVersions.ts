/** Natural version order, enough for kernel release strings. */
export const compareVersions = (a: string, b: string): number => {
  const ta = a.match(/\d+|\D+/gu) ?? [];
  const tb = b.match(/\d+|\D+/gu) ?? [];
  for (let i = 0; i < Math.max(ta.length, tb.length); i += 1) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (/^\d/u.test(x) && /^\d/u.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};
