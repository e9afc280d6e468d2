// The local console in a real browser (Debian's chromium, driven by playwright-core): the page drives
// the real bot through signed requests, the real scripts run on the simulated hosts. Every wait is on a
// condition, with generous timeouts, so a loaded 2-core machine only makes it slower.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';

const WAIT = { timeout: 60_000 };
let bot: LaunchedBot;
let browser: BrowserContext;
let page: Page;
const dirs: string[] = [];

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pcm-console-data-'));
  const profileDir = await mkdtemp(path.join(tmpdir(), 'pcm-console-chromium-'));
  dirs.push(dataDir, profileDir);
  // No Slack settings: `npm start` is the local console.
  bot = await launchBot({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, { readyTimeoutMs: 180_000 });
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(60_000);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await bot?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const actAs = async (user: string): Promise<void> => {
  await page.selectOption('#user-switcher', user);
};
const CHANNELS = { ops: 'C0OPSCHAN', 'ops-approvals': 'C0APPROVALS' } as const;
const openChannel = async (name: keyof typeof CHANNELS): Promise<void> => {
  await page.locator(`#channel-list button[data-channel="${CHANNELS[name]}"]`).click();
  await expect.poll(() => page.locator('#main-header').textContent(), WAIT).toBe(`# ${name}`);
};
/**
 * Types into an external select until the bot's options include `value`, then picks it. The options handler
 * answers with nothing when its search outlasts Slack's 3 s (a loaded machine): type again, as a person would.
 */
const pick = async (select: ReturnType<Page['locator']>, query: string, value: string): Promise<void> => {
  const box = select.locator('input[type=text]');
  const option = select.locator(`.suggestions button[data-value="${value}"]`);
  await expect
    .poll(async () => {
      if (await option.isVisible()) return true;
      await box.fill('');
      await box.fill(query);
      await select
        .locator('.suggestions:not([hidden])')
        .waitFor({ timeout: 20_000 })
        .catch(() => undefined);
      return option.isVisible();
    }, WAIT)
    .toBe(true);
  await option.click();
  await select.locator(`.chip[data-value="${value}"]`).waitFor(WAIT);
};
/** Clicks a button and accepts its confirm dialog when it has one. */
const clickConfirmed = async (button: ReturnType<Page['locator']>): Promise<void> => {
  await button.click();
  const dialog = page.locator('#dialog-layer .dialog');
  if (await dialog.isVisible()) await dialog.locator('footer button').last().click();
};

describe('the local console', () => {
  it('requests an Initial QC on three instances, refuses self-approval, approves as another user and shows the output', async () => {
    await page.goto(`${bot.url}/console?user=U0OPERATOR`);
    // The fleet panel lists the simulated instances; take three online RHEL web servers of prod-com.
    await page.locator('#open-fleet').click();
    const rows = page.locator('table.fleet tbody tr', { hasText: 'prod-web-rhel-east' });
    await expect.poll(() => rows.count(), WAIT).toBeGreaterThanOrEqual(3);
    const ids = await Promise.all([0, 1, 2].map((i) => rows.nth(i).getAttribute('data-instance')));
    expect(ids.every((id) => id?.startsWith('i-'))).toBe(true);

    await openChannel('ops');
    const modal = page.locator('#modal-layer .modal');
    const fillRequest = async (change: string): Promise<void> => {
      await page.locator('#message-box').fill('/qc-prep');
      await page.locator('#message-box').press('Enter');
      await modal.locator('#in-instances').waitFor(WAIT);
      // The three target sources, one id each: typed; picked in the type-ahead picker (3+ characters ask the bot's
      // options handler); a local .txt file in the file input (the bot reads it with files.info and the private download).
      await modal.locator('#in-instances').fill(ids[1] ?? '');
      await pick(modal.locator('#in-targets_picker'), ids[0]?.slice(0, 12) ?? '', ids[0] ?? '');
      await modal
        .locator('#in-targets_file input[type=file]')
        .setInputFiles({ name: 'targets.txt', mimeType: 'text/plain', buffer: Buffer.from(`# one more\n${ids[2] ?? ''}\n`) });
      await expect.poll(() => modal.locator('[data-file-status]').textContent(), WAIT).toMatch(/^Uploaded targets\.txt/u);
      await modal.locator('#in-change').fill(change);
      await modal.locator('footer button[type=submit]').click();
    };
    // The bot answers within Slack's 3 s in the modal itself; when its checks take longer (a loaded machine) it
    // shows them in a notice modal instead. Either way the person sees the outcome in the modal.
    // (allTextContents: reads what is there now, without waiting for an element.)
    const notice = modal.filter({ hasNot: page.locator('footer button[type=submit]') });
    const closeNotice = async (): Promise<void> => {
      if ((await notice.count()) > 0) await notice.locator('footer button').click();
      await modal.waitFor({ state: 'detached', ...WAIT });
    };

    // A malformed change number: the bot's validation error is shown in the modal, under the field.
    await fillRequest('CHG12');
    const validation = 'A ServiceNow change number looks like CHG0012345.';
    await expect
      .poll(
        async () =>
          [...(await modal.locator('[data-error-for="change"]').allTextContents()), ...(await notice.allTextContents())].join(' '),
        WAIT,
      )
      .toContain(validation);
    if ((await notice.count()) > 0) {
      await closeNotice();
      await fillRequest('CHG0012345');
    } else {
      await modal.locator('#in-change').fill('CHG0012345');
      await modal.locator('footer button[type=submit]').click();
    }
    await expect
      .poll(async () => (await modal.count()) === 0 || (await notice.allTextContents()).join(' ').includes('Submitted'), WAIT)
      .toBe(true);
    await closeNotice();

    // The requester's own Approve is refused (an ephemeral only they see).
    await openChannel('ops-approvals');
    const approval = page.locator('#timeline article.message', { has: page.locator('button[data-action-id="approve_run"]') }).last();
    await approval.waitFor(WAIT);
    // The approval's thread carries the complete target list, as a CSV to download.
    await approval.locator('.thread-link').click();
    await page.locator('#thread a.file-link[href^="/console/api/file?"]', { hasText: 'Targets of run' }).waitFor(WAIT);
    await clickConfirmed(approval.locator('button[data-action-id="approve_run"]'));
    const refusal = page.locator('#timeline article.ephemeral', { hasText: 'cannot approve your own request' });
    await refusal.waitFor(WAIT);

    // Another person approves.
    await actAs('U0APPROVER');
    await expect.poll(() => refusal.count(), WAIT).toBe(0);
    await clickConfirmed(approval.locator('button[data-action-id="approve_run"]'));

    // The run's thread reaches succeeded.
    await openChannel('ops');
    const runMessage = page.locator('#timeline article.message', { hasText: 'Initial QC' }).last();
    await runMessage.waitFor(WAIT);
    await expect.poll(async () => (await runMessage.textContent())?.toLowerCase() ?? '', { timeout: 120_000 }).toContain('succeeded');
    await runMessage.locator('.thread-link').click();
    await expect.poll(async () => (await page.locator('#thread').textContent()) ?? '', WAIT).toMatch(/Finished: . ?succeeded/u);

    // The results CSV, uploaded by the bot into the run's thread: a download link, served as an attachment.
    const csvLink = page.locator('#thread a.file-link', { hasText: 'results' });
    await csvLink.waitFor(WAIT);
    const href = (await csvLink.getAttribute('href')) ?? '';
    const download = await fetch(new URL(href, bot.url));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/u);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="results-[\w.-]+\.csv"$/u);
    const csv = await download.text();
    const csvRows = csv.trim().split(/\r?\n/u).slice(1);
    expect(csvRows).toHaveLength(3);
    for (const id of ids) expect(csvRows.some((r) => r.includes(id ?? '-'))).toBe(true);
    // Only for the console's people, and only files the bot shared.
    const fileUrl = new URL(href, bot.url);
    fileUrl.searchParams.set('user', 'U0NOBODY00');
    expect((await fetch(fileUrl)).status).toBe(404);
    expect((await fetch(new URL('/console/api/file?id=F0NOSUCH&user=U0OPERATOR', bot.url))).status).toBe(404);

    // "View output of an instance…" in the finished summary: the bot's options (the run's instances), then its modal.
    await pick(page.locator('#thread [data-external="view_output"]'), ids[0]?.slice(0, 5) ?? '', ids[0] ?? '');
    const outputModal = page.locator('#modal-layer .modal[aria-label="Instance output"]');
    await outputModal.waitFor(WAIT);
    await expect.poll(async () => (await outputModal.textContent()) ?? '', WAIT).toContain(ids[0] ?? '-');
    expect(await outputModal.textContent()).toContain('PCM_RESULT');
    await outputModal.locator('footer button').click();
    await outputModal.waitFor({ state: 'detached', ...WAIT });

    // One instance's output, from its simulated host (the fleet panel).
    await page.locator('#open-fleet').click();
    const output = page.locator(`button[data-output="${ids[0] ?? ''}"]`);
    await expect.poll(() => output.isEnabled(), WAIT).toBe(true);
    await output.click();
    const stdout = page.locator('.output-dialog pre[data-stream="stdout"]');
    await stdout.waitFor(WAIT);
    expect(await stdout.textContent()).toContain('PCM_RESULT');
    expect(await page.locator('.output-dialog').textContent()).toContain('initial-qc');
    await page.locator('.output-dialog footer button').click();

    // App Home: opening it sends app_home_opened; the bot publishes the view the page renders.
    await page.locator('#open-home').click();
    await page.locator('#timeline .blocks .block').first().waitFor(WAIT);

    // The finished run, for the README.
    await openChannel('ops');
    // The README's picture is refreshed on request (UPDATE_SCREENSHOT=1 npm test); other runs leave the tree clean.
    await page.screenshot({ path: path.resolve(process.env['UPDATE_SCREENSHOT'] ? 'docs/console.png' : '.data/console.png') });
  }, 420_000);
});
