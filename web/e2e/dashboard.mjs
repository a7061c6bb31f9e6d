// Drives Weir's dashboard in Debian's headless Chromium through
// playwright-core: node dashboard.mjs URL OUTDIR
//
// URL is the dashboard of a server running a job (the Go test
// TestDashboardInBrowser starts one); OUTDIR receives a screenshot of each
// page. It checks the job list, the job graph, the checkpoints page and one
// checkpoint's detail, fails on any console error, page error, failed
// request or HTTP error, and ends with a simulated API outage to check that
// the page stays and a banner says so. Exit status 0 when every check
// passed; otherwise 1 with the reason on stderr.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node dashboard.mjs URL OUTDIR');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 20000;

const log = (...a) => console.log('e2e:', ...a);
function check(ok, msg) {
  if (!ok) throw new Error(msg);
}

await mkdir(outdir, { recursive: true });
const profile = await mkdtemp(join(tmpdir(), 'weir-e2e-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  timezoneId: 'UTC',
  locale: 'en-US',
});

const problems = [];
let watching = true;
let failed = false;
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(STEP_MS);
  page.on('console', (m) => {
    if (watching && (m.type() === 'error' || m.type() === 'warning')) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watching && problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A fetch the dashboard aborts itself on leaving a page is no failure.
    const why = r.failure()?.errorText || '';
    if (watching && why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.method()} ${r.url()}: ${why}`);
  });
  page.on('response', (r) => {
    if (watching && r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  const noProblems = (where) => check(problems.length === 0, `${where}:\n  ${problems.join('\n  ')}`);
  const shot = async (name) => {
    const file = join(outdir, `dashboard-${name}`);
    await page.screenshot({ path: file, fullPage: true });
    log('screenshot', file);
  };
  const api = async (path) => {
    const r = await page.request.get(new URL(path, url).href);
    check(r.ok(), `GET ${path}: ${r.status()}`);
    return r.json();
  };

  // 1. Job list: the job is there and RUNNING.
  await page.goto(url);
  const jobs = (await api('jobs/overview')).jobs;
  check(jobs.length >= 1, 'the REST API lists no job');
  const job = jobs[0];
  const row = page.locator('#jobs-table tbody tr', { hasText: job.name });
  await row.first().waitFor();
  await page.waitForFunction(
    (jid) => document.querySelector(`#jobs-table tr[data-key="${jid}"]`)?.textContent.includes('RUNNING'),
    job.jid,
  );
  check((await page.locator('#view').innerText()).length > 50, 'job list page is (nearly) empty');
  await page.waitForTimeout(300);
  await shot('1-jobs.png');
  noProblems('job list');
  log('job list ok:', job.name, job.jid);

  // 2. Job graph: every vertex as a box with a backpressure badge; some
  // backpressure shows (the test job's sink is slow). Boxes are updated in
  // place, never replaced (no flicker).
  await row.first().locator('a').first().click();
  const detail = await api(`jobs/${job.jid}`);
  const nv = detail.vertices.length;
  check(nv >= 2, `job has ${nv} vertices`);
  await page.waitForFunction(
    (n) => {
      const boxes = document.querySelectorAll('#job-graph .vbox');
      return boxes.length === n && [...boxes].every((b) => /^(OK|LOW|HIGH)$/.test(b.querySelector('.bp')?.textContent.trim()));
    },
    nv,
  );
  for (const v of detail.vertices) {
    const box = page.locator(`#job-graph .vbox[data-vertex="${v.id}"]`);
    check((await box.count()) === 1, `no box for vertex ${v.name} (${v.id})`);
    check((await box.innerText()).includes(v.name.slice(0, 12)), `box of ${v.id} does not name ${v.name}`);
  }
  const edges = await page.locator('#job-graph svg.edges path[marker-end]').count();
  check(edges >= nv - 1, `graph draws ${edges} edges for ${nv} vertices`);
  await page.waitForFunction(
    () => [...document.querySelectorAll('#job-graph .vbox .bp')].some((b) => /LOW|HIGH/.test(b.textContent)),
    null,
    { timeout: 15000 },
  );
  await page.evaluate(() => {
    window.__removed = 0;
    new MutationObserver((ms) => {
      for (const m of ms) for (const n of m.removedNodes) if (n.nodeType === 1 && n.matches('.vbox, tr')) window.__removed++;
    }).observe(document.getElementById('view'), { childList: true, subtree: true });
  });
  // Select the most backpressured... rather, the last vertex (the sink):
  // its subtasks appear below the graph.
  const sinkId = detail.vertices[nv - 1].id;
  await page.locator(`#job-graph .vbox[data-vertex="${sinkId}"]`).click();
  await page.locator('#subtask-table tbody tr').first().waitFor();
  // Watch at least two live updates: each poll loads the selected vertex
  // and renders before the next poll starts, so its third answer from now
  // comes after two more renders.
  for (let i = 0; i < 3; i++) {
    await page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(`/jobs/${job.jid}/vertices/${sinkId}`));
  }
  const removed = await page.evaluate(() => window.__removed);
  check(removed === 0, `${removed} graph boxes or table rows were replaced during live updates (flicker)`);
  const levels = await page.locator('#job-graph .vbox .bp').allInnerTexts();
  await shot('2-graph.png');
  noProblems('job graph');
  log('job graph ok:', nv, 'vertices, levels', levels.join(' '));

  // 3. Checkpoints: counts, a drawn chart, and a history that grows live.
  await page.locator('a.tab', { hasText: 'Checkpoints' }).click();
  await page.locator('#checkpoint-history tbody tr').first().waitFor();
  await page.locator('#checkpoint-chart canvas').first().waitFor();
  const firstId = async () => Number(await page.locator('#checkpoint-history tbody tr.link').first().getAttribute('data-key').then((k) => k.slice(1)));
  const id0 = await firstId();
  await page.waitForFunction(
    (id) => Number(document.querySelector('#checkpoint-history tbody tr.link')?.dataset.key.slice(1)) > id,
    id0,
    { timeout: 10000 },
  );
  const id1 = await firstId();
  check(id1 > id0, `history did not grow: newest id ${id0} then ${id1}`);
  const inked = await page.evaluate(() => {
    const c = document.querySelector('#checkpoint-chart canvas');
    if (!c || !c.width || !c.height) return -1;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  check(inked > 500, `checkpoint chart canvas is blank (${inked} painted pixels)`);
  const rows = await page.locator('#checkpoint-history tbody tr.link').count();
  await shot('3-checkpoints.png');
  noProblems('checkpoints');
  log(`checkpoints ok: newest id ${id0} -> ${id1}, ${rows} rows, ${inked} chart pixels`);

  // 4. One checkpoint's detail: per vertex and per subtask.
  const done = page.locator('#checkpoint-history tbody tr.link', { hasText: 'COMPLETED' }).first();
  const cid = (await done.getAttribute('data-key')).slice(1);
  await done.locator('a').first().click();
  await page.waitForURL(`**#/jobs/${job.jid}/checkpoints/${cid}`);
  await page.locator('#checkpoint-vertices tbody tr').first().waitFor();
  await page.waitForFunction(
    (n) => {
      const tables = document.querySelectorAll('table.subtasks');
      return tables.length === n && [...tables].every((t) => t.querySelectorAll('tbody tr[data-key]').length > 0);
    },
    nv,
  );
  const subRows = await page.locator('table.subtasks tbody tr[data-key]').count();
  const acked = await page.locator('table.subtasks tbody tr:has(.pill-ok)').count();
  check(acked === subRows, `checkpoint ${cid}: ${acked} of ${subRows} subtasks acknowledged`);
  await shot('4-checkpoint.png');
  noProblems(`checkpoint ${cid}`);
  log(`checkpoint ${cid} ok: ${subRows} subtask rows`);

  // 5. Exceptions and restarts.
  await page.locator('a.tab', { hasText: 'Exceptions' }).click();
  await page.locator('section[data-key="exceptions"]').waitFor();
  const ex = (await api(`jobs/${job.jid}/exceptions`)).exceptionHistory.entries;
  if (ex.length > 0) {
    await page.waitForFunction((n) => document.querySelectorAll('#exception-table tbody tr').length === n, ex.length);
    const first = await page.locator('#exception-table tbody tr').first().innerText();
    check(first.includes(ex[0].exceptionName.slice(0, 30)), `first exception row does not show "${ex[0].exceptionName}"`);
  }
  await shot('5-exceptions.png');
  noProblems('exceptions');
  log(`exceptions ok: ${ex.length} shown`);

  // 6. The REST API fails: the page stays, a banner says so, and it
  // recovers when the API answers again.
  await page.locator('a.tab', { hasText: 'Checkpoints' }).click();
  await page.locator('#checkpoint-history tbody tr').first().waitFor();
  watching = false;
  await page.route('**/jobs/*/checkpoints', (r) =>
    r.fulfill({ status: 503, contentType: 'application/json', body: '{"errors":["service unavailable (simulated by the test)"]}' }),
  );
  await page.locator('#banner:not([hidden])').waitFor();
  check((await page.locator('#checkpoint-history tbody tr').count()) > 0, 'the page went blank when the API failed');
  await shot('6-api-error.png');
  await page.unroute('**/jobs/*/checkpoints');
  await page.locator('#banner').waitFor({ state: 'hidden' });
  log('API outage ok: banner shown, page kept, recovered');
} catch (e) {
  failed = true;
  console.error(`e2e: FAIL: ${e.message}`);
  try {
    const page = ctx.pages()[0];
    if (page) await page.screenshot({ path: join(outdir, 'dashboard-failure.png'), fullPage: true });
  } catch {
    // nothing more to save
  }
} finally {
  await ctx.close();
  await rm(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
