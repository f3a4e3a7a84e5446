// The admin REST API (?ostor-*) as the console calls it: every request
// signed in the page (sigv4.js). The session lives in sessionStorage (this
// tab, and what a browser restores of it) and holds no secret: only the
// SigV4 signing key of the UTC day of sign-in, which opens nothing the next
// day. The session ends at sign-out, when that day ends, and after
// IDLE_MS without activity.
'use strict';
(function (ostor) {
  const SESSION = 'ostor-console-session';
  // The gateway accepts a signature of any region; us-east-1 is what S3
  // clients default to.
  const REGION = 'us-east-1';
  const SERVICE = 's3';
  const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const IDLE_MS = 30 * 60 * 1000;
  // Requests in flight at once: the admin listener lets one client keep 8
  // connections, and other tabs or scripts may need some.
  const MAX_IN_FLIGHT = 4;
  // A read (GET, HEAD) not answered (body included) within this long is
  // given up and said as failed, its slot freed: a gateway that accepts and
  // never answers stops no page. A change waits for its answer: given up, it
  // might still be done (a set back sent beside it, a secret shown once
  // lost). localStorage's REQUEST_TIMEOUT_SETTING (ms, 100 to
  // 300000) sets another bound for the tab (the tests shorten it).
  const REQUEST_TIMEOUT_MS = 20 * 1000;
  const REQUEST_TIMEOUT_SETTING = 'ostor-console-request-timeout-ms';

  const fromHex = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));
  const today = () => ostor.amzDate(new Date()).slice(0, 8);
  // A whole number from localStorage's `name` within [min, max], else `fallback`.
  function setting(name, fallback, min, max) {
    let value = NaN;
    try {
      value = Number(localStorage.getItem(name) ?? NaN);
    } catch {
      /* no localStorage: the default */
    }
    return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
  }
  const requestTimeout = () => setting(REQUEST_TIMEOUT_SETTING, REQUEST_TIMEOUT_MS, 100, 300000);

  // The session for `accessKey` and `secret`, the secret reduced to today's
  // signing key; saved by saveSession once the gateway accepted it.
  function newSession(accessKey, secret) {
    const day = today();
    return {
      accessKey,
      region: REGION,
      day,
      key: ostor.hex(ostor.signingKey(secret, day, REGION, SERVICE)),
      active: Date.now(),
    };
  }
  function session() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION));
      return s && s.accessKey && /^[0-9a-f]{64}$/.test(s.key) && s.day && s.region ? s : null;
    } catch {
      return null;
    }
  }
  function saveSession(s) {
    sessionStorage.setItem(SESSION, JSON.stringify(s));
  }
  function clearSession() {
    sessionStorage.removeItem(SESSION);
  }
  // Why the session `s` can sign no more, or null while it can.
  function expired(s) {
    if (s.day !== today()) return 'The sign-in was for a day that has ended (UTC): sign in again.';
    if (!(Date.now() - s.active <= IDLE_MS)) return 'Signed out after 30 minutes without activity: sign in again.';
    return null;
  }
  // Called (with the reason) when the stored session ends other than by
  // sign-out; the shell sets it.
  let onExpired = () => {};
  function setOnExpired(f) {
    onExpired = f;
  }
  // The stored session, ended (and onExpired told) if it has expired.
  function liveSession() {
    const s = session();
    if (!s) return null;
    const why = expired(s);
    if (!why) return s;
    clearSession();
    onExpired(why);
    return null;
  }
  // Activity of the user: keeps the session alive (an expired one ends).
  function touch() {
    const s = liveSession();
    if (!s) return;
    s.active = Date.now();
    saveSession(s);
  }

  let inFlight = 0;
  const waiting = [];
  function takeSlot() {
    if (inFlight < MAX_IN_FLIGHT) {
      inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  }
  function releaseSlot() {
    const next = waiting.shift();
    if (next) next();  // the slot passes on
    else inFlight--;
  }

  // The refusal of an answer: S3's XML <Error> (signature checks) or the
  // admin API's JSON {Code, Message}.
  function refusal(status, text) {
    try {
      const doc = JSON.parse(text);
      if (doc && doc.Code) return { code: doc.Code, message: doc.Message || doc.Code };
    } catch {
      /* not JSON */
    }
    const xml = new DOMParser().parseFromString(text, 'application/xml');
    const code = xml.querySelector('Error > Code');
    const message = xml.querySelector('Error > Message');
    if (code) return { code: code.textContent, message: message ? message.textContent : code.textContent };
    return { code: `HTTP${status}`, message: `The gateway answered ${status}.` };
  }

  // One call of the admin REST API: `params` is [[name, value], ...] (value
  // null: a bare name); `keys`, a session not yet saved (the sign-in's
  // check), else the stored one. Waits for one of MAX_IN_FLIGHT slots;
  // `stale`, when given and true by then, drops the call unsent. Resolves to
  // {ok, status, data (JSON parsed), text} or {ok: false, status, code, message}.
  function call(method, params, keys, stale) {
    return request(method, '/', params, keys, stale);
  }
  // A GET of another path of the listener (the billing API's /v1/bill/fetch),
  // signed as the admin calls are.
  function get(path, params, stale) {
    return request('GET', path, params, null, stale);
  }

  async function request(method, path, params, keys, stale) {
    await takeSlot();
    try {
      if (stale && stale()) return { ok: false, status: 0, code: 'Dropped', message: 'Not sent: no longer needed.' };
      return await send(method, path, params, keys || liveSession());
    } finally {
      releaseSlot();
    }
  }

  async function send(method, path, params, s) {
    if (!s) return { ok: false, status: 0, code: 'NotSignedIn', message: 'Not signed in.' };
    const date = ostor.amzDate(new Date());
    // The signing key is the day's: past midnight UTC it signs nothing.
    if (date.slice(0, 8) !== s.day)
      return { ok: false, status: 0, code: 'NotSignedIn', message: 'The sign-in was for a day that has ended.' };
    const query = ostor.canonicalQuery(params);
    const headers = {
      host: location.host,
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': date,
    };
    const signed = ostor.sign({
      method,
      path,
      query: params,
      headers,
      payloadHash: EMPTY_SHA256,
      accessKey: s.accessKey,
      key: fromHex(s.key),
      region: s.region,
      service: SERVICE,
    });
    const limit = method === 'GET' || method === 'HEAD' ? requestTimeout() : null;
    const abort = new AbortController();
    const timer = limit === null ? 0 : setTimeout(() => abort.abort(), limit);
    let response;
    let text;
    try {
      response = await fetch(`${path}?${query}`, {
        method,
        headers: {
          'x-amz-content-sha256': EMPTY_SHA256,
          'x-amz-date': headers['x-amz-date'],
          Authorization: signed.authorization,
        },
        cache: 'no-store',
        // Not 'omit': a browser keeps credential-less requests on
        // connections of their own, beside the page's (6 more); the
        // listener keeps no cookies anyway.
        credentials: 'same-origin',
        signal: abort.signal,
      });
      text = await response.text();
    } catch (e) {
      if (abort.signal.aborted)
        return { ok: false, status: 0, code: 'Timeout', message: `The gateway did not answer within ${limit / 1000} s.` };
      return { ok: false, status: 0, code: 'NetworkError', message: `The gateway cannot be reached (${e.message}).` };
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) return { ok: false, status: response.status, ...refusal(response.status, text) };
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    return { ok: true, status: response.status, data, text };
  }

  // The calls of a page whose `state.generation` is bumped when it moves on
  // (another page, sign-out): a call not yet sent then is dropped, and an
  // answer that comes after resolves to null. {call(method, params),
  // get(path, params)}, as above.
  function forPage(state) {
    const shown = (generation) => generation === state.generation;
    const made = async (send) => {
      const generation = state.generation;
      const r = await send(() => !shown(generation));
      return shown(generation) ? r : null;
    };
    return {
      call: (method, params) => made((stale) => call(method, params, null, stale)),
      get: (path, params) => made((stale) => get(path, params, stale)),
    };
  }

  ostor.api = {
    call, get, forPage, newSession, session, liveSession, saveSession, clearSession, touch, setOnExpired, setting,
  };
  // An element's text (none for a false `text`).
  ostor.say = (id, text) => {
    document.getElementById(id).textContent = text || '';
  };
})((globalThis.ostor = globalThis.ostor || {}));
