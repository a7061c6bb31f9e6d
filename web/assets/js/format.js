// Number, size, duration and time formatting, and HTML escaping.
// Every figure the dashboard shows goes through one of these, so units are
// consistent: ms/s for durations, B/KiB/MiB for sizes, records/s for rates.

const group = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const two = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export const DASH = '–';

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

// esc escapes text for HTML element content and attribute values.
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// count: 1234567 -> "1,234,567".
export function count(v) {
  return isNum(v) && v >= 0 ? group.format(v) : DASH;
}

// rate: records per second, "0", "12.5", "1,234", "1.23 M".
export function rate(v) {
  if (!isNum(v) || v < 0) return DASH;
  if (v === 0) return '0';
  if (v < 10) return one.format(v);
  if (v < 1e6) return group.format(v);
  return `${two.format(v / 1e6)} M`;
}

// bytes: 812 -> "812 B", 12700 -> "12.4 KiB".
export function bytes(v) {
  if (!isNum(v) || v < 0) return DASH;
  if (v < 1024) return `${group.format(v)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x < 10 ? two.format(x) : x < 100 ? one.format(x) : group.format(x)} ${units[i]}`;
}

// ms: a duration in milliseconds -> "0 ms", "87 ms", "1.42 s", "3m 05s",
// "2h 04m", "3d 01h".
export function ms(v) {
  if (!isNum(v) || v < 0) return DASH;
  if (v < 1) return v === 0 ? '0 ms' : '<1 ms';
  if (v < 1000) return `${group.format(v)} ms`;
  const s = v / 1000;
  if (s < 10) return `${two.format(s)} s`;
  if (s < 60) return `${one.format(s)} s`;
  const pad = (n) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${pad((s % 86400) / 3600)}h`;
}

// pct: a ratio 0..1 -> "42%".
export function pct(v) {
  return isNum(v) ? `${Math.round(Math.max(0, Math.min(1, v)) * 100)}%` : DASH;
}

const pad2 = (n) => String(n).padStart(2, '0');

// MAX_DATE_MS is the latest time a JavaScript Date holds (8.64e15 ms, year
// 275760); beyond it new Date gives "Invalid Date".
const MAX_DATE_MS = 8.64e15;

// isTime: t is a set time, epoch ms, that a Date can show. Unset times
// (Flink's -1 or 0, a missing field, null) and values beyond any date
// (Long.MAX_VALUE, a watermark at the end of input) are not, and show as a
// dash, as in Flink's dashboard.
export function isTime(t) {
  return isNum(t) && t > 0 && t <= MAX_DATE_MS;
}

// clock: epoch ms -> "14:03:27" today, "Jun 1 14:03:27" otherwise; with
// millis, "14:03:27.123"; a dash for an unset time.
export function clock(t, millis = false) {
  if (!isTime(t)) return DASH;
  const d = new Date(t);
  let s = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  if (millis) s += `.${String(d.getMilliseconds()).padStart(3, '0')}`;
  if (d.toDateString() !== new Date().toDateString()) {
    s = `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()} ${s}`;
  }
  return s;
}

// stamp: epoch ms -> "2025-06-01 14:03:27" (for titles and tooltips).
export function stamp(t) {
  if (!isTime(t)) return '';
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

// ago: epoch ms -> "3 s ago".
export function ago(t, now = Date.now()) {
  if (!isTime(t)) return DASH;
  return `${ms(Math.max(0, now - t))} ago`;
}

// since: epoch ms -> "3s ago", "2m 05s ago" (whole seconds, for a
// heartbeat); a dash for an unset time.
export function since(t, now = Date.now()) {
  if (!isTime(t)) return DASH;
  const s = Math.floor(Math.max(0, now - t) / 1000);
  return s < 60 ? `${s}s ago` : `${ms(s * 1000)} ago`;
}

// bpLevel is Flink's backpressure level for a ratio of time spent
// backpressured: OK up to 10 %, LOW up to 50 %, HIGH above.
export function bpLevel(ratio) {
  if (!isNum(ratio)) return '';
  if (ratio <= 0.1) return 'OK';
  if (ratio <= 0.5) return 'LOW';
  return 'HIGH';
}
