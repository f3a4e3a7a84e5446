// The console's plot maths under node, with fixed figures: a bucket's size
// history from current, hmax, h_integral (byte-hours) and last_ts (hours
// since the epoch) (buckets.js), and the usage plots' sums per fixed bin
// (usage.js). A units mistake (ms for hours) or a point per object start
// fails here. api.js is loaded first: the modules take their page calls from it.
//   node test_charts.js CONSOLE_DIR
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const dir = process.argv[2] || path.join(__dirname, '..', '..', 'gateway-lite', 'console');
const context = vm.createContext({});
for (const file of ['api.js', 'charts.js', 'buckets.js', 'usage.js'])
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

console.log(`test_charts.js: ${checks} checks passed`);
