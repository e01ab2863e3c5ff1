// Draws the load test report's plots as inline SVG from the JSON embedded in the page.
// Plain browser JavaScript, no libraries: the report opens offline, from a file, anywhere.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const W = 640, H = 300, L = 64, R = 150, T = 16, B = 40;

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (Math.abs(v) >= 10000) return (v / 1000).toFixed(0) + 'k';
    if (Math.abs(v) >= 1000) return (v / 1000).toFixed(1) + 'k';
    return String(Math.round(v * 100) / 100);
  }

  // series: [{name, points: [[x, y], ...]}]; opts: {xLabel, yLabel, scatter, logX}
  function plot(id, title, series, opts) {
    const box = document.getElementById(id);
    if (!box) return;
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = title;
    fig.appendChild(cap);
    box.appendChild(fig);
    const drawn = series.filter((s) => s.points.length > 0);
    if (drawn.length === 0) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'nothing measured';
      fig.appendChild(p);
      return;
    }
    let x0 = Infinity, x1 = -Infinity, y0 = opts.yMin === undefined ? Infinity : opts.yMin, y1 = -Infinity;
    for (const s of drawn) for (const [x, y] of s.points) {
      if (x < x0) x0 = x; if (x > x1) x1 = x;
      if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) y1 = y0 + 1;
    const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
    const sy = (y) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'plot', 'data-plot': id }, fig);
    el('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: '#fff', stroke: '#ccc' }, svg);
    for (let i = 0; i <= 4; i++) {
      const yv = y0 + ((y1 - y0) * i) / 4, xv = x0 + ((x1 - x0) * i) / 4;
      el('line', { x1: L, x2: W - R, y1: sy(yv), y2: sy(yv), stroke: '#eee' }, svg);
      el('text', { x: L - 6, y: sy(yv) + 4, 'text-anchor': 'end', class: 'tick' }, svg).textContent = fmt(yv);
      el('text', { x: sx(xv), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, svg).textContent = fmt(xv);
    }
    el('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, svg).textContent = opts.xLabel;
    el('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 14 ${(T + H - B) / 2})` }, svg).textContent = opts.yLabel;
    drawn.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      if (opts.scatter) {
        const g = el('g', { class: 'series', 'data-series': s.name, fill: color, 'fill-opacity': 0.5 }, svg);
        for (const [x, y] of s.points) el('circle', { cx: sx(x).toFixed(1), cy: sy(y).toFixed(1), r: 1.6 }, g);
      } else {
        const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
        el('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.6, class: 'series', 'data-series': s.name, 'data-points': s.points.length }, svg);
      }
      el('rect', { x: W - R + 10, y: T + i * 16, width: 10, height: 10, fill: color }, svg);
      el('text', { x: W - R + 24, y: T + i * 16 + 9, class: 'legend' }, svg).textContent = s.name;
    });
  }

  const series = data.series;
  const t = (s) => s.t;
  const cdfNames = Object.keys(data.cdfs).filter((n) => /^VMI(Pending|Scheduling|Scheduled|Running)$|^VMReady$|^PodReady$/.test(n));
  plot('cdf', 'Latency CDF from the create request (ms)', cdfNames.map((n) => ({ name: n, points: data.cdfs[n] })), { xLabel: 'ms', yLabel: 'fraction of VMIs', yMin: 0 });
  const otherCdfs = Object.keys(data.cdfs).filter((n) => /^VMIM(Running|Succeeded)$|^VMIDeleted$|^VMStopped$|^DrainNode$|^VMIEvacuated$/.test(n));
  plot('cdf-other', 'Migration, drain and deletion latency CDF (ms)', otherCdfs.map((n) => ({ name: n, points: data.cdfs[n] })), { xLabel: 'ms', yLabel: 'fraction', yMin: 0 });
  plot('scatter', 'Creation to Running per VMI, over creation time', [{ name: 'VMIRunning', points: data.scatter }], { xLabel: 'created at (s into the run)', yLabel: 'ms to Running', scatter: true, yMin: 0 });
  const phases = new Set();
  for (const s of series) for (const p in s.vmisByPhase) phases.add(p);
  plot('phases', 'VMIs by phase', [...phases].sort().map((p) => ({ name: p, points: series.map((s) => [t(s), s.vmisByPhase[p] || 0]) })), { xLabel: 's', yLabel: 'VMIs', yMin: 0 });
  const rate = [];
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1], b = series[i];
    if (a.phase === b.phase && b.t > a.t) rate.push([b.t, Math.max(0, (b.done - a.done) / (b.t - a.t)), Math.max(0, (b.asked - a.asked) / (b.t - a.t))]);
  }
  plot('rate', 'Rate asked vs achieved (objects/s)', [{ name: 'asked', points: rate.map((r) => [r[0], r[2]]) }, { name: 'achieved', points: rate.map((r) => [r[0], r[1]]) }], { xLabel: 's', yLabel: 'per second', yMin: 0 });
  plot('heartbeat', 'Oldest node Lease age (s)', [{ name: 'oldest lease', points: series.filter((s) => s.oldestLeaseAgeSeconds != null).map((s) => [t(s), s.oldestLeaseAgeSeconds]) }], { xLabel: 's', yLabel: 'seconds', yMin: 0 });
  const procs = new Set();
  for (const s of series) for (const p in s.processes || {}) procs.add(p);
  const procSeries = (field) => [...procs].sort().map((p) => ({ name: p, points: series.filter((s) => s.processes && s.processes[p]).map((s) => [t(s), s.processes[p][field]]) }));
  plot('cpu', 'CPU per process (% of one core)', procSeries('cpuPercent'), { xLabel: 's', yLabel: '%', yMin: 0 });
  plot('rss', 'RSS per process (MiB)', procSeries('rssMiB'), { xLabel: 's', yLabel: 'MiB', yMin: 0 });
  // Lifecycle waterfalls: one row per span, a bar on the VMI's time axis (ms from creation).
  const WF_COLORS = { root: '#7f7f7f', phase: '#1f77b4', fleet: '#ff7f0e' };
  function waterfall(w) {
    const box = document.getElementById('waterfalls');
    if (!box) return;
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = w.which + ': ' + w.object + ', ' + fmt(w.durationMs) + ' ms to Running (trace ' + w.traceId + ')';
    fig.appendChild(cap);
    box.appendChild(fig);
    const RH = 15, LW = 300, WW = 220, BW = 520, TOP = 18;
    const total = Math.max(w.durationMs, 0.001);
    const sx = (ms) => LW + WW + (Math.min(ms, total) / total) * BW;
    const svg = el('svg', { viewBox: '0 0 ' + (LW + WW + BW + 70) + ' ' + (TOP + w.rows.length * RH + 4), width: LW + WW + BW + 70, height: TOP + w.rows.length * RH + 4, class: 'waterfall', 'data-waterfall': w.which }, fig);
    for (let i = 0; i <= 4; i++) {
      const ms = (total * i) / 4;
      el('line', { x1: sx(ms), x2: sx(ms), y1: TOP - 4, y2: TOP + w.rows.length * RH, stroke: '#eee' }, svg);
      el('text', { x: sx(ms), y: 10, 'text-anchor': 'middle', class: 'tick' }, svg).textContent = fmt(ms) + ' ms';
    }
    w.rows.forEach((r, i) => {
      const y = TOP + i * RH;
      const g = el('g', { class: 'wf-row', 'data-kind': r.kind, 'data-name': r.name }, svg);
      el('text', { x: 4 + r.depth * 12, y: y + 11, class: 'wf-label' }, g).textContent = r.name;
      el('text', { x: LW, y: y + 11, class: 'wf-who' }, g).textContent = r.who;
      el('rect', { x: sx(r.start).toFixed(1), y: y + 2, width: Math.max(1.5, sx(r.end) - sx(r.start)).toFixed(1), height: RH - 4, fill: WF_COLORS[r.kind] }, g);
      el('text', { x: LW + WW + BW + 6, y: y + 11, class: 'tick' }, g).textContent = fmt(r.end - r.start) + ' ms';
    });
  }
  for (const w of data.waterfalls || []) waterfall(w);

  document.body.setAttribute('data-plots-drawn', String(document.querySelectorAll('svg.plot').length));
})();
