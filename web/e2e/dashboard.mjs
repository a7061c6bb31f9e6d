// Drives Weir's dashboard in Debian's headless Chromium through
// playwright-core: node dashboard.mjs URL OUTDIR NOCANCEL_URL AUTH_URL CLUSTER_URL
//
// URL is the dashboard of a server running the jobs the Go test
// TestDashboardInBrowser starts: "sensor-counts" (running, with
// watermarks, checkpoints and one restart), "cancel-me" (running),
// "fails-for-good" (failed) and "runs-to-the-end" (finished);
// NOCANCEL_URL serves sensor-counts with web.cancel.enable: false,
// AUTH_URL serves cancel-me behind a bearer token (rest.auth.token);
// CLUSTER_URL serves sensor-counts with a job manager's list of two task
// managers (web.Options.TaskManagers).
// OUTDIR receives a screenshot of each page. It checks the job list, the
// job graph and a vertex's watermarks, the checkpoints page with its
// percentiles and one checkpoint's detail, the exceptions with their cause
// chain, the job's configuration, the Cancel button (refused with the
// server's words, absent when disabled, and a real cancel), the pages of
// the finished and the failed job without an "Invalid Date" or NaN where
// a time is unset, the Task managers view and one task manager's details
// (the one-process run's "embedded", and the cluster's two exactly as
// GET /taskmanagers says), each subtask's task manager, every page at 1024x768 without sideways scrolling; it
// fails on any console error, page error, failed request or HTTP error,
// and ends with a simulated API outage to check that the page stays and a
// banner says so. Exit status 0 when every check passed; otherwise 1 with
// the reason on stderr.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badTimes } from './times.mjs';

