// The job overview: the job graph (vertices left to right by topology,
// edges labelled with their ship strategy), each vertex with its rates,
// backpressure badge and busy / backpressured / idle bar; a table of the
// vertices with their low watermark, and the subtasks and watermarks of
// the selected one.

import { get, pick, enc, stateBadge, bpBadge, jobHeader, notice, vertexName } from '../ui.js';
import { morph } from '../dom.js';
import { esc, count, rate, pct, bpLevel, clock, stamp, ms, isTime, DASH } from '../format.js';

const BOX_W = 248;
const BOX_H = 140;
const COL_GAP = 96;
const ROW_GAP = 28;
const PAD = 20;

export function graphView(jid, selected) {
  const v = {
    key: `graph:${jid}`,
    nav: 'jobs',
    title: 'Job',
    async load(signal) {
      const base = `jobs/${enc(jid)}`;
      const job = await get(base, signal);
      const vertices = job.vertices || [];
      const sel = vertices.find((vx) => selected !== null && String(vx.id) === String(selected));
      const [bps, wms, detail] = await Promise.all([
        Promise.all(vertices.map((vx) => get(`${base}/vertices/${enc(vx.id)}/backpressure`, signal))),
        Promise.all(vertices.map((vx) => get(`${base}/vertices/${enc(vx.id)}/watermarks`, signal))),
        sel ? get(`${base}/vertices/${enc(sel.id)}`, signal) : null,
      ]);
      return { job, bps, wms, sel, detail };
    },
    render(root, data) {
      v.title = data.job.name || 'Job';
      morph(root, page(jid, selected, data));
    },
    notFound(root) {
      morph(root, notice('Job not found', `The REST API knows no job ${jid}.`, ['#/', 'Back to the job list']));
    },
  };
  return v;
}

// Flink's "no watermark": Long.MIN_VALUE, before the first watermark and
// for a source. Values are compared as text, then as numbers, since a
// JavaScript number cannot hold Long.MIN_VALUE exactly.
const NO_WATERMARK = '-9223372036854775808';

// Flink's MAX_WATERMARK, Long.MAX_VALUE: the input ended, as in a finished
// job. It is no time a Date can show (it would read "Invalid Date"): the
// cell shows a dash and says "end of input".
const END_WATERMARK = '9223372036854775807';

// watermarks reads /vertices/:id/watermarks ([{id: "0.currentInputWatermark",
// value: "1700000000000"}]) into the subtasks' watermarks, by index, and the
// vertex's low watermark (the minimum, as Flink's "Low Watermark"): raw is
// the REST answer's text, t the time in ms, or null for no watermark yet;
// end marks a watermark at the end of input (or any other beyond a date).
function watermarks(list) {
  const subs = (Array.isArray(list) ? list : [])
    .map((m) => {
      const idx = Number(String(m.id).split('.')[0]);
      const raw = String(m.value ?? NO_WATERMARK);
      const t = raw === NO_WATERMARK || !(Number(raw) > -9e15) ? null : Number(raw);
      return { idx, raw, t, end: t !== null && (raw === END_WATERMARK || !isTime(t)) };
    })
    .filter((w) => Number.isInteger(w.idx))
    .sort((a, b) => a.idx - b.idx);
  let low = null;
  if (subs.length && subs.every((w) => w.t !== null)) {
    low = subs.reduce((a, w) => (w.t < a.t ? w : a));
  }
  return { subs, low };
}

// wmCell shows a watermark and how far it lags behind the server's clock.
function wmCell(w, now, id = '') {
  const idAttr = id ? ` id="${id}"` : '';
  if (!w || w.t === null) {
    return `<td class="num wm"${idAttr} data-wm="${w ? esc(w.raw) : ''}"><span class="muted">no watermark yet</span></td>`;
  }
  if (w.end) {
    return `<td class="num wm"${idAttr} data-wm="${esc(w.raw)}" title="${esc(w.raw)} ms: the end of input"><span class="wm-time">${DASH}</span> <span class="sub">end of input</span></td>`;
  }
  const lag = typeof now === 'number' && now > 0 ? now - w.t : undefined;
  return `<td class="num wm"${idAttr} data-wm="${esc(w.raw)}" title="${esc(stamp(w.t))} · ${esc(w.raw)} ms"><span class="wm-time">${clock(w.t, true)}</span>${
    lag === undefined ? '' : ` <span class="sub">${lag >= 0 ? `${ms(lag)} behind` : `${ms(-lag)} ahead`}</span>`}</td>`;
}

