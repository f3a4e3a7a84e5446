// Usage of a user (the requests it made) or of a bucket (everyone's requests
// on it) over a chosen time range, from the usage statistics objects
// (?ostor-usage) and the period under way of the gateway serving the console
// (?ostor-usage&current): requests by class and bytes in and out per period,
// plotted, tabled and exported as CSV.
'use strict';
(function (ostor) {
  const $ = (id) => document.getElementById(id);
  const { bytes, count, utc } = ostor.charts;
  // s3-usage-<service id>-<period start, ISO 8601 ms>-<configured period s>
  const NAME = /^s3-usage-(\d+)-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)-(\d+)$/;
  const LIST_PAGE_ITEMS = 1000;
  // Bounds on what one showing reads: pages of names, objects (30 days of
  // four gateways' 30-minute periods), objects read at once (api.js lets
  // 4 calls be in flight).
  const MAX_LIST_PAGES = 50;
  const MAX_OBJECTS = 6000;
  const READS_AT_ONCE = 4;
  // The table shows the latest rows; the CSV holds them all.
  const MAX_TABLE_ROWS = 200;
  const CLASSES = ['put', 'get', 'list', 'other'];
  const CSV_HEADER = ['period_start', 'period_s', 'service_id', 'bucket', 'epoch', 'user_id', 'account',
    'put', 'get', 'list', 'other', 'bytes_in', 'bytes_out', 'stored'];
  // The service id as the JSON text spells it (16 digits: more than a
  // JavaScript number holds exactly).
  const SERVICE_ID = /"service_id"\s*:\s*(\d+)/;
  const ALL = '*';
  // Rows of one period in the order of these, compared code point by code point.
  const ROW_ORDER = ['service', 'bucket', 'user', 'account'];
  const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const refusalText = (r) => `${r.message} (${r.code})`;

  // kind/name: the page (user: its id; bucket: its name); read: what the
  // last showing read of the page's, one row per (statistics object,
  // bucket, user, account); rows: those of the bucket chosen; range: [from,
  // to] ms read; bin: the ms of a point of the plots.
  const state = { kind: null, name: null, generation: 0, read: [], rows: [], range: null, bin: 1000 };

  const say = ostor.say;
  const page = ostor.api.forPage(state);
  const call = (params) => page.call('GET', params);

  // The names of the statistics objects whose period may fall in [from, to]
  // (the name holds its start and configured length); null when the page
  // moved on, a string when refused.
  async function objectNames(from, to) {
    const names = [];
    let marker = '';
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const params = [['ostor-usage', null], ['max-items', String(LIST_PAGE_ITEMS)]];
      if (marker) params.push(['marker', marker]);
      const r = await call(params);
      if (!r) return null;
      if (!r.ok) return refusalText(r);
      for (const name of r.data.items || []) {
        const m = NAME.exec(name);
        if (!m) continue;
        const start = Date.parse(m[2]);
        const period = Number(m[3]);
        if (start <= to && start + period * 1000 >= from) names.push({ name, start, service: m[1], period });
      }
      if (!r.data.truncated || !r.data.items.length) break;
      marker = r.data.items[r.data.items.length - 1];
    }
    return names;
  }

  // The statistics objects `names` read, READS_AT_ONCE at a time, the status
  // saying how far; null when the page moved on.
  async function readObjects(names) {
    const generation = state.generation;
    const docs = new Array(names.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < names.length && generation === state.generation) {
        const i = next++;
        docs[i] = await call([['ostor-usage', null], ['obj', names[i].name]]);
        if (docs[i] === null) return;
        if (++done % 100 === 0) say('usage-status', `Reading the usage statistics: ${done} of ${names.length}…`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, names.length) }, worker));
    return generation === state.generation && docs.every((d) => d) ? docs : null;
  }

  // Whether a counted key belongs to the page: the user's requests, or the
  // requests on the bucket.
  function belongs(key) {
    return state.kind === 'bucket' ? key.bucket === state.name : key.user_id === state.name;
  }

  // The rows of the bucket chosen on a user's page.
  function chosen(rows) {
    const bucket = $('usage-bucket').value;
    return state.kind !== 'user' || bucket === ALL ? rows : rows.filter((r) => r.bucket === bucket);
  }

  // The rows of the statistics object `doc` that belong to the page;
  // `service`, its service id as its name or text spells it; `stored`:
  // false for the period under way.
  function rowsOf(doc, service, stored) {
    const rows = [];
    for (const item of doc.items || []) {
      if (!item.key || !item.counters || !belongs(item.key)) continue;
      const ops = item.counters.ops || {};
      const io = item.counters.net_io || {};
      rows.push({
        start: Number(doc.start_ts) * 1000, period: Number(doc.period), service,
        bucket: item.key.bucket, epoch: item.key.epoch, user: item.key.user_id, account: item.key.tag,
        put: ops.put || 0, get: ops.get || 0, list: ops.list || 0, other: ops.other || 0,
        in: io.uploaded || 0, out: io.downloaded || 0, stored,
      });
    }
    return rows;
  }

  // Reads the statistics of the range chosen and shows them.
  async function show() {
    const generation = ++state.generation;
    say('usage-message', '');
    say('usage-status', 'Reading the usage statistics…');
    const to = Date.now();
    const from = to - Number($('usage-range').value) * 1000;
    // The period under way first: stored meanwhile, it is listed below
    // (and then read as stored, not twice).
    const live = await call([['ostor-usage', null], ['current', null]]);
    if (live === null) return;
    const names = await objectNames(from, to);
    if (names === null) return;
    if (typeof names === 'string') {
      say('usage-status', '');
      say('usage-message', names);
      return;
    }
    // The latest ones, when there are more than MAX_OBJECTS.
    names.sort((a, b) => b.start - a.start);
    const read = names.slice(0, MAX_OBJECTS);
    const docs = await readObjects(read);
    if (docs === null) return;
    const refused = docs.find((d) => !d.ok && d.code !== 'NoSuchKey');
    if (refused) say('usage-message', refusalText(refused));
    // Too many to read: said where it is not missed (and the plots still
    // span the whole range, empty before the oldest object read).
    if (names.length > read.length)
      say('usage-message', `Only the latest ${read.length} of the ${names.length} statistics objects of the range ` +
        `were read: the plots cover ${utc(read[read.length - 1].start)} UTC onwards, not the whole range.`);
    const readable = (d) => d.ok && d.data && typeof d.data === 'object';
    state.read = docs.flatMap((d, i) => (readable(d) ? rowsOf(d.data, read[i].service, true) : []));
    // A gateway that stores no statistics has no period under way (404).
    if (!live.ok && live.status !== 404) say('usage-message', `The period under way: ${refusalText(live)}`);
    const liveService = live.ok && readable(live) && SERVICE_ID.exec(live.text);
    const stored = (start) => names.some((n) => n.service === liveService[1] && n.start === start);
    if (liveService && !stored(Number(live.data.start_ts) * 1000))
      state.read.push(...rowsOf(live.data, liveService[1], false));
    state.read.sort((a, b) => a.start - b.start || ROW_ORDER.reduce((c, k) => c || byCodePoint(a[k], b[k]), 0));
    state.range = [from, to];
    // A point per configured period (the longest read), its bins fixed in
    // time: every gateway's objects (each starting when its gateway did) and
    // short periods (the first, the one stored at shutdown) summed in the
    // bin they start in.
    state.bin = read.reduce((longest, n) => Math.max(longest, n.period), 1) * 1000;
    const more = names.length > read.length ? ` (the latest ${read.length} of ${names.length})` : '';
    const underWay = state.read.some((r) => !r.stored) ? ' and the period under way' : '';
    say('usage-status', `${read.length} statistics objects read${more}${underWay}: ${state.read.length} rows ` +
      `from ${utc(from)} to ${utc(to)} UTC.`);
    setBuckets();
    render();
  }

  // Sums per bin of `bin` ms (from the epoch) of the rows starting in it:
  // the points of the plots.
  function perBin(rows, bin) {
    const sums = new Map();
    for (const r of rows) {
      const x = Math.floor(r.start / bin) * bin;
      const s = sums.get(x) || { put: 0, get: 0, list: 0, other: 0, in: 0, out: 0 };
      for (const k of [...CLASSES, 'in', 'out']) s[k] += r[k];
      sums.set(x, s);
    }
    return [...sums.entries()].sort((a, b) => a[0] - b[0]);
  }

  // A bin's length for people: "30 min", "1 h", "15 s".
  function duration(ms) {
    const s = ms / 1000;
    if (s % 3600 === 0) return `${s / 3600} h`;
    return s % 60 === 0 ? `${s / 60} min` : `${s} s`;
  }

  function render() {
    state.rows = chosen(state.read);
    const sums = perBin(state.rows, state.bin);
    const points = (k) => sums.map(([x, s]) => ({ x, y: s[k] }));
    const total = (k) => sums.reduce((n, [, s]) => n + s[k], 0);
    const what = `${state.kind === 'bucket' ? `on bucket ${state.name}` : 'of the user'} per ${duration(state.bin)}`;
    ostor.charts.lineChart($('usage-ops-chart'), CLASSES.map((k) => ({ label: k, points: points(k) })), count,
      `Requests ${what}: ${CLASSES.map((k) => `${k} ${total(k)}`).join(', ')}.`, state.range);
    ostor.charts.lineChart($('usage-bytes-chart'),
      [{ label: 'in (uploaded)', points: points('in') }, { label: 'out (downloaded)', points: points('out') }], bytes,
      `Bytes ${what}: ${bytes(total('in'))} in, ${bytes(total('out'))} out.`, state.range);
    const body = $('usage-table').tBodies[0];
    body.replaceChildren();
    for (const r of state.rows.slice(-MAX_TABLE_ROWS).reverse()) {
      const tr = document.createElement('tr');
      const cells = [utc(r.start) + (r.stored ? '' : ' (under way)'), String(r.period), r.bucket || '(none)', r.user,
        r.account || '—',
        ...CLASSES.map((k) => count(r[k])), bytes(r.in), bytes(r.out)];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i >= 5) td.className = 'num';
        tr.append(td);
      });
      body.append(tr);
    }
    $('usage-empty').hidden = state.rows.length > 0;
    $('usage-more').hidden = state.rows.length <= MAX_TABLE_ROWS;
    say('usage-more', `The latest ${MAX_TABLE_ROWS} of ${state.rows.length} rows; Export CSV writes them all.`);
    $('usage-export').disabled = state.rows.length === 0;
  }

  function exportCsv() {
    if (!state.rows.length || !state.range) return;
    const rows = state.rows.map((r) => [new Date(r.start).toISOString(), r.period, r.service, r.bucket, r.epoch,
      r.user, r.account, r.put, r.get, r.list, r.other, r.in, r.out, r.stored]);
    const day = (ms) => new Date(ms).toISOString().slice(0, 19).replace(/:/g, '');
    const bucket = state.kind === 'user' && $('usage-bucket').value !== ALL ? `-${$('usage-bucket').value}` : '';
    const name = `usage-${state.kind}-${state.name}${bucket}-${day(state.range[0])}-${day(state.range[1])}.csv`;
    ostor.charts.download(name.replace(/[^A-Za-z0-9._-]/g, '_'), ostor.charts.csv(CSV_HEADER, rows),
      'text/csv;charset=utf-8');
    say('usage-status', `Exported ${rows.length} rows as ${name}.`);
  }

  // The bucket choice of a user's page: its buckets (as buckets.js last
  // read them), and those it made requests on ("": requests on no bucket,
  // as ListBuckets).
  function setBuckets() {
    const select = $('usage-bucket');
    const before = select.value;
    const names = new Set([...ostor.buckets.names(), ...state.read.map((r) => r.bucket)]);
    const options = [new Option('All buckets', ALL)];
    for (const name of [...names].sort()) options.push(new Option(name || '(no bucket)', name));
    select.replaceChildren(...options);
    select.value = names.has(before) ? before : ALL;
  }

  function clear() {
    state.read = [];
    state.rows = [];
    state.range = null;
    state.bin = 1000;
    for (const id of ['usage-ops-chart', 'usage-bytes-chart']) ostor.charts.clear($(id));
    $('usage-table').tBodies[0].replaceChildren();
    $('usage-empty').hidden = true;
    $('usage-more').hidden = true;
    $('usage-export').disabled = true;
    for (const id of ['usage-message', 'usage-status']) say(id, '');
  }

  // Shows the usage of a user's page (`kind` user, `name` its id) or a
  // bucket's page; none elsewhere.
  async function open(kind, name) {
    state.generation++;
    clear();
    state.kind = kind;
    state.name = name;
    const shown = kind === 'user' || kind === 'bucket';
    $('usage-card').hidden = !shown;
    $('usage-bucket-field').hidden = kind !== 'user';
    if (!shown) return;
    say('usage-title', kind === 'user' ? 'Usage: requests made by this user' : 'Usage: requests on this bucket');
    setBuckets();
    await show();
  }

  function init() {
    $('usage-range').addEventListener('change', show);
    $('usage-bucket').addEventListener('change', () => {
      if (state.range) render();
    });
    $('usage-refresh').addEventListener('click', show);
    $('usage-export').addEventListener('click', exportCsv);
  }

  function reset() {
    state.generation++;
    state.kind = null;
    state.name = null;
    clear();
  }

  ostor.usage = { init, open, reset, perBin };
})((globalThis.ostor = globalThis.ostor || {}));
