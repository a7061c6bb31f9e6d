// The checkpoint chart: end-to-end duration (left axis) and checkpointed
// size (right axis) of each checkpoint by trigger time, drawn with uPlot
// (vendored, a classic script that defines window.uPlot).

import { ms, bytes, clock } from './format.js';

// Axis steps for sizes: powers of two of each binary unit, so that ticks
// read 64 KiB, 128 KiB, ... rather than 97.7 KiB.
const BYTE_INCRS = [];
for (let unit = 1; unit <= 1024 ** 4; unit *= 1024) {
  for (let m = 1; m < 1024; m *= 2) BYTE_INCRS.push(m * unit);
}

const C = {
  e2e: '#2f6fd0',
  size: '#1f9d8b',
  sizeFill: 'rgba(31, 157, 139, 0.10)',
  failed: '#c8463d',
  grid: '#edf0f3',
  axis: '#6b7685',
};

// newestDone is the index of the newest completed checkpoint in data, -1
// if none.
function newestDone(data) {
  for (let i = data[1].length - 1; i >= 0; i--) if (data[1][i] != null) return i;
  return -1;
}

export class CheckpointChart {
  constructor(el) {
    this.el = el;
    this.u = null;
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(el);
  }

  width() {
    return Math.max(320, Math.floor(this.el.clientWidth));
  }

  // update sets the data: history entries, any order.
  update(history) {
    const pts = history
      .filter((h) => h.trigger_timestamp > 0)
      .sort((a, b) => a.trigger_timestamp - b.trigger_timestamp || a.id - b.id);
    const done = (h) => String(h.status).toUpperCase() === 'COMPLETED';
    const failed = (h) => String(h.status).toUpperCase() === 'FAILED';
    const data = [
      pts.map((h) => h.trigger_timestamp / 1000),
      pts.map((h) => (done(h) ? h.end_to_end_duration : null)),
      pts.map((h) => (done(h) ? h.checkpointed_size : null)),
      pts.map((h) => (failed(h) ? h.end_to_end_duration ?? 0 : null)),
    ];
    if (!this.u) {
      this.u = new window.uPlot(this.options(), data, this.el);
    } else {
      this.u.setData(data);
    }
    const i = newestDone(data);
    if (i >= 0 && !(this.u.cursor.left >= 0)) this.u.setLegend({ idx: i }, false);
  }

  options() {
    const axis = {
      stroke: C.axis,
      grid: { stroke: C.grid, width: 1 },
      ticks: { stroke: C.grid, width: 1 },
      font: '11px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif',
    };
    return {
      width: this.width(),
      height: 240,
      cursor: { points: { size: 7 }, drag: { x: false, y: false } },
      legend: { live: true },
      hooks: {
        // Away from the cursor, the legend shows the newest checkpoint.
        setLegend: [
          (u) => {
            const i = newestDone(u.data);
            if (i >= 0 && !(u.cursor.left >= 0) && u.legend.idx !== i) u.setLegend({ idx: i }, false);
          },
        ],
      },
      scales: {
        x: { time: true },
        ms: { range: (u, min, max) => [0, Math.max(10, max * 1.15)] },
        bytes: { range: (u, min, max) => [0, Math.max(1024, max * 1.15)] },
      },
      series: [
        { label: 'Triggered', value: (u, v) => (v == null ? '–' : clock(v * 1000, true)) },
        {
          label: 'End-to-end', scale: 'ms', stroke: C.e2e, width: 2,
          points: { show: true, size: 4, fill: C.e2e }, spanGaps: true,
          value: (u, v) => (v == null ? '–' : ms(v)),
        },
        {
          label: 'Checkpointed size', scale: 'bytes', stroke: C.size, width: 1.5, fill: C.sizeFill,
          points: { show: false }, spanGaps: true,
          value: (u, v) => (v == null ? '–' : bytes(v)),
        },
        {
          label: 'Failed', scale: 'ms', stroke: C.failed, width: 0, paths: () => null,
          points: { show: true, size: 8, fill: C.failed, stroke: C.failed },
          value: (u, v) => (v == null ? '–' : ms(v)),
        },
      ],
      axes: [
        {
          ...axis, space: 90, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400],
          values: (u, vs) => vs.map((v) => clock(v * 1000)),
        },
        { ...axis, scale: 'ms', size: 64, values: (u, vs) => vs.map((v) => ms(v)) },
        {
          ...axis, scale: 'bytes', side: 1, size: 76, grid: { show: false }, incrs: BYTE_INCRS,
          values: (u, vs) => vs.map((v) => bytes(v)),
        },
      ],
    };
  }

  resize() {
    if (this.u && this.u.width !== this.width()) this.u.setSize({ width: this.width(), height: 240 });
  }

  destroy() {
    this.ro.disconnect();
    if (this.u) this.u.destroy();
    this.u = null;
  }
}
