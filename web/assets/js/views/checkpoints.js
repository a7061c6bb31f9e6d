// Checkpoints of a job: counts, the configuration, the explanation of the
// latest slow or failed checkpoint, a chart of duration and size over time,
// the summary of completed checkpoints with percentiles, and the history.

import { get, pick, enc, stateBadge, jobHeader, notice, diagnosisBlock } from '../ui.js';
import { morph } from '../dom.js';
import { CheckpointChart } from '../chart.js';
import { esc, count, ms, bytes, clock, stamp, ago, DASH } from '../format.js';

export function checkpointsView(jid) {
  let chart = null;
  let config = null;
  const v = {
    key: `checkpoints:${jid}`,
    nav: 'jobs',
    title: 'Checkpoints',
    async load(signal) {
      const base = `jobs/${enc(jid)}`;
      if (v.off) return { job: await get(base, signal), off: v.off };
      try {
        const [job, cps, cfg] = await Promise.all([
          get(base, signal),
          get(`${base}/checkpoints`, signal),
          config ? Promise.resolve(config) : get(`${base}/checkpoints/config`, signal),
        ]);
        config = cfg;
        return { job, cps, cfg };
      } catch (e) {
        // The job is there but has no checkpoints (checkpointing is off):
        // say so under the job's header, and ask no more.
        if (e.status !== 404 || !/checkpoint/i.test(e.message)) throw e;
        v.off = e.message.replace(/^[^:]*: 404 /, '');
        return { job: await get(base, signal), off: v.off };
      }
    },
    render(root, data) {
      v.title = `Checkpoints · ${data.job.name || jid}`;
      v.last = data;
      if (data.off) {
        morph(root, `${jobHeader(data.job, 'checkpoints')}${notice('No checkpoints', data.off)}`);
        return;
      }
      morph(root, page(jid, data, v.showAll));
      const el = root.querySelector('#checkpoint-chart');
      if (chart && chart.el !== el) {
        chart.destroy();
        chart = null;
      }
      if (el && !chart) chart = new CheckpointChart(el);
      if (chart) chart.update(data.cps.history || []);
    },
    action(name, root) {
      if (name !== 'history' || !v.last) return;
      v.showAll = !v.showAll;
      v.render(root, v.last);
    },
    unmount() {
      if (chart) chart.destroy();
      chart = null;
    },
    notFound(root) {
      morph(root, notice('Job not found', `The REST API knows no job ${jid}.`, ['#/', 'Back to the job list']));
    },
  };
  return v;
}

function tile(label, value, sub = '', cls = '') {
  return `<div class="tile ${cls}"><div class="tile-label">${label}</div><div class="tile-value num">${value}</div>${
    sub ? `<div class="tile-sub">${sub}</div>` : ''}</div>`;
}

function configLine(cfg) {
  if (!cfg) return '';
  const items = [];
  const add = (k, v, title = '') => {
    if (v !== undefined && v !== null && v !== '') {
      items.push(`<span${title ? ` title="${esc(title)}"` : ''}><b>${k}</b> ${esc(v)}</span>`);
    }
  };
  add('mode', String(pick(cfg, 'mode') || '').toUpperCase().replace(/_/g, ' '));
  add('interval', ms(pick(cfg, 'interval')));
  add('timeout', ms(pick(cfg, 'timeout')));
  add('min pause', ms(pick(cfg, 'min_pause')));
  add('max concurrent', pick(cfg, 'max_concurrent'));
  const u = pick(cfg, 'unaligned_checkpoints');
  if (u !== undefined) add('unaligned', u ? 'on' : 'off');
  add('backend', pick(cfg, 'state_backend'));
  const ext = pick(cfg, 'externalization');
  if (ext && typeof ext === 'object') {
    add('retention', !ext.enabled ? 'none' : ext.delete_on_cancellation ? 'deleted on cancel' : 'kept on cancel');
  }
  add('retained', pick(cfg, 'num_retained'));
  add('tolerable failures', pick(cfg, 'tolerable_failed_checkpoints'));
  const dir = pick(cfg, 'checkpoints_directory');
  if (dir) add('directory', dir.length > 48 ? `…${dir.slice(-47)}` : dir, dir);
  return `<div class="configline" data-key="config">${items.join('')}</div>`;
}

