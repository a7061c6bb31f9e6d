// Drives `weir history-server`'s dashboard in Debian's headless Chromium
// through playwright-core: node history.mjs URL OUTDIR JOBID
//
// URL is a history server (web.HistoryServer) serving the archive of the
// ended job JOBID, which the Go test TestHistoryServerInBrowser wrote.
// It checks that the job list shows the job as FINISHED, that the job
// opens with its graph (a box per archived vertex), that each vertex, its
// checkpoints, a checkpoint's detail, its exceptions and configuration
// open; that no page shows "Invalid Date" or NaN where a time is unset
// (a dash instead), and that the header's badge says History and no page
// offers Cancel; it fails on any console error or
// warning, page error, failed request or HTTP error (a page asking for
// something the archive does not hold). OUTDIR receives a screenshot of
// each page. Kept apart from dashboard.mjs, which checks a live server.
// Exit status 0 when every check passed; otherwise 1 with the reason on
// stderr.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badTimes } from './times.mjs';

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
  // noBadTimes: no time on the page (text or tooltip) is "Invalid Date" or
  // has NaN in it: an unset time shows a dash.
  const noBadTimes = async (where) => {
    const bad = await badTimes(page);
    check(bad.length === 0, `${where} shows a bad time:\n  ${bad.join('\n  ')}`);
  };
  const shot = async (name) => {
    const file = join(outdir, `history-${name}`);
    await page.screenshot({ path: file, fullPage: true });
    log('screenshot', file);
  };

  // The header's badge says History (an archive does not change), and
  // no page offers to cancel.
  const historyBadge = async (where) => {
    await page.waitForFunction(() => document.getElementById('live')?.innerText.trim() === 'History');
    check((await page.locator('#live.live-history').count()) === 1, `${where}: the badge is not styled as history`);
    check((await page.locator('#cancel-job, [data-cancel]').count()) === 0, `${where}: a Cancel button shows on the history server`);
  };

  // 1. The job list holds the archived job, FINISHED.
  await page.goto(url);
  await page.waitForFunction(
    (id) => document.querySelector(`#jobs-table tr[data-key="${id}"]`)?.textContent.includes('FINISHED'),
    jid,
  );
  await historyBadge('history job list');
  await noBadTimes('history job list');
  await shot('1-jobs.png');
  noProblems('history job list');
  log('history job list ok:', jid, 'badge History');

  // 2. It opens: one box per vertex of the archived job, and the vertex
  // table shows no invalid time (a finished job's watermarks are at their
  // end, Long.MAX_VALUE).
  const api = async (path) => {
    const r = await page.request.get(new URL(path, url).href);
    check(r.ok(), `GET ${path}: ${r.status()}`);
    return r.json();
  };
  const detail = await api(`jobs/${jid}`);
  await page.locator(`#jobs-table tr[data-key="${jid}"] a`).first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#job-graph .vbox').length === n, detail.vertices.length);
  for (const v of detail.vertices) {
    check((await page.locator(`#job-graph .vbox[data-vertex="${v.id}"]`).count()) === 1, `no box for vertex ${v.name}`);
  }
  await page.waitForFunction((n) => document.querySelectorAll('#vertex-table tbody tr td.wm').length === n, detail.vertices.length);
  await historyBadge('history job graph');
  await noBadTimes('history job graph');
  const started = await page.locator('.jobhead .facts').innerText();
  check(/Started/i.test(started) && /Ended/i.test(started), `the job's header reads "${started}"`);
  await shot('2-job.png');
  noProblems('history job graph');
  log('history job graph ok:', detail.vertices.length, 'vertices');

  // 2b. Each vertex selected: its subtasks and watermarks.
  for (const v of detail.vertices) {
    await page.goto(new URL(`#/jobs/${jid}/vertices/${v.id}`, url).href);
    await page.locator('#subtask-table tbody tr').first().waitFor();
    await page.locator('#low-watermark').waitFor();
    await noBadTimes(`history vertex ${v.name}`);
  }
  await shot('2b-vertex.png');
  noProblems('history vertices');
  const wmCells = await page.locator('#vertex-table td.wm').allInnerTexts();
  // The vertices after the source ended with Long.MAX_VALUE: a dash and
  // "end of input", not a date.
  const ended = await page.locator('#vertex-table td.wm[data-wm="9223372036854775807"]').allInnerTexts();
  check(ended.length > 0, `no vertex's low watermark is Long.MAX_VALUE: ${wmCells.join(' | ')}`);
  for (const c of ended) check(/^–\s+end of input$/.test(c.trim()), `a watermark at the end of input reads "${c}"`);
  log('history vertices ok; low watermarks:', wmCells.map((x) => x.replace(/\s+/g, ' ')).join(' | '));

  // 3. Its checkpoints, a checkpoint's detail, exceptions and
  // configuration open from the archive.
  const cps = await api(`jobs/${jid}/checkpoints`);
  const pages = [['checkpoints', '3-checkpoints.png'], ['exceptions', '4-exceptions.png'], ['config', '5-config.png']];
  const done = (cps.history || []).find((c) => c.status === 'COMPLETED');
  if (done) pages.splice(1, 0, [`checkpoints/${done.id}`, '3b-checkpoint.png']);
  for (const [route, name] of pages) {
    await page.goto(new URL(`#/jobs/${jid}/${route}`, url).href);
    await page.waitForFunction(() => (document.getElementById('view')?.innerText || '').length > 50);
    if (route === `checkpoints/${done?.id}`) await page.locator('table.subtasks tbody tr[data-key]').first().waitFor();
    await page.waitForTimeout(300);
    await historyBadge(`history ${route}`);
    await noBadTimes(`history ${route}`);
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
