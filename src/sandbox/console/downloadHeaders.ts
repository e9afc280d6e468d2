// A file the bot uploaded, offered by the console as a download: its name comes from data (a run's tool, action,
// ids), so the header carries a sanitised ASCII name only, and the type is never one a browser renders as a page.

/** Always an attachment, named with letters, digits, dot, dash and underscore only; CSV or text as such, else bytes. */
export const downloadHeaders = (name: string): { 'content-type': string; 'content-disposition': string } => {
  const safe =
    name
      .replace(/[^A-Za-z0-9._-]+/gu, '_')
      .replace(/^[._-]+/u, '')
      .slice(0, 120) || 'file';
  const type = /\.csv$/iu.test(safe)
    ? 'text/csv; charset=utf-8'
    : /\.txt$/iu.test(safe)
      ? 'text/plain; charset=utf-8'
      : 'application/octet-stream';
  return { 'content-type': type, 'content-disposition': `attachment; filename="${safe}"` };
};