const [url, outdir, noCancelUrl, authUrl, clusterUrl] = process.argv.slice(2);
if (!url || !outdir || !noCancelUrl || !authUrl || !clusterUrl) {
  console.error('usage: node dashboard.mjs URL OUTDIR NOCANCEL_URL AUTH_URL CLUSTER_URL');
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
  // noBadTimes: no time on the page (text or tooltip) is "Invalid Date" or
  // has NaN in it: an unset time shows a dash.
  const noBadTimes = async (where) => {
    const bad = await badTimes(page);
    check(bad.length === 0, `${where} shows a bad time:\n  ${bad.join('\n  ')}`);
  };
  const shot = async (name) => {
    const file = join(outdir, `dashboard-${name}`);
    await page.screenshot({ path: file, fullPage: true });
    log('screenshot', file);
  };
  const api = async (path, base = url) => {
    const r = await page.request.get(new URL(path, base).href);
    check(r.ok(), `GET ${path}: ${r.status()}`);
    return r.json();
  };

  // 1. Job list: the job is there and RUNNING.
  await page.goto(url);
  const jobs = (await api('jobs/overview')).jobs;
  const byName = (name) => {
    const j = jobs.find((x) => x.name === name);
    check(j, `the REST API lists no job ${name}: ${jobs.map((x) => x.name).join(', ')}`);
    return j;
  };
  const job = byName('sensor-counts');
  const cancelJob = byName('cancel-me');
  const failedJob = byName('fails-for-good');
  const endedJob = byName('runs-to-the-end');
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

  // 2b. The sink's watermarks: each subtask's current input watermark and
  // the low watermark show exactly what the REST API answered the page.
  const NO_WM = '-9223372036854775808';
  let wms = null;
  for (let i = 0; i < 20 && !wms; i++) {
    const r = await page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(`/jobs/${job.jid}/vertices/${sinkId}/watermarks`));
    const body = await r.json();
    if (body.length > 0 && body.every((m) => m.value !== NO_WM)) wms = body;
  }
  check(wms, 'the sink never had a watermark in 20 answers of its watermarks route');
  const want = wms.map((m) => ({ idx: m.id.split('.')[0], value: m.value }));
  const low = wms.map((m) => m.value).reduce((a, x) => (BigInt(x) < BigInt(a) ? x : a));
  await page.waitForFunction(
    ({ want, low }) =>
      want.every((w) => document.querySelector(`#watermark-table tr[data-key="w${w.idx}"] td[data-wm]`)?.dataset.wm === w.value) &&
      document.getElementById('low-watermark')?.dataset.wm === low,
    { want, low },
  );
  const wmText = await page.locator('#watermark-table tbody tr').first().innerText();
  check(/\d\d:\d\d:\d\d\.\d\d\d/.test(wmText) && /behind|ahead/.test(wmText), `watermark row shows "${wmText}", not a time and its lag`);
  const lowText = await page.locator('#low-watermark').innerText();
  const lowCell = await page.locator(`#vertex-table tr[data-key="r${sinkId}"] td.wm`).innerText();
  check(!/no watermark/.test(lowText) && /\d\d:\d\d:\d\d/.test(lowCell), `low watermark "${lowText}", vertex table "${lowCell}"`);
  const srcWm = await page.locator(`#vertex-table tr[data-key="r${detail.vertices[0].id}"] td.wm`).innerText();
  check(srcWm.includes('no watermark yet'), `the source's watermark cell says "${srcWm}", want "no watermark yet"`);
  await page.locator('section[data-key^="watermarks-"]').scrollIntoViewIfNeeded();
  await shot('2b-watermarks.png');
  noProblems('watermarks');
  log('watermarks ok:', want.map((w) => `${w.idx}=${w.value}`).join(' '), 'low', low);

  // 2c. The sink's subtasks name their task manager: "embedded" at
  // "localhost" in the one-process run, as the REST answer says.
  const subHead = await page.locator('#subtask-table thead').innerText();
  check(/task manager/i.test(subHead), `the subtask table has no task manager column: "${subHead}"`);
  const vsub = (await api(`jobs/${job.jid}/vertices/${sinkId}`)).subtasks;
  for (const st of vsub) {
    const cell = page.locator(`#subtask-table tr[data-key="s${st.subtask}"] td.tm`);
    const tmText = (await cell.innerText()).replace(/\s+/g, ' ').trim();
    check(st['taskmanager-id'] === 'embedded' && st.endpoint === 'localhost', `the API's subtask ${st.subtask}: ${st['taskmanager-id']} at ${st.endpoint}`);
    check(tmText === 'embedded localhost' && (await cell.getAttribute('title')).includes('localhost'), `subtask ${st.subtask}'s task manager cell reads "${tmText}"`);
  }
  noProblems('subtask task managers');
  log(`subtask task managers ok: ${vsub.length} embedded`);

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
  // The summary's percentiles: numbers in every column, as the API has them.
  await page.locator('#checkpoint-summary tbody tr[data-key="p999"]').waitFor();
  for (const p of ['p50', 'p90', 'p95', 'p99', 'p999']) {
    const cells = page.locator(`#checkpoint-summary tbody tr[data-key="${p}"] td`);
    const n = await cells.count();
    check(n === 5, `summary row ${p} has ${n} cells, want 5`);
    for (let i = 0; i < n; i++) {
      const text = await cells.nth(i).innerText();
      const value = await cells.nth(i).getAttribute('data-value');
      check(value !== '' && Number.isFinite(Number(value)) && /\d/.test(text), `summary row ${p}, column ${i}: "${text}" (value "${value}")`);
    }
  }
  const sum = (await api(`jobs/${job.jid}/checkpoints`)).summary;
  check(['p50', 'p90', 'p95', 'p99', 'p999'].every((p) => typeof sum.end_to_end_duration[p] === 'number'), 'the API summary lacks percentiles');
  const p99 = await page.locator('#checkpoint-summary tbody tr[data-key="p99"]').innerText();
  await shot('3-checkpoints.png');
  noProblems('checkpoints');
  log(`checkpoints ok: newest id ${id0} -> ${id1}, ${rows} rows, ${inked} chart pixels; ${p99.replace(/\s+/g, ' ')}`);

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
    check(first.includes(ex[0].causes[0]) && first.includes(ex[0].taskName), `first exception row does not show "${ex[0].causes[0]}" of ${ex[0].taskName}`);
    const shown = await page.locator('#exception-table tbody tr').first().locator('ol.causes .cause').allInnerTexts();
    check(JSON.stringify(shown) === JSON.stringify(ex[0].causes), `first exception's chain shows ${JSON.stringify(shown)}, the API ${JSON.stringify(ex[0].causes)}`);
  }
  await shot('5-exceptions.png');
  noProblems('exceptions');
  log(`exceptions ok: ${ex.length} shown`);

  // 5b. A failed job: its whole cause chain, outermost first, root cause
  // last and marked.
  await page.goto(`${url}#/jobs/${failedJob.jid}/exceptions`);
  const fex = (await api(`jobs/${failedJob.jid}/exceptions`)).exceptionHistory.entries;
  check(fex.length === 1 && fex[0].final, `fails-for-good has ${fex.length} exceptions`);
  const chain = fex[0].causes;
  // The job manager's words, then the task's, the user function's and the root cause.
  check(JSON.stringify(chain.slice(-3)) === JSON.stringify(['Check (1/1) failed', 'checking sensor x', 'reading 42 exceeds the limit of 40']),
    `the API's cause chain is ${JSON.stringify(chain)}`);
  await page.waitForFunction((n) => document.querySelectorAll('section[data-key="root"] ol.causes li').length === n, chain.length);
  const rootShown = await page.locator('section[data-key="root"] ol.causes .cause').allInnerTexts();
  check(JSON.stringify(rootShown) === JSON.stringify(chain), `the failure shows ${JSON.stringify(rootShown)}, want ${JSON.stringify(chain)}`);
  const lastLi = await page.locator('section[data-key="root"] ol.causes li').last().innerText();
  check(/^Caused by: reading 42 exceeds the limit of 40 root cause$/i.test(lastLi.replace(/\s+/g, ' ').trim()), `last cause line reads "${lastLi}"`);
  check((await page.locator('.jobhead .pill', { hasText: 'FAILED' }).count()) === 1, 'the failed job is not shown FAILED');
  await shot('5b-failed-job.png');
  noProblems('failed job');
  log('cause chain ok:', chain.join(' <- '));

  // 5c. The job's configuration: an option set for the job (as -D does),
  // with the value the API has.
  await page.goto(`${url}#/jobs/${job.jid}`);
  await page.locator('a.tab', { hasText: 'Configuration' }).click();
  const jc = (await api(`jobs/${job.jid}/config`))['execution-config'];
  const key = 'restart-strategy.fixed-delay.attempts';
  check(jc['user-config'][key] === '3', `the API's user-config has ${key}=${jc['user-config'][key]}`);
  const optRow = page.locator(`#job-config tbody tr[data-key="o-${key}"]`);
  await optRow.waitFor();
  const optText = (await optRow.innerText()).replace(/\s+/g, ' ').trim();
  check(optText === `${key} 3`, `config row reads "${optText}"`);
  const nopts = await page.locator('#job-config tbody tr').count();
  check(nopts === Object.keys(jc['user-config']).length, `config table has ${nopts} rows, the API ${Object.keys(jc['user-config']).length}`);
  const ecText = await page.locator('#execution-config').innerText();
  check(ecText.includes(jc['restart-strategy']) && ecText.includes(String(jc['max-parallelism'])), `execution config reads "${ecText}"`);
  await shot('5c-config.png');
  noProblems('configuration');
  log(`configuration ok: ${nopts} options, ${key}=3`);

  // 5d. Cancel. Behind a token the dashboard does not have, the server's
  // refusal is shown in its own words and the job runs on.
  watching = false;
  await page.goto(`${authUrl}#/jobs/${cancelJob.jid}`);
  await page.locator('#cancel-job').click();
  await page.locator('[data-cancel="confirm"]').click();
  await page.locator('.cancel-error').waitFor();
  const refusal = await page.locator('.cancel-error').innerText();
  check(/401/.test(refusal) && /bearer token/.test(refusal) && /rest\.auth\.token/.test(refusal), `the refused cancel says "${refusal}"`);
  check((await api(`jobs/${cancelJob.jid}`)).state === 'RUNNING', 'cancel-me stopped although its cancel was refused');
  await shot('5d-cancel-refused.png');
  problems.length = 0;
  watching = true;
  // With web.cancel.enable: false there is no button.
  await page.goto(`${noCancelUrl}#/jobs/${job.jid}`);
  await page.locator('#job-graph .vbox').first().waitFor();
  await page.locator('.jobhead .pill', { hasText: 'RUNNING' }).waitFor();
  check((await page.locator('#cancel-job, [data-cancel]').count()) === 0, 'a Cancel button shows although web.cancel.enable is false');
  // Allowed: ask, confirm, and the job is CANCELED.
  await page.goto(`${url}#/jobs/${cancelJob.jid}`);
  await page.locator('#cancel-job').click();
  const ask = await page.locator('.jobactions').innerText();
  check(/Cancel job/.test(ask) && (await api(`jobs/${cancelJob.jid}`)).state === 'RUNNING', `asking to confirm: "${ask}"`);
  await page.locator('[data-cancel="confirm"]').click();
  await page.locator('.jobhead .pill', { hasText: 'CANCELED' }).waitFor();
  check((await api(`jobs/${cancelJob.jid}`)).state === 'CANCELED', 'the API does not say CANCELED');
  check((await page.locator('#cancel-job').count()) === 0, 'the Cancel button stays on a cancelled job');
  await shot('5e-cancelled.png');
  noProblems('cancel');
  log('cancel ok: refused behind a token, absent when disabled, cancel-me CANCELED');

  // 5f. Ended jobs, FINISHED and FAILED: no page shows "Invalid Date" (or
  // NaN) where a time is unset or beyond any date; the finished job's
  // watermarks, at Long.MAX_VALUE, read "end of input"; the badge says
  // Live (this is no history server) and no Cancel button shows.
  const END_WM = '9223372036854775807';
  await page.goto(url);
  await page.locator(`#jobs-table tr[data-key="${endedJob.jid}"]`, { hasText: 'FINISHED' }).waitFor();
  await noBadTimes('job list with ended jobs');
  for (const ended of [endedJob, failedJob]) {
    const d = await api(`jobs/${ended.jid}`);
    // A job without checkpointing has no checkpoints route (404).
    const cr = await page.request.get(new URL(`jobs/${ended.jid}/checkpoints`, url).href);
    check(cr.ok() || cr.status() === 404, `GET jobs/${ended.jid}/checkpoints: ${cr.status()}`);
    const cps = cr.ok() ? await cr.json() : null;
    const done = (cps?.history || []).find((c) => c.status === 'COMPLETED');
    const routes = [
      ['', '#vertex-table td.wm'],
      ...d.vertices.map((v) => [`/vertices/${v.id}`, '#low-watermark']),
      ...(cps ? [['/checkpoints', 'section[data-key="tiles"]']] : []),
      ...(done ? [[`/checkpoints/${done.id}`, 'table.subtasks tbody tr[data-key]']] : []),
      ['/exceptions', 'section[data-key="exceptions"]'],
      ['/config', '#job-config, #execution-config'],
    ];
    for (const [route, ready] of routes) {
      await page.goto(`${url}#/jobs/${ended.jid}${route}`);
      await page.locator(ready).first().waitFor();
      await page.locator('.jobhead .pill', { hasText: ended.name === endedJob.name ? 'FINISHED' : 'FAILED' }).waitFor();
      await page.waitForTimeout(150);
      await noBadTimes(`${ended.name} #/jobs/${ended.jid}${route}`);
      check((await page.locator('#live').innerText()).trim() === 'Live', `the badge on ${ended.name}${route} is not Live`);
      check((await page.locator('#cancel-job, [data-cancel]').count()) === 0, `a Cancel button shows on the ended ${ended.name}`);
    }
    log(`${ended.name} ok: ${routes.length} pages without an invalid time`);
  }
  await page.goto(`${url}#/jobs/${endedJob.jid}`);
  await page.locator('#vertex-table td.wm').first().waitFor();
  const atEnd = await page.locator(`#vertex-table td.wm[data-wm="${END_WM}"]`).allInnerTexts();
  check(atEnd.length > 0, `no vertex of ${endedJob.name} shows a watermark at Long.MAX_VALUE`);
  for (const c of atEnd) check(/^–\s+end of input$/.test(c.trim()), `a watermark at the end of input reads "${c}"`);
  const facts = await page.locator('.jobhead .facts').innerText();
  check(/Ended/i.test(facts), `the finished job's header has no end time: "${facts}"`);
  await shot('5f-finished.png');
  noProblems('ended jobs');
  log(`ended jobs ok: ${atEnd.length} watermarks at the end of input`);

  // 5g. Task managers. The one-process run: the nav entry opens a table
  // with the single "embedded" task manager, its details a click away.
  await page.goto(url);
  await page.locator('.topnav a[data-nav="taskmanagers"]').click();
  await page.waitForURL('**#/taskmanagers');
  const localTms = (await api('taskmanagers')).taskmanagers;
  check(localTms.length === 1 && localTms[0].id === 'embedded', `the one-process run lists ${JSON.stringify(localTms)}`);
  await page.locator('#taskmanager-table tbody tr[data-key="embedded"]').waitFor();
  check((await page.locator('#taskmanager-table tbody tr').count()) === 1, 'the one-process run shows more than one task manager');
  check((await page.locator('.topnav a.active').innerText()) === 'Task managers', 'the Task managers nav entry is not marked active');
  const localRow = (await page.locator('#taskmanager-table tbody tr').innerText()).replace(/\s+/g, ' ');
  check(localRow.includes('in-process') && localRow.includes(`0 / ${localTms[0].slotsNumber}`), `the local task manager's row reads "${localRow}"`);
  await noBadTimes('task managers (one process)');
  await shot('8-taskmanagers-local.png');
  await page.locator('#taskmanager-table tbody tr[data-key="embedded"] a').click();
  await page.waitForURL('**#/taskmanagers/embedded');
  await page.locator('#taskmanager-id', { hasText: 'embedded' }).waitFor();
  await noBadTimes('task manager local');
  noProblems('task managers (one process)');
  log('task managers ok (one process): local,', localTms[0].slotsNumber, 'slots');

  // The cluster: both task managers, their slots, data ports, addresses,
  // CPU cores and last heartbeat exactly as GET /taskmanagers says.
  const ctms = (await api('taskmanagers', clusterUrl)).taskmanagers;
  check(ctms.length === 2, `the cluster server lists ${ctms.length} task managers`);
  const cov = await api('overview', clusterUrl);
  await page.goto(`${clusterUrl}#/`);
  await page.locator('#jobs-table tbody tr').first().waitFor();
  await page.locator('.topnav a[data-nav="taskmanagers"]').click();
  await page.waitForFunction(() => document.querySelectorAll('#taskmanager-table tbody tr').length === 2);
  for (const tm of ctms) {
    const r = page.locator(`#taskmanager-table tbody tr[data-key="${tm.id}"]`);
    check((await r.count()) === 1, `no row for task manager ${tm.id}`);
    const cells = (await r.locator('td').allInnerTexts()).map((c) => c.trim());
    const want = [tm.id, tm.path, String(tm.dataPort), `${tm.freeSlots} / ${tm.slotsNumber}`, null, String(tm.hardware.cpuCores)];
    want.forEach((w, i) => check(w === null || cells[i] === w, `task manager ${tm.id}, column ${i}: "${cells[i]}", want "${w}" (row ${JSON.stringify(cells)})`));
    check(/^\d+s ago$/.test(cells[4]), `task manager ${tm.id}'s last heartbeat reads "${cells[4]}"`);
    const secs = Number(cells[4].replace(/s ago$/, ''));
    const real = (Date.now() - tm.timeSinceLastHeartbeat) / 1000;
    check(Math.abs(secs - real) <= 3, `task manager ${tm.id}'s heartbeat reads ${secs}s ago, the API says ${real.toFixed(1)} s`);
  }
  const tiles = (await page.locator('section[data-key="tiles"]').innerText()).replace(/\s+/g, ' ').toLowerCase();
  check(tiles.includes(`task slots ${cov['slots-total']}`) && tiles.includes(`available slots ${cov['slots-available']}`) && tiles.includes(`task managers ${cov.taskmanagers}`),
    `the tiles read "${tiles}", the overview ${JSON.stringify(cov)}`);
  await noBadTimes('task managers (cluster)');
  await shot('8-taskmanagers.png');
  // A click opens one's details.
  const tm0 = ctms.find((t) => t.freeSlots < t.slotsNumber) || ctms[0];
  await page.locator(`#taskmanager-table tbody tr[data-key="${tm0.id}"] a`).click();
  await page.waitForURL(`**#/taskmanagers/${tm0.id}`);
  await page.locator('#taskmanager-id', { hasText: tm0.id }).waitFor();
  const one = await api(`taskmanagers/${tm0.id}`, clusterUrl);
  const tmFacts = Object.fromEntries(
    await page.locator('#taskmanager-facts > div, #taskmanager-hardware > div').evaluateAll((ds) =>
      ds.map((d) => [d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim()])),
  );
  const wantFacts = {
    Address: one.path, 'Data port': String(one.dataPort), Slots: String(one.slotsNumber), 'Free slots': String(one.freeSlots),
    'Slots in use': String(one.slotsNumber - one.freeSlots), 'CPU cores': String(one.hardware.cpuCores), 'Physical memory': '16.0 GiB',
  };
  for (const [k, w] of Object.entries(wantFacts)) check(tmFacts[k] === w, `${tm0.id}'s ${k} reads "${tmFacts[k]}", want "${w}"`);
  check(/^\d+s ago$/.test(tmFacts['Last heartbeat']), `${tm0.id}'s last heartbeat reads "${tmFacts['Last heartbeat']}"`);
  await noBadTimes(`task manager ${tm0.id}`);
  await shot('8b-taskmanager.png');
  // The vertex page on this server has the task manager column too.
  await page.goto(`${clusterUrl}#/jobs/${job.jid}/vertices/${sinkId}`);
  await page.locator('#subtask-table tbody tr td.tm').first().waitFor();
  const csub = (await api(`jobs/${job.jid}/vertices/${sinkId}`, clusterUrl)).subtasks;
  const shownTms = await page.locator('#subtask-table tbody td.tm').evaluateAll((tds) => tds.map((td) => td.dataset.tm));
  check(JSON.stringify(shownTms) === JSON.stringify(csub.map((st) => st['taskmanager-id'])), `the subtasks' task managers read ${JSON.stringify(shownTms)}`);
  noProblems('task managers (cluster)');
  log(`task managers ok (cluster): ${ctms.map((t) => `${t.id} ${t.freeSlots}/${t.slotsNumber} port ${t.dataPort}`).join(', ')}; ${tm0.id}'s details`);

  // 5e. 1024x768: no page scrolls sideways; wide tables scroll in their box.
  await page.setViewportSize({ width: 1024, height: 768 });
  for (const [name, hash, ready, base] of [
    ['jobs', '#/', '#jobs-table tbody tr'],
    ['graph', `#/jobs/${job.jid}/vertices/${sinkId}`, '#watermark-table tbody tr'],
    ['checkpoints', `#/jobs/${job.jid}/checkpoints`, '#checkpoint-summary tbody tr'],
    ['checkpoint', `#/jobs/${job.jid}/checkpoints/${cid}`, 'table.subtasks tbody tr'],
    ['exceptions', `#/jobs/${failedJob.jid}/exceptions`, 'ol.causes li'],
    ['config', `#/jobs/${job.jid}/config`, '#job-config tbody tr'],
    ['taskmanagers', '#/taskmanagers', '#taskmanager-table tbody tr', clusterUrl],
    ['taskmanager', `#/taskmanagers/${tm0.id}`, '#taskmanager-facts', clusterUrl],
    ['graph-cluster', `#/jobs/${job.jid}/vertices/${sinkId}`, '#subtask-table td.tm', clusterUrl],
  ]) {
    await page.goto(`${base || url}${hash}`);
    await page.locator(ready).first().waitFor();
    const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    check(w.scroll <= 1024 && w.scroll <= w.client, `${name} at 1024x768 is ${w.scroll} px wide (viewport ${w.client} px): it scrolls sideways`);
    await shot(`7-1024-${name}.png`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  noProblems('1024 px');
  log('1024x768 ok: no page wider than the window');

  // 6. The REST API fails: the page stays, a banner says so, and it
  // recovers when the API answers again.
  await page.goto(`${url}#/jobs/${job.jid}`);
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
