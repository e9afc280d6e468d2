// The console serves the files the bot uploaded as downloads: whatever the name (it comes from data), the
// header carries a plain ASCII name and the type is never one a browser would render as a page.
import { describe, expect, it } from 'vitest';
import { downloadHeaders } from '../../src/sandbox/console/downloadHeaders.ts';

describe('downloadHeaders', () => {
  it('serves CSV and text as such, always as an attachment', () => {
    expect(downloadHeaders('results-1a2b3c4d.csv')).toEqual({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="results-1a2b3c4d.csv"',
    });
    expect(downloadHeaders('targets.TXT')['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('never lets a name break out of the header or pick an HTML type', () => {
    for (const name of [
      'a"; filename=evil.html',
      'x\r\nSet-Cookie: a=b',
      '../../etc/passwd',
      'ré sults ✓.csv',
      '<script>.html',
      'page.htm',
      '',
    ]) {
      const headers = downloadHeaders(name);
      const disposition = headers['content-disposition'];
      expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9][A-Za-z0-9._-]*"$/u);
      expect(disposition).not.toMatch(/\.\.|\/|\r|\n/u);
      expect(headers['content-type']).not.toMatch(/html|javascript|svg|xml/u);
    }
    expect(downloadHeaders('<script>.html')['content-type']).toBe('application/octet-stream');
    expect(downloadHeaders('')['content-disposition']).toBe('attachment; filename="file"');
  });
});
