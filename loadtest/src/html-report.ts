import { readFileSync } from 'node:fs';
import { formatMs } from './durations.ts';
import type { Report } from './report.ts';
import type { ReportWaterfall } from './trace-waterfalls.ts';

const PAGE_SCRIPT = readFileSync(new URL('./report-page.js', import.meta.url), 'utf8');

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script>: `</script>` and `<!--` must not end or bend the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.pass{background:#2a7d2a}.fail{background:#b52a2a}
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:260px}
.plots{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-weight:600;margin:4px 0}
.tick,.legend{font-size:10px;fill:#444}.wf-label{font:11px ui-monospace,monospace;fill:#222}.wf-who{font-size:10px;fill:#666}.axis{font-size:11px;fill:#222}.empty{color:#888}
`;

function quantileTable(q: Report['quantiles']): string {
  const rows = Object.entries(q)
    .map(([name, s]) => `<tr><td>${esc(name)}</td><td>${s.count}</td><td>${s.P50}</td><td>${s.P95}</td><td>${s.P99}</td><td>${s.max}</td><td>${s.avg}</td></tr>`)
    .join('');
  return `<table class="quantiles"><tr><th>latency</th><th>count</th><th>P50 ms</th><th>P95 ms</th><th>P99 ms</th><th>max ms</th><th>avg ms</th></tr>${rows}</table>`;
}

/** One self-contained page: the config on top, the verdict, quantiles, plots (drawn by inline script) and the slowest VMIs. */
export function renderHtmlReport(report: Report, cdfs: Record<string, Array<[number, number]>>, scatter: Array<[number, number]>, waterfalls: ReportWaterfall[] = []): string {
  const data = { series: report.series, cdfs, scatter, waterfalls };
  const thresholdRows = report.thresholds
    .map((t) => `<tr><td>${esc(t.text)}</td><td>${t.observedMs === undefined ? 'nothing measured' : formatMs(t.observedMs)}</td><td>${t.passed ? 'ok' : 'FAIL'}</td></tr>`)
    .join('');
  const phaseRows = report.phases
    .map((p) => `<tr><td>${esc(p.kind)}</td><td>${p.seconds}</td><td>${p.ok ? 'ok' : 'not reached'}</td><td style="text-align:left">${esc(Object.entries(p.summary).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', '))}${p.problems.length ? `<br><b>${esc(p.problems.join('; '))}</b>` : ''}</td></tr>`)
    .join('');
  const slowCols = ['namespace', 'name', 'node', 'Pending', 'Scheduling', 'Scheduled', 'Running', 'podReady'];
  const slowRows = report.slowest.map((r) => `<tr>${slowCols.map((c) => `<td>${esc(r[c] ?? '-')}</td>`).join('')}</tr>`).join('');
  const notRunning = report.notRunning.slice(0, 100).map((r) => `<tr><td>${esc(r.namespace)}/${esc(r.name)}</td><td>${esc(r.lastPhase)}</td><td>${esc(r.reason ?? '')}</td></tr>`).join('');
  const procRows = Object.entries(report.processes).map(([n, p]) => `<tr><td>${esc(n)}</td><td>${p.cpuSeconds}</td><td>${p.peakRssMiB}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>virtsim loadtest ${esc(report.runId)}</title><style>${STYLE}</style></head>
<body>
<h1>virtsim loadtest ${esc(report.runId)} <span class="verdict ${report.passed ? 'pass' : 'fail'}">${report.passed ? 'PASSED' : 'FAILED'}</span></h1>
<div>${esc(report.startedAt)} to ${esc(report.endedAt)} (${report.durationSeconds} s)${report.interrupted ? ' — interrupted' : ''}; cluster ${esc(report.environment.server)}</div>
<h2>Config</h2><pre id="config">${esc(JSON.stringify(report.config, null, 2))}</pre>
<h2>Phases</h2><table><tr><th>phase</th><th>s</th><th>goal</th><th>figures</th></tr>${phaseRows}</table>
<h2>Latency (ms from the create request, first seen by watch)</h2>${quantileTable(report.quantiles)}
<h2>Launcher pod latency (ms from the pod's first appearance)</h2>${quantileTable(report.podQuantiles)}
${report.thresholds.length ? `<h2>Thresholds</h2><table><tr><th>threshold</th><th>observed</th><th></th></tr>${thresholdRows}</table>` : ''}
<h2>Plots</h2>
<div class="plots"><div id="cdf"></div><div id="scatter"></div><div id="phases"></div><div id="rate"></div><div id="cdf-other"></div><div id="heartbeat"></div><div id="cpu"></div><div id="rss"></div></div>
<h2>Slowest ${report.slowest.length} VMIs to Running (ms from the create request)</h2>
<table id="slowest"><tr>${slowCols.map((c) => `<th>${c}</th>`).join('')}</tr>${slowRows}</table>
<h2>Where the time went: lifecycle traces</h2>
${
  waterfalls.length
    ? `<p>The fastest, median and slowest traced VMI from creation to Running: each phase as the API showed it (what ended it on the right), and under it the fleet's spans (watch event, NATS hop, stage, delay, API write). <code>virtsim trace NAME</code> shows any other.</p><div id="waterfalls"></div>`
    : '<p class="empty">No lifecycle traces: run with --up, or against a <code>virtsim up</code> (its span store, &lt;state-dir&gt;/traces, is read), with the VMIs sampled.</p>'
}
${report.notRunning.length ? `<h2>Never Running (${report.notRunning.length})</h2><table><tr><th>VMI</th><th>last phase</th><th>reason</th></tr>${notRunning}</table>` : ''}
${procRows ? `<h2>Processes</h2><table><tr><th>process</th><th>CPU s</th><th>peak RSS MiB</th></tr>${procRows}</table>` : ''}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