const perSecond = (x) => (typeof x === 'number' ? Math.max(0, Math.min(1, x / 1000)) : undefined);

// figures are the numbers shown for a vertex: records and rates from the
// job's vertex metrics (rates summed over subtasks, busy and backpressured
// time of the worst subtask, as Flink's "max"), the time split averaged
// over the subtasks' backpressure samples, and Flink's backpressure level.
function figures(vx, bp) {
  const m = vx.metrics || {};
  const subs = bp?.subtasks || [];
  const avg = (f) => {
    const xs = subs.map((s) => s[f]).filter((x) => typeof x === 'number');
    return xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : undefined;
  };
  const maxBp = perSecond(pick(m, 'backPressuredTimeMsPerSecond'));
  let level = String(pick(bp, 'backpressure-level') || '').toUpperCase();
  if (!/^(OK|LOW|HIGH)$/.test(level)) level = bpLevel(maxBp);
  return {
    recIn: pick(m, 'read-records'),
    recOut: pick(m, 'write-records'),
    inRate: pick(m, 'numRecordsInPerSecond'),
    outRate: pick(m, 'numRecordsOutPerSecond'),
    busy: avg('busyRatio'),
    bp: avg('ratio'),
    idle: avg('idleRatio'),
    maxBusy: perSecond(pick(m, 'busyTimeMsPerSecond')),
    maxBp,
    level,
  };
}

// subtaskFigures are a vertex's subtasks, from its details and its
// backpressure sample.
function subtaskFigures(detail, bp) {
  const levels = new Map((bp?.subtasks || []).map((s) => [Number(s.subtask), s['backpressure-level']]));
  return (detail?.subtasks || []).map((s) => {
    const m = s.metrics || {};
    const bpRatio = perSecond(m.backPressuredTimeMsPerSecond);
    return {
      idx: s.subtask,
      status: s.status,
      tm: s['taskmanager-id'],
      endpoint: s.endpoint,
      recIn: m['read-records'],
      recOut: m['write-records'],
      inRate: m.numRecordsInPerSecond,
      outRate: m.numRecordsOutPerSecond,
      busy: perSecond(m.busyTimeMsPerSecond),
      bpRatio,
      idle: perSecond(m.idleTimeMsPerSecond),
      pool: m.outPoolUsage,
      level: String(levels.get(Number(s.subtask)) || bpLevel(bpRatio)).toUpperCase(),
    };
  });
}

// layout places vertices in columns by their longest path from a source.
function layout(vertices, edges) {
  const ids = vertices.map((v) => String(v.id));
  const inputs = new Map(ids.map((id) => [id, []]));
  for (const e of edges) if (inputs.has(e.to) && inputs.has(e.from)) inputs.get(e.to).push(e.from);
  const layer = new Map();
  const visit = (id, seen) => {
    if (layer.has(id)) return layer.get(id);
    if (seen.has(id)) return 0; // a cycle: should not happen
    seen.add(id);
    const l = inputs.get(id).reduce((m, from) => Math.max(m, visit(from, seen) + 1), 0);
    layer.set(id, l);
    return l;
  };
  ids.forEach((id) => visit(id, new Set()));
  const cols = [];
  for (const id of ids) (cols[layer.get(id)] ||= []).push(id);
  const rows = Math.max(1, ...cols.map((c) => c.length));
  const height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP;
  const pos = new Map();
  cols.forEach((col, c) => {
    const h = col.length * BOX_H + (col.length - 1) * ROW_GAP;
    col.forEach((id, r) => {
      pos.set(id, { x: PAD + c * (BOX_W + COL_GAP), y: (height - h) / 2 + r * (BOX_H + ROW_GAP) });
    });
  });
  const width = PAD * 2 + cols.length * BOX_W + (cols.length - 1) * COL_GAP;
  return { pos, width, height };
}

