// One checkpoint: its figures, its explanation when slow or failed, and per
// vertex and per subtask: acknowledged, end-to-end, start delay, alignment,
// sync and async parts, sizes and in-flight data.

import { get, pick, enc, stateBadge, jobHeader, notice, diagnosisBlock, vertexName } from '../ui.js';
import { morph } from '../dom.js';
import { esc, count, ms, bytes, clock, stamp, DASH } from '../format.js';

export function checkpointView(jid, cid) {
  const v = {
    key: `checkpoint:${jid}:${cid}`,
    nav: 'jobs',
    title: `Checkpoint ${cid}`,
    async load(signal) {
      const base = `jobs/${enc(jid)}`;
      if (v.done) {
        // A completed or failed checkpoint no longer changes (and may
        // soon leave the history): only the job header is refreshed.
        return { ...v.done, job: await get(base, signal) };
      }
      const [job, detail] = await Promise.all([
        get(base, signal),
        get(`${base}/checkpoints/details/${enc(cid)}`, signal),
      ]);
      const vids = tasksOf(detail).map((t) => t.id);
      // subtasks[i] belongs to vids[i]; page() orders them by the graph.
      const subtasks = await Promise.all(
        vids.map(async (vid) => ({ vid, ...(await get(`${base}/checkpoints/details/${enc(cid)}/subtasks/${enc(vid)}`, signal)) })),
      );
      return { job, detail, subtasks };
    },
    render(root, data) {
      const st = String(data.detail.status || '').toUpperCase();
      if (st === 'COMPLETED' || st === 'FAILED') v.done = data;
      v.title = `Checkpoint ${cid} · ${data.job.name || jid}`;
      morph(root, page(jid, cid, data));
    },
    notFound(root) {
      morph(
        root,
        notice(
          `Checkpoint ${cid} not found`,
          'It is not in the job’s checkpoint history: it may be older than the history keeps, or not triggered yet.',
          [`#/jobs/${enc(jid)}/checkpoints`, 'Back to the checkpoints'],
        ),
      );
    },
  };
  return v;
}

// tasksOf lists the per-vertex entries of a checkpoint detail, whether the
// API gives them as Flink's map (vertex ID -> entry) or as an array.
function tasksOf(detail) {
  const t = detail.tasks;
  // Each entry's own "id" is the checkpoint's (as Flink's); the vertex is
  // the key.
  if (t && typeof t === 'object' && !Array.isArray(t)) return Object.entries(t).map(([id, x]) => ({ ...x, id }));
  return [];
}

function vertexNames(job) {
  const m = new Map();
  for (const vx of job.vertices || []) m.set(String(vx.id), vx.name);
  return m;
}

function fact(label, value, title = '') {
  return `<div${title ? ` title="${esc(title)}"` : ''}><dt>${label}</dt><dd class="num">${value}</dd></div>`;
}

function ackCell(acked, total) {
  const frac = total > 0 ? acked / total : 0;
  return `<td class="num ack"><span class="ackbar" aria-hidden="true"><i style="width:${(frac * 100).toFixed(0)}%"></i></span>${count(acked)}/${count(total)}</td>`;
}

function vertexTable(jid, cid, tasks, names) {
  const rows = tasks
    .map(
      (t) => `<tr data-key="v${esc(t.id)}">
  <td class="name"><a href="#/jobs/${enc(jid)}/checkpoints/${enc(cid)}" data-scroll="sub-${esc(t.id)}">${names.has(t.id) ? vertexName(names.get(t.id)) : `Vertex ${esc(t.id)}`}</a></td>
  ${ackCell(t.num_acknowledged_subtasks, t.num_subtasks)}
  <td class="num" title="${esc(stamp(t.latest_ack_timestamp))}">${clock(t.latest_ack_timestamp, true)}</td>
  <td class="num">${ms(t.end_to_end_duration)}</td>
  <td class="num">${bytes(t.checkpointed_size)}</td>
  <td class="num">${bytes(t.state_size)}</td>
  <td class="num">${bytes(t.alignment_buffered)}</td>
  <td class="num">${bytes(t.processed_data)}</td>
  <td class="num">${bytes(t.persisted_data)}</td>
</tr>`,
    )
    .join('');
  return `<section class="card" data-key="vertices">
  <div class="card-head"><h2>Per vertex</h2><span class="muted small">end-to-end of the slowest subtask, sizes summed</span></div>
  <table class="grid" id="checkpoint-vertices">
    <thead><tr><th>Vertex</th><th class="num">Acknowledged</th><th class="num">Latest ack</th><th class="num">End-to-end</th><th class="num">Checkpointed</th>
      <th class="num">State size</th><th class="num">Buffered</th><th class="num">Processed</th><th class="num">Persisted</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>`;
}

