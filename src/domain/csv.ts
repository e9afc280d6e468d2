/**
 * One CSV field per RFC 4180, neutralised against formula injection: a value from a host that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula by a spreadsheet, so it gets a
 * leading apostrophe (OWASP "CSV injection"). Fields are quoted when they hold a comma, quote or line break.
 */
export const csvField = (value: string | number | boolean | null | undefined): string => {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/u.test(text) ? `'${text}` : text;
  return /[",\r\n]/u.test(safe) ? `"${safe.replace(/"/gu, '""')}"` : safe;
};

/** A CSV document: a header line and one line per row, CRLF-terminated (RFC 4180). */
export const csvDocument = <Row>(
  columns: readonly { readonly header: string; readonly value: (row: Row) => string | number | boolean | null | undefined }[],
  rows: Iterable<Row>,
): string => {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
};
