// Weir dashboard: a hash router and a poller. Each page is a view with
// load(signal) (REST requests) and render(root, data); the poller runs the
// current view once a second and morphs the page in place. A failed poll
// leaves the last good page on screen and shows a small banner.

import { jobsView } from './views/jobs.js';
import { graphView } from './views/graph.js';
import { checkpointsView } from './views/checkpoints.js';
import { checkpointView } from './views/checkpoint.js';
import { exceptionsView } from './views/exceptions.js';
import { configView } from './views/config.js';
import { taskManagersView, taskManagerView } from './views/taskmanagers.js';
import { notice, get, setDashboardConfig, dashboardConfigLoaded, isHistoryServer, cancelClick } from './ui.js';
import { morph } from './dom.js';
import { ms } from './format.js';

const POLL_MS = 1000;

const routes = [
  [/^\/?$/, () => jobsView()],
  [/^\/jobs\/?$/, () => jobsView()],
  [/^\/jobs\/([^/]+)\/?$/, (m) => graphView(m[1], null)],
  [/^\/jobs\/([^/]+)\/vertices\/([^/]+)\/?$/, (m) => graphView(m[1], m[2])],
  [/^\/jobs\/([^/]+)\/checkpoints\/?$/, (m) => checkpointsView(m[1])],
  [/^\/jobs\/([^/]+)\/checkpoints\/(\d+)\/?$/, (m) => checkpointView(m[1], m[2])],
  [/^\/jobs\/([^/]+)\/exceptions\/?$/, (m) => exceptionsView(m[1])],
  [/^\/jobs\/([^/]+)\/config\/?$/, (m) => configView(m[1])],
  [/^\/taskmanagers\/?$/, () => taskManagersView()],
  [/^\/taskmanagers\/([^/]+)\/?$/, (m) => taskManagerView(m[1])],
];

function route(hash) {
  const path = hash.replace(/^#/, '').split('?')[0];
  for (const [re, make] of routes) {
    const m = path.match(re);
    if (m) return make(m.map((s) => (s === undefined ? s : decodeURIComponent(s))));
  }
  return {
    key: 'notfound',
    title: 'Not found',
    load: async () => null,
    render: (root) =>
      morph(root, notice('No such page', `There is no dashboard page at ${path}.`, ['#/', 'Back to the job list'])),
    final: true,
  };
}

const root = document.getElementById('view');
const banner = document.getElementById('banner');
const live = document.getElementById('live');

let view = null;
let ctrl = null;
let timer = 0;
let generation = 0;
let lastOK = 0;
let failing = false;
let lastData = null;

function setBanner(text) {
  if (text) {
    banner.textContent = text;
    banner.hidden = false;
  } else if (!banner.hidden) {
    banner.hidden = true;
    banner.textContent = '';
  }
}

// setLive sets the header's badge: Live while polls succeed, Paused on a
// page that stopped polling, "Updated … ago" when they fail. A history
// server (/config's features.web-history) serves archives that never
// change: its badge says History instead of Live or Paused.
function setLive() {
  const stale = !lastOK || Date.now() - lastOK > 3 * POLL_MS;
  let state = view && view.stopped ? 'paused' : failing || stale ? 'stale' : 'live';
  if (isHistoryServer() && state !== 'stale') state = 'history';
  live.className = `live live-${state}`;
  const text = { paused: 'Paused', live: 'Live', history: 'History' }[state] ||
    (lastOK ? `Updated ${ms(Date.now() - lastOK)} ago` : 'Connecting…');
  if (live.lastChild.textContent !== text) live.lastChild.textContent = text;
}

async function tick(gen) {
  if (gen !== generation) return;
  const v = view;
  try {
    // The server's features (is cancelling allowed?), once.
    if (!dashboardConfigLoaded()) {
      setDashboardConfig(await get('config', ctrl.signal));
      // A history server serves ended jobs only: no task managers.
      const tmNav = document.querySelector('.topnav a[data-nav="taskmanagers"]');
      if (tmNav) tmNav.hidden = isHistoryServer();
    }
    const data = await v.load(ctrl.signal);
    if (gen !== generation) return;
    v.render(root, data);
    lastData = data;
    document.title = v.title ? `${v.title} · Weir` : 'Weir';
    lastOK = Date.now();
    failing = false;
    setBanner('');
  } catch (e) {
    if (gen !== generation || e.name === 'AbortError') return;
    failing = true;
    if (e.status === 404 && v.notFound) {
      // The object is gone (a job or checkpoint no longer known): say so
      // in the page and stop asking.
      v.stopped = true;
      v.notFound(root, e);
      setBanner('');
    } else {
      setBanner(`Cannot update: ${e.message.replace(/\.$/, '')}. Retrying every second.`);
      if (!root.firstElementChild) morph(root, notice('Waiting for the REST API', e.message));
    }
  }
  setLive();
  if (gen === generation && !v.stopped && !v.final) timer = setTimeout(() => tick(gen), POLL_MS);
}

// poll asks the REST API again now, instead of at the next second.
function poll() {
  generation++;
  clearTimeout(timer);
  tick(generation);
}

function navigate() {
  lastData = null;
  generation++;
  clearTimeout(timer);
  if (ctrl) ctrl.abort();
  if (view && view.unmount) view.unmount();
  ctrl = new AbortController();
  const next = route(location.hash || '#/');
  if (!view || view.key !== next.key) {
    root.textContent = '';
    root.dataset.page = next.key;
    window.scrollTo(0, 0);
  }
  view = next;
  for (const a of document.querySelectorAll('.topnav a')) {
    a.classList.toggle('active', a.dataset.nav === (next.nav || ''));
  }
  tick(generation);
}

// Rows and boxes with data-href act as links.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey) return;
  const cancel = ev.target.closest('[data-cancel]');
  if (cancel) {
    ev.preventDefault();
    const v = view;
    const redraw = () => {
      if (v === view && lastData) v.render(root, lastData);
    };
    cancelClick(cancel.dataset.cancel, cancel.dataset.jid, redraw, poll);
    return;
  }
  const act = ev.target.closest('[data-action]');
  if (act && view && view.action) {
    ev.preventDefault();
    view.action(act.dataset.action, root);
    return;
  }
  const to = ev.target.closest('[data-scroll]');
  if (to) {
    ev.preventDefault();
    document.getElementById(to.dataset.scroll)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    return;
  }
  const el = ev.target.closest('[data-href]');
  if (el && !ev.target.closest('a')) location.hash = el.dataset.href;
});
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Enter') return;
  const el = ev.target.closest && ev.target.closest('[data-href]');
  if (el) location.hash = el.dataset.href;
});

setInterval(setLive, 500);
window.addEventListener('hashchange', navigate);
navigate();
