// The job list: cluster figures and every job with its state, start,
// duration and restarts.

import { get, pick, enc, stateBadge, jobTimes, jobRestarts } from '../ui.js';
import { morph } from '../dom.js';
import { esc, count, ms, clock, stamp, DASH } from '../format.js';

export function jobsView() {
  return {
    key: 'jobs',
    nav: 'jobs',
    title: 'Jobs',
    async load(signal) {
      const [overview, list] = await Promise.all([get('overview', signal), get('jobs/overview', signal)]);
      const jobs = list.jobs || [];
      // /jobs/overview has no restart count (Flink's has none either): take
      // it from each job's details, for the first few jobs.
      await Promise.all(
        jobs.slice(0, 20).map(async (j, i) => {
          if (jobRestarts(j) !== undefined) return;
          const d = await get(`jobs/${enc(pick(j, 'jid', 'id'))}`, signal);
          jobs[i] = { ...j, restarts: jobRestarts(d) };
        }),
      );
      return { overview, jobs };
    },
    render(root, { overview, jobs }) {
      morph(root, page(overview, jobs));
    },
  };
}

const order = { RUNNING: 0, RESTARTING: 1, FAILING: 1, CREATED: 2, INITIALIZING: 2 };

// tasks is "4 / 5 running" from Flink's task counts by state.
function tasks(t) {
  if (!t || !(t.total >= 0)) return DASH;
  const running = t.running || 0;
  return running === t.total
    ? `${count(t.total)} running`
    : `<span title="${esc(Object.entries(t).filter(([k, v]) => k !== 'total' && v > 0).map(([k, v]) => `${v} ${k}`).join(', '))}">${count(running)} / ${count(t.total)} running</span>`;
}

function page(o, jobs) {
  const now = Date.now();
  jobs = [...jobs].sort(
    (a, b) =>
      (order[a.state] ?? 9) - (order[b.state] ?? 9) || (pick(b, 'start-time') || 0) - (pick(a, 'start-time') || 0),
  );
  const tile = (label, v, cls = '') =>
    `<div class="tile ${cls}"><div class="tile-label">${label}</div><div class="tile-value num">${count(v)}</div></div>`;
  const rows = jobs
    .map((j) => {
      const jid = pick(j, 'jid', 'id');
      const { start, end, dur } = jobTimes(j, now);
      const r = jobRestarts(j);
      return `<tr class="link" data-key="${esc(jid)}" data-href="#/jobs/${enc(jid)}" tabindex="0">
  <td class="name"><a href="#/jobs/${enc(jid)}">${esc(j.name || jid)}</a><div class="sub mono">${esc(jid)}</div></td>
  <td>${stateBadge(j.state)}</td>
  <td class="num">${tasks(j.tasks)}</td>
  <td class="num" title="${esc(stamp(start))}">${clock(start)}</td>
  <td class="num" title="${esc(stamp(end))}">${end > 0 ? clock(end) : DASH}</td>
  <td class="num">${ms(dur)}</td>
  <td class="num">${r === undefined ? DASH : `<span class="${r > 0 ? 'warn-text' : ''}">${count(r)}</span>`}</td>
</tr>`;
    })
    .join('');
  const version = pick(o, 'weir-version', 'flink-version');
  return `
<section class="tiles" data-key="tiles">
  ${tile('Running jobs', pick(o, 'jobs-running'), 'tile-ok')}
  ${tile('Finished', pick(o, 'jobs-finished'))}
  ${tile('Canceled', pick(o, 'jobs-cancelled', 'jobs-canceled'))}
  ${tile('Failed', pick(o, 'jobs-failed'), pick(o, 'jobs-failed') > 0 ? 'tile-bad' : '')}
  ${tile('Task slots', pick(o, 'slots-total'))}
</section>
<section class="card" data-key="jobs">
  <div class="card-head"><h2>Jobs</h2>${version ? `<span class="muted small">Weir ${esc(version)}</span>` : ''}</div>
  ${
    jobs.length
      ? `<table class="grid" id="jobs-table">
  <thead><tr><th>Name</th><th>State</th><th class="num">Tasks</th><th class="num">Started</th><th class="num">Ended</th><th class="num">Duration</th><th class="num">Restarts</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`
      : '<p class="empty">No jobs yet. Jobs appear here as soon as they are submitted.</p>'
  }
</section>`;
}
