// The job's configuration, as Flink's job "Configuration" tab shows it:
// the execution config (GET /jobs/:id/config "execution-config") and the
// options that were set for the job (its "user-config": -D, --config and
// the job's own settings, secrets masked by the server).

import { get, pick, enc, jobHeader, notice } from '../ui.js';
import { morph } from '../dom.js';
import { esc, count, DASH } from '../format.js';

export function configView(jid) {
  let config = null;
  const v = {
    key: `config:${jid}`,
    nav: 'jobs',
    title: 'Configuration',
    async load(signal) {
      const base = `jobs/${enc(jid)}`;
      // The configuration does not change while the job runs: ask once,
      // and keep polling the job for its header.
      const [job, cfg] = await Promise.all([get(base, signal), config ? Promise.resolve(config) : get(`${base}/config`, signal)]);
      config = cfg;
      return { job, cfg };
    },
    render(root, data) {
      v.title = `Configuration · ${data.job.name || jid}`;
      morph(root, page(data));
    },
    notFound(root) {
      morph(root, notice('Job not found', `The REST API knows no job ${jid}.`, ['#/', 'Back to the job list']));
    },
  };
  return v;
}

function page({ job, cfg }) {
  const ec = cfg['execution-config'] || {};
  const user = pick(ec, 'user-config') || {};
  const keys = Object.keys(user).sort();
  const num = (x) => (typeof x === 'number' && x > 0 ? count(x) : DASH);
  const fact = (label, value) => `<div><dt>${label}</dt><dd>${value}</dd></div>`;
  const rows = keys
    .map((k) => `<tr data-key="o-${esc(k)}"><td class="mono key">${esc(k)}</td><td class="mono val">${esc(user[k])}</td></tr>`)
    .join('');
  return `${jobHeader(job, 'config')}
<section class="card" data-key="execution-config">
  <div class="card-head"><h2>Execution configuration</h2><span class="muted small">as the job runs</span></div>
  <dl class="facts cfgfacts" id="execution-config">
    ${fact('Execution mode', esc(pick(ec, 'execution-mode') || DASH))}
    ${fact('Restart strategy', esc(pick(ec, 'restart-strategy') || DASH))}
    ${fact('Job parallelism', num(pick(ec, 'job-parallelism')))}
    ${fact('Max parallelism', num(pick(ec, 'max-parallelism')))}
    ${fact('Object reuse', pick(ec, 'object-reuse-mode') ? 'on' : 'off')}
  </dl>
</section>
<section class="card" data-key="user-config">
  <div class="card-head"><h2>Options set for the job</h2><span class="muted small">${count(keys.length)} set with -D, --config or by the job · every other option has its default (weir config lists them)</span></div>
  ${
    keys.length
      ? `<table class="grid" id="job-config"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="empty">No option was set: every option has its default.</p>'
  }
</section>`;
}
