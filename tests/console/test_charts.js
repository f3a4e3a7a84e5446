// The console's plot maths under node, with fixed figures: a bucket's size
// history from current, hmax, h_integral (byte-hours) and last_ts (hours
// since the epoch) (buckets.js), and the usage plots' sums per fixed bin
// (usage.js), and the health page's reading of Prometheus text, its rates
// and latency percentiles (health.js). A units mistake (ms for hours), a
// point per object start or a quantile off its bucket fails here. api.js is
// loaded first: the modules take their page calls from it.
//   node test_charts.js CONSOLE_DIR
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const dir = process.argv[2] || path.join(__dirname, '..', '..', 'gateway-lite', 'console');
const context = vm.createContext({});
for (const file of ['api.js', 'charts.js', 'buckets.js', 'usage.js', 'health.js'])
  vm.runInContext(fs.readFileSync(path.join(dir, file), 'utf8'), context, { filename: file });
const ostor = vm.runInContext('globalThis.ostor', context);
// Arrays and objects made in the context compared as plain data.
const plain = (value) => JSON.parse(JSON.stringify(value));

const HOUR = 3600 * 1000;
const at = (iso) => Date.parse(iso);
const hourOf = (iso) => Math.floor(at(iso) / HOUR);
let checks = 0;
function check(name, got, want) {
  assert.deepStrictEqual(plain(got), want, name);
  checks++;
}

// ---- the size history ------------------------------------------------------------
// Created empty at 10:20; 1000 bytes from 12:xx; 3000 bytes from 15:xx (the
// byte-hours then: 1000 for the 3 hours 12 to 15); seen at 20:10.
{
  const created = at('2026-12-01T10:20:00Z');
  const now = at('2026-12-01T20:10:00Z');
  const size = { current: 3000, hmax: 3000, h_integral: 1000 * 3, last_ts: hourOf('2026-12-01T15:40:00Z') };
  const reading = { x: at('2026-12-01T19:00:00Z'), y: 3000 };
  const h = ostor.buckets.history(size, created, now, [reading]);
  // Until now: 3000 more for each of the 5 hours 15 to 20.
  check('byte-hours until now', h.byteHours, 3000 + 3000 * 5);
  // 10 hours since the creation's hour (10 to 20).
  check('mean since creation', h.mean, (3000 + 3000 * 5) / 10);
  const series = Object.fromEntries(plain(h.series).map((s) => [s.label, s.points]));
  check('series', Object.keys(series), ['Size', 'Peak (hmax)', 'Mean since creation']);
  check('size: created empty, the current by the end of the hour of the last change, the reading', series.Size,
    [{ x: created, y: 0 }, { x: at('2026-12-01T16:00:00Z'), y: 3000 }, reading]);
  check('the size a step line, the levels not', plain(h.series).map((s) => [s.label, s.stepped || false]),
    [['Size', true], ['Peak (hmax)', false], ['Mean since creation', false]]);
  check('peak level', series['Peak (hmax)'], [{ x: created, y: 3000 }, { x: now, y: 3000 }]);
  check('mean level', series['Mean since creation'], [{ x: created, y: 1800 }, { x: now, y: 1800 }]);

  // In the creation's hour: no mean yet; the size settles no later than now.
  const young = ostor.buckets.history({ current: 500, hmax: 500, h_integral: 0, last_ts: hourOf('2026-12-01T10:20:00Z') },
    created, at('2026-12-01T10:50:00Z'), []);
  check('no mean in the first hour', young.mean, null);
  check('no mean level in the first hour', plain(young.series).map((s) => s.label), ['Size', 'Peak (hmax)']);
  check('settled by now', plain(young.series)[0].points,
    [{ x: created, y: 0 }, { x: at('2026-12-01T10:50:00Z'), y: 500 }]);

  // Readings of a bucket of the same name deleted before this one was made: not of this one.
  const remade = ostor.buckets.history(size, created, now, [{ x: at('2026-12-01T10:19:00Z'), y: 9999 }, reading]);
  check('readings before the creation left out', plain(remade.series)[0].points,
    [{ x: created, y: 0 }, { x: at('2026-12-01T16:00:00Z'), y: 3000 }, reading]);
}

// ---- the usage plots' bins ---------------------------------------------------------
// Two gateways with 30-minute periods, started 34 s apart, and the short
// period one stored at its shutdown: a point per half hour, every object
// starting in it summed.
{
  const row = (iso, put, bytesIn) => ({ start: at(iso), put, get: 1, list: 0, other: 0, in: bytesIn, out: 0 });
  const rows = [row('2026-12-01T10:00:07Z', 1, 10), row('2026-12-01T10:00:41Z', 2, 20),
    row('2026-12-01T10:30:07Z', 4, 40), row('2026-12-01T10:30:41Z', 8, 80), row('2026-12-01T10:45:00Z', 16, 160)];
  const sums = ostor.usage.perBin(rows, 1800 * 1000);
  check('a point per half hour', sums.map(([x]) => x), [at('2026-12-01T10:00:00Z'), at('2026-12-01T10:30:00Z')]);
  check('puts summed per bin', sums.map(([, s]) => s.put), [3, 28]);
  check('gets summed per bin', sums.map(([, s]) => s.get), [2, 3]);
  check('bytes in summed per bin', sums.map(([, s]) => s.in), [30, 280]);
  // Second periods: a point per object.
  check('a point per second', ostor.usage.perBin(rows, 1000).length, rows.length);
}

