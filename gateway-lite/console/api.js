// The admin REST API (?ostor-*) as the console calls it: every request
// signed in the page (sigv4.js) with the key pair of the session. The
// session lives in sessionStorage: this tab only, gone when it closes or at
// sign-out; the secret is used to sign and never sent.
'use strict';
(function (ostor) {
  const SESSION = 'ostor-console-session';
  // The gateway accepts a signature of any region; us-east-1 is what S3
  // clients default to.
  const REGION = 'us-east-1';
  const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

  function session() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION));
      return s && s.accessKey && s.secret ? s : null;
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

  // One call: `params` is [[name, value], ...] (value null: a bare name).
  // Resolves to {ok, status, data} or {ok: false, status, code, message}.
  async function call(method, params, keys) {
    const s = keys || session();
    if (!s) return { ok: false, status: 0, code: 'NotSignedIn', message: 'Not signed in.' };
    const query = ostor.canonicalQuery(params);
    const headers = {
      host: location.host,
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': ostor.amzDate(new Date()),
    };
    const signed = ostor.sign({
      method,
      path: '/',
      query: params,
      headers,
      payloadHash: EMPTY_SHA256,
      accessKey: s.accessKey,
      secret: s.secret,
      region: s.region || REGION,
      service: 's3',
    });
    let response;
    try {
      response = await fetch(`/?${query}`, {
        method,
        headers: {
          'x-amz-content-sha256': EMPTY_SHA256,
          'x-amz-date': headers['x-amz-date'],
          Authorization: signed.authorization,
        },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      return { ok: false, status: 0, code: 'NetworkError', message: `The gateway cannot be reached (${e.message}).` };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, status: response.status, ...refusal(response.status, text) };
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    return { ok: true, status: response.status, data };
  }

  ostor.api = { call, session, saveSession, clearSession, REGION };
})((globalThis.ostor = globalThis.ostor || {}));