// edgesOf reads the job's edges from Flink's plan (plan.nodes[].inputs) or,
// failing that, from vertices[].inputs.
function edgesOf(job) {
  const out = [];
  const nodes = job.plan?.nodes;
  const add = (to, ins) => {
    for (const i of ins || []) {
      const from = pick(i, 'id', 'from', 'from_vertex', 'fromVertex');
      if (from === undefined) continue;
      out.push({
        from: String(from),
        to: String(to),
        ship: String(pick(i, 'ship_strategy', 'shipStrategy', 'partitioning') || ''),
      });
    }
  };
  if (Array.isArray(nodes) && nodes.length) nodes.forEach((n) => add(n.id, n.inputs));
  else (job.vertices || []).forEach((v) => add(v.id, v.inputs));
  return out;
}

function bar(f) {
  // The three shares are sampled separately and may add up to a little
  // more or less than the second they describe: scale them to fill it.
  const total = (f.busy || 0) + (f.bp || 0) + (f.idle || 0);
  const k = total > 1 ? 1 / total : 1;
  const w = (x) => `${(Math.max(0, Math.min(1, (x || 0) * k)) * 100).toFixed(1)}%`;
  const known = f.busy !== undefined || f.bp !== undefined || f.idle !== undefined;
  return `<div class="bar3${known ? '' : ' bar3-none'}" role="img" aria-label="busy ${pct(f.busy)}, backpressured ${pct(f.bp)}, idle ${pct(f.idle)}">
  <i class="b-busy" style="width:${w(f.busy)}"></i><i class="b-bp" style="width:${w(f.bp)}"></i><i class="b-idle" style="width:${w(f.idle)}"></i>
</div>`;
}