// latestDiagnosis is the explanation to show at the top: the newest
// checkpoint in the history that has one, or the API's own.
function latestDiagnosis(cps) {
  for (const h of cps.history || []) {
    if (h.diagnosis && h.diagnosis.summary) return { h, d: h.diagnosis };
  }
  const d = cps.diagnosis;
  if (d && d.summary) return { h: null, d };
  return null;
}

// The rows of the summary table, as Flink's checkpoint "Summary" tab has
// them: minimum, average, maximum and the percentiles of
// /jobs/:id/checkpoints "summary" (Flink's StatsSummaryDto).
const SUMMARY_ROWS = [
  ['min', 'Minimum'],
  ['avg', 'Average'],
  ['max', 'Maximum'],
  ['p50', '50th percentile'],
  ['p90', '90th percentile'],
  ['p95', '95th percentile'],
  ['p99', '99th percentile'],
  ['p999', '99.9th percentile'],
];

// summaryTable shows one column per figure of the completed checkpoints.
function summaryTable(sum, completed) {
  if (!(completed > 0)) return '<p class="empty">No completed checkpoint yet: the summary appears after the first.</p>';
  const cols = [
    ['end_to_end_duration', 'End-to-end duration', ms],
    ['checkpointed_size', 'Checkpointed size', bytes],
    ['state_size', 'Full state size', bytes],
    ['processed_data', 'Processed in-flight', bytes],
    ['persisted_data', 'Persisted in-flight', bytes],
  ];
  const rows = SUMMARY_ROWS.map(
    ([k, label]) => `<tr data-key="${k}"><th scope="row">${label}</th>${cols
      .map(([c, , f]) => {
        const x = sum[c]?.[k];
        return `<td class="num" data-value="${typeof x === 'number' ? x : ''}">${f(x)}</td>`;
      })
      .join('')}</tr>`,
  ).join('');
  return `<table class="grid summary" id="checkpoint-summary">
  <thead><tr><th></th>${cols.map(([, h]) => `<th class="num">${h}</th>`).join('')}</tr></thead>
  <tbody>${rows}</tbody>
</table>`;
}

const SHORT_HISTORY = 20;

function history(jid, all, showAll) {
  const hist = showAll ? all : all.slice(0, SHORT_HISTORY);
  if (!hist.length) return '<p class="empty">No checkpoint yet. The first appears one interval after the job starts.</p>';
  const now = Date.now();
  const rows = hist
    .map((h) => {
      const st = String(h.status || '').toUpperCase();
      const diag = h.diagnosis?.summary;
      const fail = pick(h, 'failure_message', 'failure');
      const acked = pick(h, 'num_acknowledged_subtasks');
      const total = pick(h, 'num_subtasks');
      const frac = total > 0 ? acked / total : 0;
      const note = st === 'FAILED' ? diag || fail || '' : '';
      return `<tr class="link${st === 'FAILED' ? ' row-bad' : ''}" data-key="c${esc(h.id)}" data-href="#/jobs/${enc(jid)}/checkpoints/${enc(h.id)}" tabindex="0">
  <td class="num id"><a href="#/jobs/${enc(jid)}/checkpoints/${enc(h.id)}">${esc(h.id)}</a></td>
  <td>${stateBadge(st)}${h.is_savepoint ? ' <span class="tag">savepoint</span>' : ''}${diag && st !== 'FAILED' ? ` <span class="tag tag-warn" title="${esc(diag)}">slow</span>` : ''}</td>
  <td class="num" title="${esc(stamp(h.trigger_timestamp))} (${esc(ago(h.trigger_timestamp, now))})">${clock(h.trigger_timestamp, true)}</td>
  <td class="num">${ms(h.end_to_end_duration)}</td>
  <td class="num">${bytes(h.state_size)}</td>
  <td class="num">${bytes(h.checkpointed_size)}</td>
  <td class="num">${bytes(h.processed_data)}</td>
  <td class="num">${bytes(h.persisted_data)}</td>
  <td class="num ack"><span class="ackbar" aria-hidden="true"><i style="width:${(frac * 100).toFixed(0)}%"></i></span>${count(acked)}/${count(total)}</td>
</tr>${note ? `<tr class="note${st === 'FAILED' ? ' row-bad' : ''}" data-key="n${esc(h.id)}"><td></td><td colspan="8">${esc(note)}</td></tr>` : ''}`;
    })
    .join('');
  return `<table class="grid" id="checkpoint-history">
  <thead><tr><th class="num">ID</th><th>Status</th><th class="num">Triggered</th><th class="num">End-to-end</th><th class="num">State size</th>
    <th class="num">Checkpointed</th><th class="num">Processed</th><th class="num">Persisted</th><th class="num">Acknowledged</th></tr></thead>
  <tbody>${rows}</tbody>
</table>${
    all.length > SHORT_HISTORY
      ? `<div class="more"><button type="button" class="linkbtn" data-action="history">${
        showAll ? `Show the newest ${SHORT_HISTORY} only` : `Show all ${all.length} checkpoints in the history`}</button></div>`
      : ''
  }`;
}

