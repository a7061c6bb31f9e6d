// Drives `weir history-server`'s dashboard in Debian's headless Chromium
// through playwright-core: node history.mjs URL OUTDIR JOBID
//
// URL is a history server (web.HistoryServer) serving the archive of the
// ended job JOBID, which the Go test TestHistoryServerInBrowser wrote.
// It checks that the job list shows the job as FINISHED, that the job
// opens with its graph (a box per archived vertex), and that its
// checkpoints and exceptions pages open; it fails on any console error or
// warning, page error, failed request or HTTP error (a page asking for
// something the archive does not hold). OUTDIR receives a screenshot of
// each page. Kept apart from dashboard.mjs, which checks a live server.
// Exit status 0 when every check passed; otherwise 1 with the reason on
// stderr.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, outdir, jid] = process.argv.slice(2);
if (!url || !outdir || !jid) {
  console.error('usage: node history.mjs URL OUTDIR JOBID');
  process.exit(2);
}
const log = (...a) => console.log('e2e:', ...a);
function check(ok, msg) {
  if (!ok) throw new Error(msg);
}

await mkdir(outdir, { recursive: true });
const profile = await mkdtemp(join(tmpdir(), 'weir-e2e-history-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
  timezoneId: 'UTC',
  locale: 'en-US',
});
const problems = [];
let failed = false;
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(20000);
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText || '';
    if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.method()} ${r.url()}: ${why}`);
  });
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`));
  const noProblems = (where) => check(problems.length === 0, `${where}:\n  ${problems.join('\n  ')}`);
  const shot = async (name) => {
    const file = join(outdir, `history-${name}`);
    await page.screenshot({ path: file, fullPage: true });
    log('screenshot', file);
  };

  // 1. The job list holds the archived job, FINISHED.
  await page.goto(url);
  await page.waitForFunction(
    (id) => document.querySelector(`#jobs-table tr[data-key="${id}"]`)?.textContent.includes('FINISHED'),
    jid,
  );
  await shot('1-jobs.png');
  noProblems('history job list');
  log('history job list ok:', jid);

  // 2. It opens: one box per vertex of the archived job.
  const r = await page.request.get(new URL(`jobs/${jid}`, url).href);
  check(r.ok(), `GET jobs/${jid}: ${r.status()}`);
  const detail = await r.json();
  await page.locator(`#jobs-table tr[data-key="${jid}"] a`).first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#job-graph .vbox').length === n, detail.vertices.length);
  for (const v of detail.vertices) {
    check((await page.locator(`#job-graph .vbox[data-vertex="${v.id}"]`).count()) === 1, `no box for vertex ${v.name}`);
  }
  await shot('2-job.png');
  noProblems('history job graph');
  log('history job graph ok:', detail.vertices.length, 'vertices');

  // 3. Its checkpoints and exceptions pages open from the archive.
  for (const [route, name] of [['checkpoints', '3-checkpoints.png'], ['exceptions', '4-exceptions.png']]) {
    await page.goto(new URL(`#/jobs/${jid}/${route}`, url).href);
    await page.waitForFunction(() => (document.getElementById('view')?.innerText || '').length > 50);
    await page.waitForTimeout(300);
    await shot(name);
    noProblems(`history ${route}`);
    log(`history ${route} ok`);
  }
} catch (e) {
  failed = true;
  console.error(`e2e history: ${e.message}`);
} finally {
  await ctx.close();
  await rm(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