function graph(jid, job, figs, selected) {
  const vertices = job.vertices || [];
  const edges = edgesOf(job);
  const { pos, width, height } = layout(vertices, edges);
  const paths = edges
    .filter((e) => pos.has(e.from) && pos.has(e.to))
    .map((e, i) => {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      const x1 = a.x + BOX_W;
      const y1 = a.y + BOX_H / 2;
      const x2 = b.x - 6;
      const y2 = b.y + BOX_H / 2;
      const dx = Math.max(30, (x2 - x1) / 2);
      const label = e.ship
        ? `<span class="edge-label" style="left:${(x1 + x2) / 2}px;top:${(y1 + y2) / 2}px">${esc(e.ship)}</span>`
        : '';
      return {
        path: `<path data-key="e${i}" d="M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}" marker-end="url(#arrow)"/>`,
        label,
      };
    });
  const boxes = vertices
    .map((vx) => {
      const id = String(vx.id);
      const p = pos.get(id);
      const f = figs.get(id);
      const sel = selected !== null && String(selected) === id;
      const href = `#/jobs/${enc(jid)}/vertices/${enc(id)}`;
      const isSource = !edges.some((e) => e.to === id);
      const isSink = !edges.some((e) => e.from === id);
      return `<a class="vbox lvl-${esc((f.level || 'none').toLowerCase())}${sel ? ' selected' : ''}" data-key="v${esc(id)}" data-vertex="${esc(id)}"
   href="${sel ? `#/jobs/${enc(jid)}` : href}" style="left:${p.x}px;top:${p.y}px;width:${BOX_W}px;height:${BOX_H}px">
  <div class="vb-head"><span class="vb-name" title="${esc(vx.name)}">${vertexName(vx.name)}</span>${bpBadge(f.level, `backpressured max ${pct(f.maxBp)}`)}</div>
  <div class="vb-sub">Parallelism ${count(vx.parallelism)} · ${esc(String(vx.status || '').toLowerCase() || DASH)}</div>
  <div class="vb-rates">
    <div><span class="k">In</span><span class="v num">${isSource ? DASH : rate(f.inRate)}</span><span class="u">rec/s</span></div>
    <div><span class="k">Out</span><span class="v num">${isSink ? DASH : rate(f.outRate)}</span><span class="u">rec/s</span></div>
  </div>
  ${bar(f)}
  <div class="vb-legend"><span><i class="dot b-busy"></i>busy ${pct(f.busy)}</span><span><i class="dot b-bp"></i>backpr. ${pct(f.bp)}</span><span><i class="dot b-idle"></i>idle ${pct(f.idle)}</span></div>
</a>`;
    })
    .join('');
  return `
<div class="graph" id="job-graph" style="width:${width}px;height:${height}px">
  <svg class="edges" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-hidden="true">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
    ${paths.map((p) => p.path).join('')}
  </svg>
  ${paths.map((p) => p.label).join('')}
  ${boxes}
</div>`;
}

function vertexTable(jid, job, figs, wmarks, selected) {
  const edges = edgesOf(job);
  const rows = (job.vertices || [])
    .map((vx) => {
      const id = String(vx.id);
      const isSource = !edges.some((e) => e.to === id);
      const isSink = !edges.some((e) => e.from === id);
      const f = figs.get(id);
      const sel = selected !== null && String(selected) === id;
      return `<tr class="link${sel ? ' selected' : ''}" data-key="r${esc(id)}" data-href="#/jobs/${enc(jid)}/vertices/${enc(id)}" tabindex="0">
  <td class="name" title="${esc(vx.name)}">${vertexName(vx.name)}</td>
  <td>${stateBadge(vx.status)}</td>
  <td class="num">${count(vx.parallelism)}</td>
  <td class="num">${isSource ? DASH : count(f.recIn)}</td>
  <td class="num">${isSink ? DASH : count(f.recOut)}</td>
  <td class="num">${isSource ? DASH : rate(f.inRate)}</td>
  <td class="num">${isSink ? DASH : rate(f.outRate)}</td>
  <td class="num">${pct(f.maxBusy)}</td>
  <td class="num">${pct(f.maxBp)}</td>
  <td>${bpBadge(f.level)}</td>
  ${wmCell(wmarks.get(id)?.low ?? (wmarks.get(id)?.subs.length ? { raw: NO_WATERMARK, t: null } : null), job.now)}
</tr>`;
    })
    .join('');
  return `<section class="card" data-key="vertices">
  <div class="card-head"><h2>Vertices</h2><span class="muted small">Select a vertex for its subtasks · rates over the last second</span></div>
  <table class="grid" id="vertex-table">
    <thead><tr><th>Vertex</th><th>Status</th><th class="num">Parallelism</th><th class="num">Records in</th><th class="num">Records out</th>
      <th class="num">In rec/s</th><th class="num">Out rec/s</th><th class="num">Busy (max)</th><th class="num">Backpressured (max)</th><th>Backpressure</th><th class="num">Low watermark</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>`;
}

// tmCell is a subtask's task manager (its taskmanager-id, "embedded" in
// the one-process run) with its data address below and in the tooltip; a
// cluster's task manager links to its details.
function tmCell(s) {
  if (!s.tm) return `<td class="tm">${DASH}</td>`;
  const id = s.tm === 'embedded' ? esc(s.tm) : `<a href="#/taskmanagers/${enc(s.tm)}">${esc(s.tm)}</a>`;
  return `<td class="tm" data-tm="${esc(s.tm)}" title="${esc(s.endpoint ? `${s.tm} at ${s.endpoint}` : s.tm)}"><span class="mono">${id}</span>${
    s.endpoint ? `<div class="sub mono">${esc(s.endpoint)}</div>` : ''}</td>`;
}

function subtaskTable(vx, subs) {
  const rows = subs
    .map(
      (s) => `<tr data-key="s${s.idx}">
  <td class="num">${s.idx}</td>
  <td>${stateBadge(s.status)}</td>
  ${tmCell(s)}
  <td class="num">${count(s.recIn)}</td>
  <td class="num">${count(s.recOut)}</td>
  <td class="num">${rate(s.inRate)}</td>
  <td class="num">${rate(s.outRate)}</td>
  <td class="barcell">${bar({ busy: s.busy, bp: s.bpRatio, idle: s.idle })}</td>
  <td class="num">${pct(s.busy)}</td>
  <td class="num">${pct(s.bpRatio)}</td>
  <td class="num">${pct(s.idle)}</td>
  <td class="num">${s.pool === undefined ? DASH : pct(s.pool)}</td>
  <td>${bpBadge(s.level)}</td>
</tr>`,
    )
    .join('');
  return `<section class="card" data-key="subtasks-${esc(vx.id)}">
  <div class="card-head"><h2>Subtasks of ${vertexName(vx.name)}</h2><span class="muted small">time per second spent busy, backpressured and idle</span></div>
  <table class="grid" id="subtask-table">
    <thead><tr><th class="num">#</th><th>Status</th><th>Task manager</th><th class="num">Records in</th><th class="num">Records out</th><th class="num">In rec/s</th><th class="num">Out rec/s</th>
      <th>Time split</th><th class="num">Busy</th><th class="num">Backpressured</th><th class="num">Idle</th><th class="num">Out pool</th><th>Backpressure</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>`;
}

// watermarkTable shows each subtask's current input watermark of the
// selected vertex, with the vertex's low watermark above.
function watermarkTable(vx, wm, now) {
  const rows = wm.subs.map((w) => `<tr data-key="w${w.idx}"><td class="num">${w.idx}</td>${wmCell(w, now)}</tr>`).join('');
  const lowText = !wm.low ? 'no watermark yet' : wm.low.end ? `${DASH} (end of input)` : `${clock(wm.low.t, true)}`;
  return `<section class="card" data-key="watermarks-${esc(vx.id)}">
  <div class="card-head"><h2>Watermarks of ${vertexName(vx.name)}</h2><span class="muted small">each subtask's current input watermark · a source has none (its output watermark is its next vertex's input)</span></div>
  <p class="wm-low">Low watermark (the minimum over the subtasks): <b id="low-watermark" data-wm="${wm.low ? esc(wm.low.raw) : ''}">${lowText}</b>${
    wm.low && !wm.low.end && now > 0 ? ` <span class="muted">· ${ms(now - wm.low.t)} behind the server's clock</span>` : ''}</p>
  <table class="grid" id="watermark-table">
    <thead><tr><th class="num">#</th><th class="num">Current input watermark</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>`;
}

function page(jid, selected, { job, bps, wms, sel, detail }) {
  const figs = new Map();
  (job.vertices || []).forEach((vx, i) => figs.set(String(vx.id), figures(vx, bps[i])));
  const wmarks = new Map();
  (job.vertices || []).forEach((vx, i) => wmarks.set(String(vx.id), watermarks(wms[i])));
  const selBp = sel ? bps[(job.vertices || []).indexOf(sel)] : null;
  return `${jobHeader(job, 'graph')}
<section class="card graph-card" data-key="graph">
  <div class="card-head"><h2>Job graph</h2>
    <span class="legend"><span><i class="dot b-busy"></i>busy</span><span><i class="dot b-bp"></i>backpressured</span><span><i class="dot b-idle"></i>idle</span>
    <span class="legend-sep"></span>${bpBadge('OK', 'backpressured ≤ 10%')}<span>≤ 10%</span>${bpBadge('LOW', 'backpressured ≤ 50%')}<span>≤ 50%</span>${bpBadge('HIGH', 'backpressured > 50%')}<span>&gt; 50%</span></span>
  </div>
  <div class="graph-scroll">${graph(jid, job, figs, selected)}</div>
</section>
${vertexTable(jid, job, figs, wmarks, selected)}
${sel && detail ? subtaskTable(sel, subtaskFigures(detail, selBp)) : ''}
${sel ? watermarkTable(sel, wmarks.get(String(sel.id)), job.now) : ''}`;
}