// timing draws the subtask's end-to-end time as a stacked bar: start delay,
// alignment, sync, async (and what remains: the acknowledgement's way back).
function timing(s, scale) {
  const e2e = s.end_to_end_duration;
  if (!(e2e >= 0) || !(scale > 0)) return '';
  const total = Math.max(e2e, 1);
  const parts = [
    ['t-delay', s.start_delay, 'start delay'],
    ['t-align', s.alignment?.duration, 'alignment'],
    ['t-sync', s.checkpoint?.sync, 'sync'],
    ['t-async', s.checkpoint?.async, 'async'],
  ];
  const title = `${parts.map((p) => `${p[2]} ${ms(p[1])}`).join(', ')}; end-to-end ${ms(e2e)}`;
  const w = (x) => `${(Math.min(1, Math.max(0, x || 0) / total) * 100).toFixed(2)}%`;
  return `<div class="tbox"><span class="tbar" title="${esc(title)}" style="width:${Math.max(1, (total / scale) * 100).toFixed(2)}%">${parts
    .map((p) => `<i class="${p[0]}" style="width:${w(p[1])}"></i>`)
    .join('')}</span></div>`;
}

function subtaskTable(t, sub, name, late) {
  const list = sub?.subtasks || [];
  const scale = Math.max(1, ...list.map((s) => s.end_to_end_duration || 0));
  const rows = list
    .map((s) => {
      const st = String(s.status || '').toLowerCase();
      const acked = st === 'completed' || s.ack_timestamp > 0;
      const isLate = late.has(`${t.id}/${s.index}`);
      return `<tr data-key="s${esc(s.index)}" class="${acked ? '' : 'row-pending'}">
  <td class="num">${esc(s.index)}</td>
  <td class="tags">${acked ? '<span class="pill pill-ok" title="acknowledged">ACKED</span>' : s.aborted ? '<span class="pill pill-bad">ABORTED</span>' : '<span class="pill pill-info">PENDING</span>'}${
    isLate ? ' <span class="tag tag-warn" title="acknowledged later than half the checkpoint interval">late</span>' : ''}${
    s.late ? ' <span class="tag tag-bad" title="acknowledged after the checkpoint had failed">after failure</span>' : ''}${
    s.unaligned_checkpoint ? ' <span class="tag">unaligned</span>' : ''}</td>
  <td class="num" title="${esc(stamp(s.ack_timestamp))}">${acked ? clock(s.ack_timestamp, true) : DASH}</td>
  <td class="num">${acked ? ms(s.end_to_end_duration) : DASH}</td>
  <td class="timing">${acked ? timing(s, scale) : ''}</td>
  <td class="num">${acked ? ms(s.start_delay) : DASH}</td>
  <td class="num">${acked ? ms(s.alignment?.duration) : DASH}</td>
  <td class="num">${acked ? ms(s.checkpoint?.sync) : DASH}</td>
  <td class="num">${acked ? ms(s.checkpoint?.async) : DASH}</td>
  <td class="num">${acked ? bytes(s.checkpointed_size) : DASH}</td>
  <td class="num">${acked ? bytes(s.state_size) : DASH}</td>
  <td class="num">${acked ? bytes(s.alignment?.processed) : DASH}</td>
  <td class="num">${acked ? bytes(s.alignment?.persisted) : DASH}</td>
</tr>`;
    })
    .join('');
  return `<section class="card" data-key="sub-${esc(t.id)}" id="sub-${esc(t.id)}">
  <div class="card-head"><h2>${name ? vertexName(name) : `Vertex ${esc(t.id)}`}</h2><span class="muted small">${count(t.num_acknowledged_subtasks)} of ${count(t.num_subtasks)} subtasks acknowledged</span></div>
  <table class="grid subtasks" data-vertex="${esc(t.id)}">
    <thead><tr><th class="num">#</th><th>Status</th><th class="num">Ack time</th><th class="num">End-to-end</th>
      <th class="timing-head"><span class="tlegend" title="end-to-end split into start delay, alignment, sync and async; grey: the rest"><i class="t-delay"></i><i class="t-align"></i><i class="t-sync"></i><i class="t-async"></i> split</span></th>
      <th class="num" title="trigger to the barrier's arrival">Start delay</th><th class="num">Alignment</th><th class="num">Sync</th><th class="num">Async</th><th class="num">Checkpointed</th>
      <th class="num">State</th><th class="num" title="in-flight data processed during alignment">Processed</th><th class="num" title="in-flight data persisted (unaligned)">Persisted</th></tr></thead>
    <tbody>${rows || `<tr><td colspan="13" class="empty">No subtask figures.</td></tr>`}</tbody>
  </table>
</section>`;
}

