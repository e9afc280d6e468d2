// The console page renders text from the bot, people, hosts and ServiceNow: only through textContent and DOM
// properties, never as HTML, and it loads nothing from elsewhere.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const STATIC = path.resolve('src/sandbox/console/static');

describe('console page', () => {
  it('never parses data as HTML', async () => {
    for (const file of (await readdir(STATIC)).filter((f) => f.endsWith('.js'))) {
      const source = await readFile(path.join(STATIC, file), 'utf8');
      expect(source, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|srcdoc/u);
    }
  });

  it('loads no script, style or font from another origin and runs no inline script', async () => {
    const html = await readFile(path.join(STATIC, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//u);
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>|\bon[a-z]+="/u);
    const css = await readFile(path.join(STATIC, 'console.css'), 'utf8');
    expect(css).not.toMatch(/@import|url\(/u);
  });
});