function page(jid, { job, cps, cfg }, showAll) {
  const c = cps.counts || {};
  const latest = cps.latest || {};
  const lc = latest.completed;
  const lf = latest.failed;
  const lr = latest.restored;
  const sum = cps.summary || {};
  const e2e = sum.end_to_end_duration || {};
  const hist = (cps.history || []).slice().sort((a, b) => b.id - a.id);
  const ld = latestDiagnosis(cps);
  const restoredSub = lr
    ? `#${esc(lr.id)} at ${clock(pick(lr, 'restore_timestamp'))}`
    : 'never';
  const diagHeading = ld?.h
    ? `Checkpoint <a href="#/jobs/${enc(jid)}/checkpoints/${enc(ld.h.id)}">${esc(ld.h.id)}</a> · ${esc(String(ld.h.status).toLowerCase())} · ${ms(ld.h.end_to_end_duration)}`
    : '';
  return `${jobHeader(job, 'checkpoints')}
<section class="tiles tiles-8" data-key="tiles">
  ${tile('Triggered', count(c.total), c.in_progress > 0 ? `${count(c.in_progress)} in progress` : 'none in progress')}
  ${tile('Completed', count(c.completed), '', 'tile-ok')}
  ${tile('Failed', count(c.failed), lf ? `#${esc(lf.id)} at ${clock(pick(lf, 'failure_timestamp', 'trigger_timestamp'))}` : '', c.failed > 0 ? 'tile-bad' : '')}
  ${tile('Restored', count(c.restored), restoredSub)}
  ${tile('Latest completed', lc ? `<a href="#/jobs/${enc(jid)}/checkpoints/${enc(lc.id)}">#${esc(lc.id)}</a>` : DASH,
    lc ? `${ms(lc.end_to_end_duration)} · ${bytes(lc.checkpointed_size)} · ${esc(ago(pick(lc, 'latest_ack_timestamp', 'trigger_timestamp')))}` : '', 'tile-wide')}
  ${tile('End-to-end (avg)', e2e.avg !== undefined ? ms(e2e.avg) : DASH, e2e.max !== undefined ? `min ${ms(e2e.min)} · max ${ms(e2e.max)}` : '', 'tile-wide')}
</section>
${configLine(cfg)}
${ld ? diagnosisBlock(ld.d, 'diagnosis', diagHeading, jid) : ''}
<section class="card" data-key="chart">
  <div class="card-head"><h2>Duration and size</h2><span class="muted small">end-to-end duration (left) and checkpointed size (right) by trigger time</span></div>
  <div class="chart" id="checkpoint-chart" data-keep></div>
</section>
<section class="card" data-key="summary">
  <div class="card-head"><h2>Summary</h2><span class="muted small">minimum, average and maximum over all ${count(c.completed)} completed checkpoints · percentiles over those in the history, as Flink's</span></div>
  ${summaryTable(sum, c.completed)}
</section>
<section class="card" data-key="history">
  <div class="card-head"><h2>History</h2><span class="muted small">newest first · select a checkpoint for its subtasks</span></div>
  ${history(jid, hist, showAll)}
</section>`;
}
