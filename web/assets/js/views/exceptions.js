// Exceptions and restarts of a job, newest first; the failure that ended
// the job (the root exception) on top. Each failure shows its whole chain
// of causes as Flink prints a Java stack trace: the outermost error first,
// then each cause on a "Caused by:" line, the root cause last.

import { get, pick, enc, jobHeader, notice, jobRestarts } from '../ui.js';
import { morph } from '../dom.js';
import { esc, count, clock, stamp, ago, DASH } from '../format.js';

export function exceptionsView(jid) {
  const v = {
    key: `exceptions:${jid}`,
    nav: 'jobs',
    title: 'Exceptions',
    async load(signal) {
      const base = `jobs/${enc(jid)}`;
      const [job, ex] = await Promise.all([get(base, signal), get(`${base}/exceptions`, signal)]);
      return { job, ex };
    },
    render(root, data) {
      v.title = `Exceptions · ${data.job.name || jid}`;
      morph(root, page(data));
    },
    notFound(root) {
      morph(root, notice('Job not found', `The REST API knows no job ${jid}.`, ['#/', 'Back to the job list']));
    },
  };
  return v;
}

// entries normalises Flink's exceptionHistory.entries and all-exceptions.
function entries(ex) {
  const hist = ex.exceptionHistory?.entries;
  if (Array.isArray(hist)) {
    return hist.map((e) => ({
      time: pick(e, 'timestamp'),
      task: pick(e, 'taskName'),
      message: pick(e, 'stacktrace', 'exceptionName'),
      causes: Array.isArray(e.causes) ? e.causes : null,
      attempt: pick(e, 'attempt'),
      final: pick(e, 'final'),
    }));
  }
  return (ex['all-exceptions'] || []).map((e) => ({
    time: pick(e, 'timestamp'),
    task: pick(e, 'task', 'taskName'),
    message: pick(e, 'exception', 'message', 'stacktrace'),
    attempt: pick(e, 'attempt'),
    final: pick(e, 'final'),
  }));
}

// chain shows a failure's causes, outermost first and the root cause last,
// or its whole message when the API gives no chain (a stack trace, if the
// message holds one, shows as it is).
function chain(e, key) {
  if (!e.causes || !e.causes.length) return `<pre class="trace">${esc(e.message)}</pre>`;
  const last = e.causes.length - 1;
  const items = e.causes
    .map((c, i) => `<li${i === last ? ' class="rootcause"' : ''}>${i ? '<span class="causedby">Caused by:</span> ' : ''}<span class="cause">${esc(c)}</span>${
      i === last && last > 0 ? ' <span class="tag tag-bad">root cause</span>' : ''}</li>`)
    .join('');
  return `<ol class="causes" data-key="${key}">${items}</ol>`;
}

function page({ job, ex }) {
  const list = entries(ex).sort((a, b) => (b.time || 0) - (a.time || 0));
  const restarts = jobRestarts(job);
  const root = pick(ex, 'root-exception');
  const rootTime = pick(ex, 'timestamp');
  const now = Date.now();
  const rows = list
    .map(
      (e, i) => `<tr data-key="x${i}" class="${e.final ? 'row-bad' : ''}">
  <td class="num" title="${esc(stamp(e.time))} (${esc(ago(e.time, now))})">${clock(e.time, true)}</td>
  <td>${e.final ? '<span class="pill pill-bad">FINAL</span>' : '<span class="pill pill-warn">RESTARTED</span>'}</td>
  <td class="num">${e.attempt === undefined ? DASH : count(e.attempt)}</td>
  <td class="name">${e.task ? esc(e.task) : '<span class="muted">the job</span>'}</td>
  <td class="chain">${chain(e, `c${i}`)}</td>
</tr>`,
    )
    .join('');
  return `${jobHeader(job, 'exceptions')}
<section class="tiles" data-key="tiles">
  <div class="tile ${restarts > 0 ? 'tile-warn' : ''}"><div class="tile-label">Restarts</div><div class="tile-value num">${restarts === undefined ? DASH : count(restarts)}</div></div>
  <div class="tile ${list.length ? 'tile-bad' : ''}"><div class="tile-label">Exceptions</div><div class="tile-value num">${count(list.length)}</div>
    ${ex.truncated || ex.exceptionHistory?.truncated ? '<div class="tile-sub">older ones truncated</div>' : ''}</div>
  <div class="tile"><div class="tile-label">Latest</div><div class="tile-value num">${list.length ? clock(list[0].time) : DASH}</div>
    ${list.length ? `<div class="tile-sub">${esc(ago(list[0].time, now))}</div>` : ''}</div>
</section>
${root ? `<section class="diag${list[0]?.final ? ' diag-bad' : ''}" data-key="root" role="note"><div class="diag-icon" aria-hidden="true">!</div><div class="diag-body">
  <div class="diag-heading">${list[0]?.final ? 'The failure that ended the job' : 'Latest failure · the job restarted'}${rootTime ? ` · ${clock(rootTime, true)}` : ''}</div>${list[0] ? chain(list[0], 'rootchain') : `<pre class="trace">${esc(root)}</pre>`}</div></section>` : ''}
<section class="card" data-key="exceptions">
  <div class="card-head"><h2>Exceptions</h2><span class="muted small">newest first · each failure's causes outermost first, root cause last</span></div>
  ${
    list.length
      ? `<table class="grid" id="exception-table">
  <thead><tr><th class="num">Time</th><th>Outcome</th><th class="num">Attempt</th><th>Task</th><th>Exception</th></tr></thead>
  <tbody>${rows}</tbody></table>`
      : '<p class="empty ok-text">No exceptions: the job has not failed since it started.</p>'
  }
</section>`;
}
