// The gateway's health, live (#health): its Prometheus /metrics (on this
// listener, signed as the admin calls are) read every READ_EVERY_MS while
// the page is shown, and from each two readings in a row requests, errors
// and throttled requests per second, the latency percentiles of the
// requests answered between them and the connections open, plotted over
// the last KEEP_MS and written out beside the plots. The timer stops when
// the page is left; a failed reading is said and the next one tried.
'use strict';
(function (ostor) {
  const $ = (id) => document.getElementById(id);
  const READ_EVERY_MS = 5000;
  const KEEP_MS = 10 * 60 * 1000;
  const QUANTILES = [0.5, 0.95, 0.99];
  const LISTENERS = ['s3', 'admin'];

  // ---- the Prometheus text (exposition format 0.0.4) ------------------------------

  const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$/;
  const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
  const UNESCAPE = { '\\\\': '\\', '\\"': '"', '\\n': '\n' };

  function sampleValue(text) {
    if (text === '+Inf') return Infinity;
    if (text === '-Inf') return -Infinity;
    return text === 'NaN' ? NaN : Number(text);
  }

  // The labels of `text` ('a="1",b="x"'), or null when they do not parse.
  function labelsOf(text) {
    const labels = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < text.length) {
      const start = LABEL.lastIndex;
      const m = LABEL.exec(text);
      if (!m || LABEL.lastIndex === start) return text.slice(start).trim() === '' ? labels : null;
      labels[m[1]] = m[2].replace(/\\[\\"n]/g, (e) => UNESCAPE[e]);
    }
    return labels;
  }

  // The samples of a /metrics text: [{name, labels, value}]. Comments, blank
  // lines and lines that do not parse are passed over: a metric the page
  // does not know costs nothing.
  function parse(text) {
    const samples = [];
    for (const line of String(text).split('\n')) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) continue;
      const m = SAMPLE.exec(trimmed);
      if (!m) continue;
      const labels = labelsOf(m[2] || '');
      const value = sampleValue(m[3]);
      if (labels === null || Number.isNaN(value)) continue;
      samples.push({ name: m[1], labels, value });
    }
    return samples;
  }

  // What the page uses of the samples, read at `at` (ms): the counters'
  // totals (the requests, those answered 4xx and 5xx, those refused by an
  // ops limit), the latency histogram's cumulative buckets [[le s, count]]
  // by le, the open connections by listener, and the gateway's start time
  // (Unix s; null from a gateway that does not say it).
  function reading(samples, at) {
    const r = {
      at, requests: 0, clientErrors: 0, serverErrors: 0, throttled: 0, buckets: [], connections: {}, started: null,
    };
    for (const { name, labels, value } of samples) {
      if (name === 'ostor_requests_total') {
        r.requests += value;
        const status = Number(labels.status);
        if (status >= 400 && status < 500) r.clientErrors += value;
        if (status >= 500 && status < 600) r.serverErrors += value;
      } else if (name === 'ostor_limit_refusals_total') {
        r.throttled += value;
      } else if (name === 'ostor_request_duration_seconds_bucket' && labels.le !== undefined) {
        r.buckets.push([sampleValue(labels.le), value]);
      } else if (name === 'ostor_open_connections' && labels.listener !== undefined) {
        r.connections[labels.listener] = value;
      } else if (name === 'ostor_start_time_seconds') {
        r.started = value;
      }
    }
    r.buckets.sort((a, b) => a[0] - b[0]);
    return r;
  }

  // The `q` quantile (0 < q < 1) of the observations of the cumulative
  // histogram `buckets` [[le, count]] (ending with +Inf), as Prometheus's
  // histogram_quantile estimates it: linear within the bucket the rank
  // falls in (from 0 for the first); in the +Inf bucket, the highest finite
  // bound. null without observations.
  function quantile(q, buckets) {
    if (buckets.length < 2 || buckets[buckets.length - 1][0] !== Infinity) return null;
    const total = buckets[buckets.length - 1][1];
    if (!(total > 0)) return null;
    const rank = q * total;
    let b = buckets.findIndex(([, count]) => count >= rank);
    if (b === buckets.length - 1) return buckets[b - 1][0];
    const [end, count] = buckets[b];
    const [start, before] = b === 0 ? [0, 0] : buckets[b - 1];
    return count === before ? end : start + (end - start) * ((rank - before) / (count - before));
  }

  // What happened between the readings `a` and `b` (b later): per second,
  // the requests, 4xx, 5xx and throttled requests; the latency quantiles
  // (s) of the requests answered meanwhile (null: none was). null when the
  // gateway started again in between (its start time changed, or a counter
  // went down: the counters alone miss a restart that answered more since)
  // or no time passed.
  function between(a, b) {
    const seconds = (b.at - a.at) / 1000;
    const counters = ['requests', 'clientErrors', 'serverErrors', 'throttled'];
    if (!(seconds > 0) || a.started !== b.started || counters.some((k) => b[k] < a[k])) return null;
    const earlier = new Map(a.buckets);
    const buckets = b.buckets.map(([le, count]) => [le, count - (earlier.get(le) || 0)]);
    if (buckets.some(([, n]) => n < 0)) return null;
    const rate = (k) => (b[k] - a[k]) / seconds;
    return {
      at: b.at,
      requests: rate('requests'),
      clientErrors: rate('clientErrors'),
      serverErrors: rate('serverErrors'),
      throttled: rate('throttled'),
      latency: QUANTILES.map((q) => quantile(q, buckets)),
    };
  }

  // ---- the page ----------------------------------------------------------------------

  // readings: the successful ones of the last KEEP_MS (and the one before,
  // the start of the first interval shown); generation: bumped on leaving,
  // so that an answer read for an earlier showing is dropped.
  // busy: the generation whose reading is out, -1 when none is.
  const state = { timer: 0, generation: 0, readings: [], busy: -1 };

  const say = ostor.say;
  const page = ostor.api.forPage(state);
  // Three significant digits at most: "30.8/s", "0.25/s", "0/s".
  const perSecond = (n) => (n === null || n === undefined ? '—' : `${Number(n.toPrecision(3))}/s`);
  const ms = (s) => (s === null || s === undefined ? '—' : `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`);
  const plain = (n) => (n === null || n === undefined ? '—' : ostor.charts.count(n));

  // A figure written out, its value also as data-value (empty: none).
  function figure(id, value, format) {
    say(id, format(value));
    $(id).dataset.value = value === null || value === undefined ? '' : String(value);
  }

  function render() {
    const readings = state.readings;
    const last = readings[readings.length - 1];
    if (!last) return;
    const intervals = [];
    for (let i = 1; i < readings.length; i++) {
      const d = between(readings[i - 1], readings[i]);
      intervals.push(d || { at: readings[i].at, gap: true });
    }
    // One reading alone: an axis of no span would be drawn, none is given.
    const range = readings.length > 1 ? [readings[0].at, last.at] : undefined;
    const series = (label, value) => ({
      label, points: intervals.map((d) => ({ x: d.at, y: d.gap ? null : value(d) })),
    });
    const now = intervals[intervals.length - 1];
    const latest = now && !now.gap ? now : null;
    const draw = (id, list, format, what) => ostor.charts.lineChart($(id), list, format,
      `${what}, ${readings.length} readings ${READ_EVERY_MS / 1000} s apart: the figures are written beside.`, range);

    draw('health-requests-chart', [series('requests', (d) => d.requests)], perSecond, 'Requests per second');
    draw('health-errors-chart', [series('4xx', (d) => d.clientErrors), series('5xx', (d) => d.serverErrors)],
      perSecond, 'Errors per second, 4xx and 5xx');
    draw('health-throttled-chart', [series('throttled (503 SlowDown)', (d) => d.throttled)], perSecond,
      'Requests refused by an ops limit per second');
    const inMs = (i) => (d) => (d.latency[i] === null ? null : d.latency[i] * 1000);
    draw('health-latency-chart', QUANTILES.map((q, i) => series(`p${Math.round(q * 100)}`, inMs(i))),
      (v) => (v === null ? '—' : `${Number(v).toFixed(1)} ms`), 'Latency percentiles in ms');
    draw('health-connections-chart', LISTENERS.map((l) => ({
      label: `${l} listener`, points: readings.map((r) => ({ x: r.at, y: r.connections[l] ?? null })),
    })), plain, 'Open connections by listener');

    figure('health-requests', latest && latest.requests, perSecond);
    figure('health-4xx', latest && latest.clientErrors, perSecond);
    figure('health-5xx', latest && latest.serverErrors, perSecond);
    figure('health-throttled', latest && latest.throttled, perSecond);
    QUANTILES.forEach((q, i) => figure(`health-p${Math.round(q * 100)}`, latest && latest.latency[i], ms));
    for (const l of LISTENERS) figure(`health-connections-${l}`, last.connections[l] ?? null, plain);
    say('health-status', `Last reading ${ostor.charts.utc(last.at)} UTC. Since the gateway started: ` +
      `${plain(last.requests)} requests answered, ${plain(last.clientErrors)} 4xx, ${plain(last.serverErrors)} ` +
      `5xx, ${plain(last.throttled)} throttled.` +
      (readings.length < 2 ? ' The rates need a second reading.' : '') +
      (now && now.gap ? ' The gateway started again since the reading before: no rates across it.' : ''));
  }

  // One reading of /metrics; skipped while the one before is still out.
  async function tick() {
    const generation = state.generation;
    if (state.busy === generation) return;
    state.busy = generation;
    let r;
    try {
      r = await page.get('/metrics', []);
    } finally {
      if (state.busy === generation) state.busy = -1;
    }
    if (!r) return;  // left meanwhile
    const at = Date.now();
    if (!r.ok || typeof r.text !== 'string') {
      say('health-message', `Reading /metrics failed at ${ostor.charts.utc(at)} UTC: ${r.message} (${r.code}); ` +
        `trying again in ${READ_EVERY_MS / 1000} s.`);
      return;
    }
    say('health-message', '');
    state.readings.push(reading(parse(r.text), at));
    // The oldest kept reading is the start of the first interval shown.
    while (state.readings.length > 2 && state.readings[1].at < at - KEEP_MS) state.readings.shift();
    render();
  }

  function clear() {
    state.readings = [];
    for (const canvas of document.querySelectorAll('#health-view canvas')) ostor.charts.clear(canvas);
    for (const dd of document.querySelectorAll('#health-view dl.figures dd')) figure(dd.id, null, () => '—');
    say('health-message', '');
    say('health-status', '');
  }

  // Shows the page: a reading now, then one every READ_EVERY_MS.
  function open() {
    stop();
    $('health-title').focus();
    state.timer = setInterval(tick, READ_EVERY_MS);
    tick();
  }

  // Leaves the page (another page, or signed out): the timer stops, the
  // readings are forgotten.
  function stop() {
    state.generation++;
    if (state.timer) clearInterval(state.timer);
    state.timer = 0;
    clear();
  }

  ostor.health = { open, stop, parse, reading, quantile, between, READ_EVERY_MS };
})((globalThis.ostor = globalThis.ostor || {}));
