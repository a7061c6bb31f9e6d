// The task managers (GET /taskmanagers, Flink's TaskManagersInfo): each
// with its address, data port, slots, last heartbeat and hardware; and one
// task manager's details (GET /taskmanagers/:tmid). A cluster's job
// manager lists the registered task managers; the embedded local run has
// one, "embedded", in its own process, which sends no heartbeats.

import { get, pick, enc, notice, isHistoryServer } from '../ui.js';
import { morph } from '../dom.js';
import { esc, count, bytes, since, stamp, isTime, DASH } from '../format.js';

export function taskManagersView() {
  return {
    key: 'taskmanagers',
    nav: 'taskmanagers',
    title: 'Task managers',
    async load(signal) {
      if (isHistoryServer()) return null;
      const [overview, list] = await Promise.all([get('overview', signal), get('taskmanagers', signal)]);
      return { overview, tms: list.taskmanagers || [] };
    },
    render(root, data) {
      morph(root, data ? listPage(data.overview, data.tms) : historyNotice());
    },
  };
}

export function taskManagerView(tmid) {
  const v = {
    key: `taskmanager:${tmid}`,
    nav: 'taskmanagers',
    title: 'Task manager',
    async load(signal) {
      if (isHistoryServer()) return null;
      return get(`taskmanagers/${enc(tmid)}`, signal);
    },
    render(root, tm) {
      if (!tm) return morph(root, historyNotice());
      v.title = `Task manager ${tm.id || tmid}`;
      morph(root, detailPage(tm));
    },
    notFound(root, e) {
      morph(
        root,
        notice('Task manager not found', `The REST API knows no task manager ${tmid} (any more): ${e.detail}`, [
          '#/taskmanagers',
          'Back to the task managers',
        ]),
      );
    },
  };
  return v;
}

// historyNotice stands in for the task managers on a history server,
// which serves archives of ended jobs and has none.
const historyNotice = () =>
  notice('No task managers here', 'This is a history server: it serves archives of ended jobs, which ran on task managers no longer known.', [
    '#/',
    'Back to the job list',
  ]);

const positive = (x) => (typeof x === 'number' && x > 0 ? x : undefined);

// port shows a port number; 0 (none, as the embedded task manager's data
// port) is a dash.
const port = (p) => (positive(p) ? String(p) : DASH);

// heartbeat is the last heartbeat as "3s ago", the time in its tooltip.
// timeSinceLastHeartbeat is, as in Flink, the time of the last heartbeat
// in epoch ms, despite its name; the embedded task manager has none (0).
function heartbeat(tm, now) {
  const t = pick(tm, 'timeSinceLastHeartbeat');
  if (!isTime(t)) return `<span class="muted" title="no heartbeat: the task manager runs in this process">${DASH}</span>`;
  return `<span title="${esc(stamp(t))}">${since(t, now)}</span>`;
}

// slots is "free / total", with the slots in use in its tooltip.
function slots(tm) {
  const total = pick(tm, 'slotsNumber');
  const free = pick(tm, 'freeSlots');
  if (!(total >= 0)) return DASH;
  const used = free >= 0 ? total - free : undefined;
  return `<span title="${used === undefined ? '' : `${count(used)} of ${count(total)} in use`}">${count(free)} / ${count(total)}</span>`;
}

function listPage(o, tms) {
  const now = Date.now();
  tms = [...tms].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const tile = (label, v, cls = '') =>
    `<div class="tile ${cls}"><div class="tile-label">${label}</div><div class="tile-value num">${count(v)}</div></div>`;
  const rows = tms
    .map((tm) => {
      const href = `#/taskmanagers/${enc(tm.id)}`;
      const hw = tm.hardware || {};
      return `<tr class="link" data-key="${esc(tm.id)}" data-href="${href}" tabindex="0">
  <td class="name mono"><a href="${href}">${esc(tm.id)}</a></td>
  <td class="mono path" title="${esc(tm.path)}">${esc(tm.path || DASH)}</td>
  <td class="num" data-port="${esc(tm.dataPort)}">${port(tm.dataPort)}</td>
  <td class="num" data-slots="${esc(`${tm.freeSlots}/${tm.slotsNumber}`)}">${slots(tm)}</td>
  <td class="num">${heartbeat(tm, now)}</td>
  <td class="num">${positive(hw.cpuCores) ? count(hw.cpuCores) : DASH}</td>
  <td class="num">${positive(hw.physicalMemory) ? bytes(hw.physicalMemory) : DASH}</td>
</tr>`;
    })
    .join('');
  const local = tms.length === 1 && tms[0].id === 'embedded';
  return `
<section class="tiles" data-key="tiles">
  ${tile('Task managers', pick(o, 'taskmanagers') ?? tms.length, 'tile-ok')}
  ${tile('Task slots', pick(o, 'slots-total'))}
  ${tile('Available slots', pick(o, 'slots-available'))}
</section>
<section class="card" data-key="taskmanagers">
  <div class="card-head"><h2>Task managers</h2><span class="muted small">${
    local ? 'one process: the job runs in the task manager of this process' : 'registered with this job manager · select one for its details'}</span></div>
  ${
    tms.length
      ? `<table class="grid" id="taskmanager-table">
  <thead><tr><th>ID</th><th>Address</th><th class="num">Data port</th><th class="num">Slots free / total</th><th class="num">Last heartbeat</th><th class="num">CPU cores</th><th class="num">Memory</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`
      : '<p class="empty">No task manager has registered yet. Start one with weir taskmanager --jobmanager HOST:PORT.</p>'
  }
</section>`;
}

function detailPage(tm) {
  const now = Date.now();
  const hw = tm.hardware || {};
  const fact = (label, value, cls = '') => `<div><dt>${label}</dt><dd class="${cls}">${value}</dd></div>`;
  const mem = (x) => (positive(x) ? bytes(x) : DASH);
  const total = pick(tm, 'slotsNumber');
  const free = pick(tm, 'freeSlots');
  return `
<section class="jobhead" data-key="tmhead">
  <p class="back"><a href="#/taskmanagers">← Task managers</a></p>
  <div class="jobhead-main"><h1 class="jobname mono" id="taskmanager-id" title="${esc(tm.id)}">${esc(tm.id)}</h1></div>
</section>
<section class="card" data-key="tm-facts">
  <div class="card-head"><h2>Task manager</h2><span class="muted small">GET /taskmanagers/${esc(tm.id)}</span></div>
  <dl class="facts cfgfacts" id="taskmanager-facts">
    ${fact('Address', esc(tm.path || DASH), 'mono')}
    ${fact('Data port', port(tm.dataPort))}
    ${fact('JMX port', port(tm.jmxPort))}
    ${fact('Slots', count(total))}
    ${fact('Free slots', count(free))}
    ${fact('Slots in use', total >= 0 && free >= 0 ? count(total - free) : DASH)}
    ${fact('Last heartbeat', heartbeat(tm, now))}
  </dl>
</section>
<section class="card" data-key="tm-hardware">
  <div class="card-head"><h2>Hardware</h2><span class="muted small">as the task manager reported it when it registered</span></div>
  <dl class="facts cfgfacts" id="taskmanager-hardware">
    ${fact('CPU cores', positive(hw.cpuCores) ? count(hw.cpuCores) : DASH)}
    ${fact('Physical memory', mem(hw.physicalMemory))}
    ${fact('Free memory', mem(hw.freeMemory))}
    ${fact('Managed memory', mem(hw.managedMemory))}
  </dl>
</section>`;
}
