// Shared pieces: the REST client, field accessors that tolerate the
// variations of Flink-shaped JSON, badges and the job header.

import { esc, ms, clock, stamp, count, DASH } from './format.js';

// ApiError is a failed request: a status and the server's message.
export class ApiError extends Error {
  constructor(path, status, message) {
    super(`${path}: ${status ? `${status} ` : ''}${message}`);
    this.path = path;
    this.status = status;
    this.detail = message;
  }
}

// get fetches a REST path relative to the page (so the dashboard also works
// behind a proxy that adds a prefix) and decodes its JSON.
export async function get(path, signal) {
  let r;
  try {
    r = await fetch(path, { signal, cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(path, 0, 'the server cannot be reached');
  }
  if (!r.ok) {
    let msg = r.statusText;
    try {
      const j = await r.json();
      if (Array.isArray(j.errors) && j.errors.length) msg = j.errors.join('; ');
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(path, r.status, msg);
  }
  return r.json();
}

// pick returns the first of obj's fields that is present.
export function pick(obj, ...names) {
  if (!obj) return undefined;
  for (const n of names) {
    if (obj[n] !== undefined && obj[n] !== null) return obj[n];
  }
  return undefined;
}

export const enc = encodeURIComponent;

// vertexName shows a chain's operators ("Source: A -> Map") with arrows.
export function vertexName(name) {
  return esc(String(name ?? '').split(' -> ').join(' → '));
}

const stateClass = {
  RUNNING: 'ok', FINISHED: 'done', COMPLETED: 'ok', CANCELED: 'muted', CANCELLED: 'muted',
  CANCELING: 'warn', FAILED: 'bad', FAILING: 'bad', RESTARTING: 'warn', SUSPENDED: 'warn',
  IN_PROGRESS: 'info', PENDING: 'info', CREATED: 'info', INITIALIZING: 'info', SCHEDULED: 'info',
  DEPLOYING: 'info', RECONCILING: 'info',
};

// stateBadge is a coloured pill for a job, vertex or checkpoint state.
export function stateBadge(state) {
  const s = String(state || 'UNKNOWN').toUpperCase();
  return `<span class="pill pill-${stateClass[s] || 'muted'}">${esc(s.replace(/_/g, ' '))}</span>`;
}

// bpBadge is the backpressure badge: OK, LOW or HIGH.
export function bpBadge(level, title = '') {
  const l = String(level || '').toUpperCase();
  if (!l) return `<span class="bp bp-none" title="no sample yet">${DASH}</span>`;
  return `<span class="bp bp-${esc(l.toLowerCase())}" title="${esc(title || `backpressure ${l}`)}">${esc(l)}</span>`;
}

// jobTimes returns start, end and duration in ms of a job object.
export function jobTimes(j, now = Date.now()) {
  const start = pick(j, 'start-time', 'startTime', 'start_time');
  let end = pick(j, 'end-time', 'endTime', 'end_time');
  if (!(end > 0)) end = -1;
  let dur = pick(j, 'duration');
  if (!(dur >= 0) && start > 0) dur = (end > 0 ? end : now) - start;
  return { start, end, dur };
}

// jobRestarts is a job's number of restarts, when the API gives it.
export function jobRestarts(j) {
  return pick(j, 'restarts', 'num-restarts', 'numRestarts', 'restart-count');
}

// The dashboard's configuration from GET /config: features says what the
// server allows ("web-cancel": the cancel button) and what it is
// ("web-history": a history server, which never cancels). app.js loads it
// once.
let dashboardConfig = null;

export function setDashboardConfig(c) {
  dashboardConfig = c;
}

export function dashboardConfigLoaded() {
  return dashboardConfig !== null;
}

// isHistoryServer: the dashboard is served by `weir history-server`
// (features.web-history), whose jobs are archives of ended jobs.
export function isHistoryServer() {
  return dashboardConfig?.features?.['web-history'] === true;
}

// Job states from which Flink's dashboard offers to cancel.
const cancellable = new Set(['CREATED', 'INITIALIZING', 'RUNNING', 'RESTARTING', 'FAILING', 'RECONCILING']);

// cancels holds, per job ID, where its cancel stands: 'confirm' (asking),
// 'sending', 'sent', or an error message to show.
const cancels = new Map();

// cancelControl is the Cancel button of a job's header, shown when the
// server allows cancelling (web.cancel.enable) and the job can be
// cancelled; a click asks for confirmation in place.
function cancelControl(jid, state) {
  const st = cancels.get(jid);
  const open = cancellable.has(String(state || '').toUpperCase());
  if (!dashboardConfig?.features?.['web-cancel'] || isHistoryServer() || !open) return '';
  let body;
  if (st?.step === 'confirm') {
    body = `<span class="confirm-text">Cancel job ${esc(jid.slice(0, 8))}…? It stops and cannot be resumed from here.</span>
    <button type="button" class="btn btn-danger" data-cancel="confirm" data-jid="${esc(jid)}">Yes, cancel the job</button>
    <button type="button" class="btn" data-cancel="keep" data-jid="${esc(jid)}">Keep it running</button>`;
  } else if (st?.step === 'sending' || st?.step === 'sent') {
    body = `<span class="confirm-text">${st.step === 'sending' ? 'Cancelling…' : 'Cancel requested; waiting for the job to stop.'}</span>`;
  } else {
    body = `<button type="button" class="btn btn-danger-soft" id="cancel-job" data-cancel="ask" data-jid="${esc(jid)}">Cancel job</button>`;
  }
  return `<div class="jobactions" data-key="actions">${body}</div>`;
}

// cancelError is why the server refused the last cancel, in its words.
function cancelError(jid) {
  const err = cancels.get(jid)?.error;
  return err ? `<p class="cancel-error" role="alert" data-key="cancel-error">${esc(err)}</p>` : '';
}

// cancelClick handles a click on a cancel control; redraw re-renders the
// page with the last data, refresh polls the job at once.
export async function cancelClick(step, jid, redraw, refresh) {
  if (step === 'ask') {
    cancels.set(jid, { step: 'confirm' });
  } else if (step === 'keep') {
    cancels.delete(jid);
  } else if (step === 'confirm') {
    cancels.set(jid, { step: 'sending' });
    redraw();
    try {
      await patch(`jobs/${enc(jid)}?mode=cancel`);
      cancels.set(jid, { step: 'sent' });
    } catch (e) {
      const why = e.status ? `HTTP ${e.status}: ${e.detail}` : e.detail;
      cancels.set(jid, { error: `The job was not cancelled. ${why}` });
    }
    refresh();
  }
  redraw();
}

// patch sends PATCH path and throws an ApiError with the server's words
// when it is refused (403 web.cancel.enable: false, 401 without the bearer
// token of rest.auth.token, 409 when the job has ended).
async function patch(path) {
  let r;
  try {
    r = await fetch(path, { method: 'PATCH', cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch {
    throw new ApiError(path, 0, 'the server cannot be reached');
  }
  if (!r.ok) {
    let msg = r.statusText;
    try {
      const j = await r.json();
      if (Array.isArray(j.errors) && j.errors.length) msg = j.errors.join('; ');
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(path, r.status, msg);
  }
}

// jobHeader is the block at the top of every job page: name, state,
// timings, the cancel button and the tabs.
export function jobHeader(job, tab) {
  const jid = pick(job, 'jid', 'id');
  const { start, end, dur } = jobTimes(job);
  const restarts = jobRestarts(job);
  const base = `#/jobs/${enc(jid)}`;
  const t = (id, href, label) =>
    `<a class="tab${tab === id ? ' active' : ''}" href="${href}"${tab === id ? ' aria-current="page"' : ''}>${label}</a>`;
  return `
<section class="jobhead" data-key="jobhead">
  <div class="jobhead-main">
    <h1 class="jobname" title="${esc(job.name)}">${esc(job.name || jid)}</h1>
    ${stateBadge(job.state)}
    ${cancelControl(String(jid), job.state)}
  </div>
  ${cancelError(String(jid))}
  <dl class="facts">
    <div><dt>Job ID</dt><dd class="mono">${esc(jid)}</dd></div>
    <div><dt>Started</dt><dd title="${esc(stamp(start))}">${clock(start)}</dd></div>
    ${end > 0 ? `<div><dt>Ended</dt><dd title="${esc(stamp(end))}">${clock(end)}</dd></div>` : ''}
    <div><dt>Duration</dt><dd class="num">${ms(dur)}</dd></div>
    <div><dt>Restarts</dt><dd class="num">${restarts === undefined ? DASH : count(restarts)}</dd></div>
  </dl>
  <nav class="tabs" aria-label="Job pages">
    ${t('graph', base, 'Overview')}
    ${t('checkpoints', `${base}/checkpoints`, 'Checkpoints')}
    ${t('exceptions', `${base}/exceptions`, 'Exceptions')}
    ${t('config', `${base}/config`, 'Configuration')}
  </nav>
</section>`;
}

// notice is a full-width message in place of a page's content.
export function notice(title, text, link) {
  return `<section class="card notice" data-key="notice"><h2>${esc(title)}</h2><p>${esc(text)}</p>${
    link ? `<p><a href="${link[0]}">${esc(link[1])}</a></p>` : ''}</section>`;
}

// diagnosisBlock shows Weir's explanation of a slow, expired or failed
// checkpoint: the summary sentence prominently, causes and advice below.
export function diagnosisBlock(d, key = 'diagnosis', heading = '', jid = '') {
  if (!d || !d.summary) return '';
  const list = (title, items) =>
    Array.isArray(items) && items.length
      ? `<div class="diag-list"><h4>${title}</h4><ul>${items.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></div>`
      : '';
  return `
<section class="diag" data-key="${esc(key)}" role="note">
  <div class="diag-icon" aria-hidden="true">!</div>
  <div class="diag-body">
    ${heading ? `<div class="diag-heading">${heading}</div>` : ''}
    <p class="diag-summary">${esc(d.summary)}</p>
    ${d.bottleneck_vertex && jid ? `<p class="diag-link">Bottleneck: <a href="#/jobs/${enc(jid)}/vertices/${enc(d.bottleneck_vertex)}">${esc(d.bottleneck_vertex_name || d.bottleneck_vertex)}</a></p>` : ''}
    <div class="diag-cols">${list('Causes', d.causes)}${list('Advice', d.advice)}</div>
  </div>
</section>`;
}