function page(jid, cid, { job, detail: d, subtasks }) {
  const names = vertexNames(job);
  const order = (job.vertices || []).map((vx) => String(vx.id));
  const tasks = tasksOf(d).sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const st = String(d.status || '').toUpperCase();
  const failure = pick(d, 'failure_message', 'failure');
  const late = new Set((d.diagnosis?.late_subtasks || []).map((l) => `${l.vertex}/${l.subtask}`));
  const kind = pick(d, 'checkpoint_type') || (d.is_savepoint ? 'SAVEPOINT' : 'CHECKPOINT');
  return `${jobHeader(job, 'checkpoints')}
<section class="card cphead" data-key="cphead">
  <div class="card-head">
    <h2><a class="back" href="#/jobs/${enc(jid)}/checkpoints" title="Back to the checkpoints">Checkpoints</a> / ${esc(kind.toLowerCase().replace(/_/g, ' '))} ${esc(d.id)}</h2>
    ${stateBadge(st)}
  </div>
  <dl class="facts">
    ${fact('Triggered', `<span title="${esc(stamp(d.trigger_timestamp))}">${clock(d.trigger_timestamp, true)}</span>`)}
    ${fact('Latest ack', clock(d.latest_ack_timestamp, true))}
    ${fact('End-to-end', ms(d.end_to_end_duration))}
    ${fact('Acknowledged', `${count(d.num_acknowledged_subtasks)}/${count(d.num_subtasks)}`)}
    ${fact('State size', bytes(d.state_size))}
    ${fact('Checkpointed', bytes(d.checkpointed_size))}
    ${fact('Buffered', bytes(d.alignment_buffered), 'data buffered during alignment')}
    ${fact('Processed', bytes(d.processed_data), 'in-flight data processed during alignment')}
    ${fact('Persisted', bytes(d.persisted_data), 'in-flight data persisted with an unaligned checkpoint')}
  </dl>
  ${d.external_path ? `<div class="path"><span class="muted">Path</span> <code>${esc(d.external_path)}</code>${d.discarded ? ' <span class="tag">discarded</span>' : ''}</div>` : ''}
  ${failure && !d.diagnosis ? `<p class="failure">${esc(failure)}</p>` : ''}
</section>
${diagnosisBlock(d.diagnosis, 'diagnosis', '', jid)}
${vertexTable(jid, cid, tasks, names)}
${tasks.map((t) => subtaskTable(t, subtasks.find((x) => x.vid === t.id), names.get(t.id), late)).join('')}`;
}
