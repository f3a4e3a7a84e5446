// A user's buckets (size, objects, owner, creation, quota use), a bucket's
// details, the size history of one and the user's billing figures: from
// ?ostor-buckets (size history: current, hmax, h_integral, last_ts),
// ?ostor-quotas and the billing API's /v1/bill/fetch (object counts).
'use strict';
(function (ostor) {
  const $ = (id) => document.getElementById(id);
  const HOUR_MS = 3600 * 1000;
  const GIB = 1024 ** 3;
  // While a size history is shown, the sizes are read again this often (the
  // owner's listing only): each reading is a point of the plot.
  const READ_EVERY_MS = 30 * 1000;
  // ?ostor-buckets is read in pages of this many (the API's most);
  // localStorage's PAGE_SETTING may set 1 to 1000 for the tab (the tests
  // read small pages).
  const PAGE_SIZE = 1000;
  const PAGE_SETTING = 'ostor-console-buckets-page';
  // A bucket's quota is one call each: read for this many buckets at most
  // (the first by name; the page says so when there are more).
  const MAX_QUOTA_READS = 100;
  // Readings kept of a bucket: the latest (over 4 hours at READ_EVERY_MS).
  const MAX_READINGS = 500;
  const { bytes, count, utc } = ostor.charts;
  const refusalText = (r) => `${r.message} (${r.code})`;

  // kind/name: the page (user or bucket); owner: the user whose buckets;
  // buckets: as last read, by name; readings: bucket name -> [{x: ms, y:
  // bytes}] read while this tab was signed in; shown: the bucket whose
  // history is shown.
  const state = {
    kind: null, name: null, owner: null, generation: 0, buckets: new Map(), objects: new Map(),
    quotas: new Map(), defaultQuota: null, readings: new Map(), shown: null, timer: 0, ticking: false,
  };

  const say = ostor.say;
  const page = ostor.api.forPage(state);
  const { call } = page;
  const getBill = (user) => page.get('/v1/bill/fetch', [['user', user]]);

  // The quota in force on a bucket in bytes, and where it comes from; null
  // for none. The API reads 0 for no quota of its own (then the default of
  // buckets applies) and for a quota of 0 set (none): taken as the former.
  function quotaOf(name) {
    const own = Number(state.quotas.get(name) || 0);
    if (own > 0) return { bytes: own * GIB, text: `${own} GiB` };
    const fallback = Number(state.defaultQuota || 0);
    if (fallback > 0) return { bytes: fallback * GIB, text: `${fallback} GiB (default)` };
    return null;
  }

  // A quota use bar (a <meter>, which screen readers read) and its words.
  function quotaUse(name) {
    const span = document.createElement('span');
    span.className = 'quota-use';
    const b = state.buckets.get(name);
    const quota = quotaOf(name);
    if (!state.quotas.has(name)) {
      span.textContent = '—';
      span.title = 'The quota was not read.';
      return span;
    }
    if (!quota) {
      span.textContent = 'no quota';
      span.classList.add('muted');
      return span;
    }
    const used = b && b.size ? b.size.current : 0;
    const meter = document.createElement('meter');
    meter.min = 0;
    meter.max = quota.bytes;
    meter.value = Math.min(used, quota.bytes);
    meter.high = quota.bytes * 0.9;
    meter.optimum = 0;
    const words = `${Math.round((used / quota.bytes) * 1000) / 10}% of ${quota.text}`;
    meter.setAttribute('aria-label', `${name}: ${words}`);
    const text = document.createElement('span');
    text.textContent = words;
    span.append(meter, text);
    return span;
  }

  // Keeps a reading of each bucket's size (time of reading, bytes).
  function record(list) {
    const now = Date.now();
    for (const b of list) {
      if (!b.size) continue;
      const readings = state.readings.get(b.name) || [];
      readings.push({ x: now, y: Number(b.size.current) });
      state.readings.set(b.name, readings.slice(-MAX_READINGS));
    }
  }

  // ---- the list -------------------------------------------------------------------

  function renderTable() {
    const body = $('buckets-table').tBodies[0];
    // Drawn again every READ_EVERY_MS while a history is shown: the keyboard
    // stays on the same row's link or button.
    const focused = body.contains(document.activeElement) ? document.activeElement : null;
    const focusedRow = focused && focused.closest('tr').dataset.bucket;
    const focusedAction = focused && focused.dataset.action;
    body.replaceChildren();
    const names = [...state.buckets.keys()].sort();
    for (const name of names) {
      const b = state.buckets.get(name);
      const tr = document.createElement('tr');
      tr.dataset.bucket = name;
      const cell = (content, className) => {
        const td = document.createElement('td');
        if (content instanceof Node) td.append(content);
        else td.textContent = content;
        if (className) td.className = className;
        tr.append(td);
        return td;
      };
      const link = document.createElement('a');
      link.href = `#bucket/${encodeURIComponent(name)}`;
      link.textContent = name;
      cell(link, 'bucket');
      cell(b.owner_id, 'owner muted');
      cell(b.creation_date, 'created');
      const size = cell(b.size ? bytes(b.size.current) : '', 'size num');
      if (b.size) size.dataset.bytes = String(b.size.current);
      const objects = cell(state.objects.has(name) ? count(state.objects.get(name)) : '—', 'objects num');
      if (state.objects.has(name)) objects.dataset.objects = String(state.objects.get(name));
      cell(quotaUse(name), 'quota');
      const history = ostor.button('Size history', 'history');
      history.setAttribute('aria-controls', 'size-history-card');
      history.setAttribute('aria-expanded', String(state.shown === name));
      cell(history, 'actions');
      body.append(tr);
    }
    $('buckets-empty').hidden = names.length > 0;
    if (!focused) return;
    const row = [...body.rows].find((tr) => tr.dataset.bucket === focusedRow);
    const again = row && row.querySelector(focusedAction ? `button[data-action="${focusedAction}"]` : 'a');
    if (again) again.focus();
  }

  // The buckets of `owner` (every user's when null), all pages of them, or
  // those up to `until` (a name: the pages after it are not read): {ok,
  // list} or the failed call's answer (null: the page was left).
  async function listBuckets(owner, until) {
    const size = ostor.api.setting(PAGE_SETTING, PAGE_SIZE, 1, PAGE_SIZE);
    const list = [];
    let marker = null;
    for (;;) {
      const params = [['ostor-buckets', null], ['max-items', String(size)]];
      if (marker !== null) params.push(['marker', marker]);
      if (owner) params.push(['userId', owner]);
      const r = await call('GET', params);
      if (!r || !r.ok) return r;
      const page = r.data.Buckets || [];
      list.push(...page);
      if (!r.data.truncated || !page.length) return { ok: true, list };
      marker = page[page.length - 1].name;
      if (until !== undefined && marker >= until) return { ok: true, list };
    }
  }

  // Reads the buckets of the page's user (or of the bucket's owner once
  // known) and their object counts (`withBill`); false when the list could
  // not be read.
  async function read(withBill) {
    const owner = state.kind === 'user' ? state.name : state.owner;
    const r = await listBuckets(owner, state.kind === 'bucket' ? state.name : undefined);
    if (!r) return false;
    if (!r.ok) {
      say(state.kind === 'user' ? 'buckets-message' : 'user-message', refusalText(r));
      return false;
    }
    let list = r.list;
    if (state.kind === 'bucket') list = list.filter((b) => b.name === state.name);
    record(list);
    state.buckets = new Map(list.map((b) => [b.name, b]));
    if (state.kind === 'bucket') state.owner = list.length ? list[0].owner_id : null;
    if (state.owner && withBill) await readBill();
    return true;
  }

  async function readBill() {
    const r = await getBill(state.owner);
    if (!r) return;
    const failed = state.kind === 'user' ? 'billing-message' : 'user-message';
    if (!r.ok) {
      say(failed, `The billing figures were not read: ${refusalText(r)}`);
      return;
    }
    state.objects = new Map((r.data.items || []).map((i) => [i.name, i.objects]));
    if (state.kind !== 'user') return;
    say('billing-message', '');
    say('bill-bytes', bytes(r.data.storage.bytes));
    $('bill-bytes').dataset.bytes = String(r.data.storage.bytes);
    say('bill-objects', count(r.data.storage.objects));
    say('bill-in', bytes(r.data.bandwidth.in));
    $('bill-in').dataset.bytes = String(r.data.bandwidth.in);
    say('bill-out', bytes(r.data.bandwidth.out));
    $('bill-out').dataset.bytes = String(r.data.bandwidth.out);
  }

  async function readQuotas() {
    const fallback = await call('GET', [['ostor-quotas', null], ['default', 'bucket']]);
    if (!fallback) return;
    state.defaultQuota = fallback.ok ? fallback.data.size : null;
    // One call a bucket shown, MAX_IN_FLIGHT at once (api.js), for the
    // first MAX_QUOTA_READS of them.
    const all = [...state.buckets.keys()].sort();
    const names = all.slice(0, MAX_QUOTA_READS);
    say('buckets-status', all.length > names.length
      ? `Quotas read for the first ${count(names.length)} buckets of ${count(all.length)} (by name): ` +
        'the others show — for their quota use.'
      : '');
    const answers = await Promise.all(names.map((name) => call('GET', [['ostor-quotas', null], ['bucket', name]])));
    if (answers.some((a) => a === null)) return;
    state.quotas = new Map();
    names.forEach((name, i) => {
      if (answers[i].ok) state.quotas.set(name, answers[i].data.size);
    });
  }

  // ---- a bucket's page -------------------------------------------------------------

  function renderBucket() {
    const b = state.buckets.get(state.name);
    if (!b) return;
    $('bucket-owner').href = `#user/${encodeURIComponent(b.owner_id)}`;
    $('bucket-owner').textContent = b.owner_id;
    $('back-link').href = $('bucket-owner').href;
    $('back-link').textContent = '\u2190 Owner';
    say('bucket-created', b.creation_date);
    say('bucket-size', b.size ? `${bytes(b.size.current)} (${count(b.size.current)} bytes)` : '');
    say('bucket-objects', state.objects.has(b.name) ? count(state.objects.get(b.name)) : '—');
    $('bucket-quota-use').replaceChildren(quotaUse(b.name));
  }

  // ---- the size history ------------------------------------------------------------

  // The size history of a bucket of `size` (current, hmax, h_integral in
  // byte-hours, last_ts in hours since the epoch) created at `created` ms,
  // at `now` ms, with the `readings` [{x: ms, y: bytes}] made of its name
  // (those before `created` were of a bucket of that name deleted since:
  // left out): the byte-hours until now, the mean since creation (null in
  // its first hour) and the plot's series (the size a step line: constant
  // between changes).
  function history(size, created, now, readings) {
    // Byte-hours accrue at each change: up to now at the current size.
    const nowHour = Math.floor(now / HOUR_MS);
    const hours = nowHour - Math.floor(created / HOUR_MS);
    const byteHours = Number(size.h_integral) + Number(size.current) * Math.max(0, nowHour - Number(size.last_ts));
    const mean = hours > 0 ? byteHours / hours : null;
    // The size last changed within the hour last_ts: by its end (or now)
    // it was the current one, and stayed so.
    const settled = Math.max(created, Math.min(now, (Number(size.last_ts) + 1) * HOUR_MS));
    const points = [{ x: created, y: 0 }, { x: settled, y: Number(size.current) },
      ...readings.filter((r) => r.x >= created)];
    points.sort((p, q) => p.x - q.x);
    // A level from the creation until now, dashed.
    const level = (label, y) => ({ label, points: [{ x: created, y }, { x: now, y }], dashed: true });
    // Stepped: the size stays as read until it is seen changed.
    const series = [{ label: 'Size', points, stepped: true }, level('Peak (hmax)', Number(size.hmax))];
    if (mean !== null) series.push(level('Mean since creation', mean));
    return { byteHours, mean, series };
  }

  function drawHistory() {
    const b = state.buckets.get(state.shown);
    if (!b || !b.size) return;
    const s = b.size;
    const { mean, series } = history(s, Date.parse(b.creation_date), Date.now(), state.readings.get(b.name) || []);
    say('history-current', `${bytes(s.current)} (${count(s.current)} bytes)`);
    say('history-peak', bytes(s.hmax));
    say('history-mean', mean === null ? 'after its first hour' : bytes(Math.round(mean)));
    const until = `${utc(Number(s.last_ts) * HOUR_MS).slice(0, 13)}:00 UTC`;
    say('history-integral', `${count(s.h_integral)} byte-hours until ${until}`);
    ostor.charts.lineChart($('size-history-chart'), series, bytes,
      `Size of ${b.name} over time: ${bytes(s.current)} now, peak ${bytes(s.hmax)}.`);
  }

  function showHistory(name) {
    state.shown = name;
    say('size-history-title', `Size history of ${name}`);
    $('size-history-card').hidden = false;
    drawHistory();
    clearInterval(state.timer);
    state.timer = setInterval(tick, READ_EVERY_MS);
  }

  function hideHistory() {
    state.shown = null;
    clearInterval(state.timer);
    state.timer = 0;
    $('size-history-card').hidden = true;
    ostor.charts.clear($('size-history-chart'));
    for (const id of ['size-history-title', 'history-current', 'history-peak', 'history-mean', 'history-integral'])
      say(id, '');
  }

  function onTableClick(event) {
    const button = event.target.closest('button[data-action="history"]');
    if (!button) return;
    const name = button.closest('tr').dataset.bucket;
    if (state.shown === name) {
      hideHistory();
    } else {
      showHistory(name);
      $('size-history-title').focus();
    }
    for (const b of document.querySelectorAll('#buckets-table button[data-action="history"]'))
      b.setAttribute('aria-expanded', String(b.closest('tr').dataset.bucket === state.shown));
  }

  // Shows what was read.
  function render() {
    if (state.kind === 'user') renderTable();
    else renderBucket();
    if (state.shown && !state.buckets.has(state.shown)) hideHistory();
    if (state.shown) drawHistory();
  }

  // Reads the sizes, counts and quotas again and shows them (Refresh).
  async function refresh() {
    if (!(await read(true))) return;
    await readQuotas();
    render();
  }

  // Reads the sizes again (the timer, while a size history is shown): the
  // owner's listing only, the counts and quotas left to Refresh; none while
  // the last is still under way.
  async function tick() {
    if (state.ticking) return;
    state.ticking = true;
    try {
      if (await read(false)) render();
    } finally {
      state.ticking = false;
    }
  }

  // ---- the page -------------------------------------------------------------------

  function clear() {
    hideHistory();
    state.ticking = false;
    state.buckets = new Map();
    state.objects = new Map();
    state.quotas = new Map();
    state.defaultQuota = null;
    state.owner = null;
    $('buckets-table').tBodies[0].replaceChildren();
    $('buckets-empty').hidden = true;
    for (const id of ['buckets-message', 'buckets-status', 'billing-message', 'bill-bytes', 'bill-objects', 'bill-in',
      'bill-out', 'bucket-owner', 'bucket-created', 'bucket-size', 'bucket-objects'])
      say(id, '');
    $('bucket-owner').href = '#users';
    $('bucket-quota-use').replaceChildren();
  }

  // Shows the buckets of a user's page (`kind` user, `name` its id) or the
  // bucket of a bucket's page (its details and size history).
  async function open(kind, name) {
    state.generation++;
    clear();
    state.kind = kind;
    state.name = name;
    state.owner = kind === 'user' ? name : null;
    $('billing-card').hidden = kind !== 'user';
    if (kind !== 'user' && kind !== 'bucket') return;
    await refresh();
    if (kind === 'bucket' && state.buckets.has(name)) showHistory(name);
  }

  function init() {
    $('buckets-table').addEventListener('click', onTableClick);
    $('buckets-refresh').addEventListener('click', refresh);
    $('size-history-refresh').addEventListener('click', refresh);
  }

  // Forgets what was shown (leaving the page); at sign-out the readings too.
  function reset(signOut) {
    state.generation++;
    state.kind = null;
    state.name = null;
    clear();
    if (signOut) state.readings = new Map();
  }

  // The names of the buckets shown.
  const names = () => [...state.buckets.keys()];

  ostor.buckets = { init, open, reset, names, history };
})((globalThis.ostor = globalThis.ostor || {}));