// ---- the health page ---------------------------------------------------------------
// Prometheus text as the gateway writes it, with what the page must pass
// over: comments, a metric it does not know, a malformed line, escaped
// quotes in a label, a timestamp after a value.
{
  const text = (n200, n404, n503, slow, buckets, s3, started = 1733430000.125) => [
    '# HELP ostor_requests_total S3 and admin requests answered, by op class and HTTP status.',
    '# TYPE ostor_requests_total counter',
    `ostor_requests_total{op="get",status="200"} ${n200}`,
    `ostor_requests_total{op="get",status="404"} ${n404}`,
    `ostor_requests_total{op="put",status="503"} ${n503} 1733430000000`,
    'ostor_something_new{who="a \\"quoted\\" name, with a comma"} 7',
    'this line is not a sample',
    `ostor_limit_refusals_total ${slow}`,
    ...buckets.map(([le, n]) => `ostor_request_duration_seconds_bucket{le="${le}"} ${n}`),
    `ostor_open_connections{listener="s3"} ${s3}`,
    'ostor_open_connections{listener="admin"} 1',
    '# TYPE ostor_start_time_seconds gauge',
    `ostor_start_time_seconds ${started}`,
    '',
  ].join('\n');
  const samples = ostor.health.parse(text(1, 2, 3, 3, [['0.001', 0], ['+Inf', 0]], 4));
  check('the unknown metric parsed, its escaped label read', plain(samples.find((x) => x.name === 'ostor_something_new')),
    { name: 'ostor_something_new', labels: { who: 'a "quoted" name, with a comma' }, value: 7 });
  check('malformed lines passed over', samples.length, 10);

  // Two readings 4 s apart: 40 requests more (8 of them 404, 4 503 of which
  // 2 throttled); latencies: 10 up to 1 ms, 20 in (1, 5] ms, 8 in (5, 10] ms,
  // 2 past 10 s.
  const bounds = ['0.001', '0.005', '0.01', '10', '+Inf'];
  const a = ostor.health.reading(ostor.health.parse(text(100, 10, 5, 1, bounds.map((le) => [le, 50]), 3)), 1000);
  const b = ostor.health.reading(ostor.health.parse(
    text(128, 18, 9, 3, [['0.001', 60], ['0.005', 80], ['0.01', 88], ['10', 88], ['+Inf', 90]], 5)), 5000);
  check('a reading', plain(b), {
    at: 5000, requests: 155, clientErrors: 18, serverErrors: 9, throttled: 3,
    buckets: [[0.001, 60], [0.005, 80], [0.01, 88], [10, 88], [null, 90]],  // (Infinity is null in JSON)
    connections: { s3: 5, admin: 1 }, started: 1733430000.125,
  });
  const d = ostor.health.between(a, b);
  check('rates per second', [d.requests, d.clientErrors, d.serverErrors, d.throttled], [10, 2, 1, 0.5]);
  // p50: rank 20 of 40, the 10th of 20 in (0.001, 0.005]: 0.003 s.
  // p95: rank 38, the last of (0.005, 0.01]: 0.01 s. p99: rank 39.6, past
  // 10 s (the +Inf bucket): the last finite bound, 10 s.
  check('p50 within its bucket', Math.round(d.latency[0] * 1e6), 3000);
  check('p95 at the top of its bucket', Math.round(d.latency[1] * 1e6), 10000);
  check('p99 past the last finite bound: that bound', d.latency[2], 10);
  check('a quantile in the first bucket starts from 0', ostor.health.quantile(0.5, [[0.1, 4], [Infinity, 4]]), 0.05);
  check('no observation: no quantile', ostor.health.quantile(0.5, [[0.1, 0], [Infinity, 0]]), null);
  check('no latency without requests between', ostor.health.between(a, { ...a, at: 9000 }).latency, [null, null, null]);
  check('a counter gone down (restarted): no point', ostor.health.between(b, { ...a, at: 9000 }), null);
  // A restart whose counters passed the earlier ones by the next reading:
  // told by the start time alone.
  const restarted = ostor.health.reading(ostor.health.parse(
    text(128, 18, 9, 3, [['0.001', 60], ['+Inf', 90]], 5, 1733430004.5)), 5000);
  check('a start time changed (restarted), counters higher: no point', ostor.health.between(a, restarted), null);
  check('no start times (an older gateway): rates from the counters',
    ostor.health.between({ ...a, started: null }, { ...b, started: null }).requests, 10);
}

console.log(`test_charts.js: ${checks} checks passed`);
