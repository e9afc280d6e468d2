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

  it("links only to http(s) targets and to the console's own file downloads", async () => {
    const hrefs: string[] = [];
    for (const file of (await readdir(STATIC)).filter((f) => f.endsWith('.js'))) {
      const source = await readFile(path.join(STATIC, file), 'utf8');
      hrefs.push(...[...source.matchAll(/\.href = ([^;]+);/gu)].map((m) => m[1] ?? ''));
      // Files are offered as downloads (the route answers with Content-Disposition: attachment), never opened inline.
      if (file === 'console.js') expect(source).toMatch(/el\('a', \{ class: 'file-link', [^}]*download: ''/u);
    }
    // `parsed.href`: a URL already checked to be http(s) (blockKit's link()); the other: the console's download route.
    expect(hrefs.sort()).toEqual(['`/console/api/file?id=${encodeURIComponent(f.id)}&user=${encodeURIComponent(me)}`', 'parsed.href']);
  });

  it('loads no script, style or font from another origin and runs no inline script', async () => {
    const html = await readFile(path.join(STATIC, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//u);
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>|\bon[a-z]+="/u);
    const css = await readFile(path.join(STATIC, 'console.css'), 'utf8');
    expect(css).not.toMatch(/@import|url\(/u);
  });
});
