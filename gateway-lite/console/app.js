// The console's shell: sign-in, sign-out, and the page shown.
'use strict';
(function (ostor) {
  const $ = (id) => document.getElementById(id);

  // What a refused sign-in says, by the API's error code.
  function signInRefusal(r) {
    switch (r.code) {
      case 'SignatureDoesNotMatch':
        return 'The secret does not match the access key.';
      case 'InvalidAccessKeyId':
        return 'No user has this access key id.';
      case 'AccessDenied':
        return r.status === 403 && /system users only/.test(r.message)
          ? 'This key is not a system user\'s: the console is open to system users only.'
          : r.message;
      case 'RequestTimeTooSkewed':
        return 'This computer\'s clock is too far from the gateway\'s: correct it and sign in again.';
      default:
        return `${r.message} (${r.code})`;
    }
  }

  // The page the address names: {kind, name} of a user's (#user/<id>), a
  // bucket's (#bucket/<name>) or a default's (#default/user|bucket), or null
  // for the users list.
  function pageOfHash() {
    const m = /^#(user|bucket|default)\/(.+)$/.exec(location.hash);
    if (!m) return null;
    try {
      return { kind: m[1], name: decodeURIComponent(m[2]) };
    } catch {
      return null;
    }
  }

  // The user whose page was shown last: back at the list, its link has the focus.
  let lastUser = '';

  // Whether the address names the health page (#health).
  const healthShown = () => location.hash === '#health';

  // Shows the page the address names, else the users list.
  function route() {
    if (!ostor.api.session()) return;
    const health = healthShown();
    const page = health ? null : pageOfHash();
    $('users-view').hidden = health || page !== null;
    $('user-view').hidden = page === null;
    $('health-view').hidden = !health;
    const defaults = page !== null && page.kind === 'default';
    const navs = [['nav-users', !health && !defaults], ['nav-defaults', defaults], ['nav-health', health]];
    for (const [id, current] of navs) {
      if (current) $(id).setAttribute('aria-current', 'page');
      else $(id).removeAttribute('aria-current');
    }
    if (health) {
      ostor.user.reset();
      ostor.health.open();
      return;
    }
    ostor.health.stop();  // left: its timer stops
    if (page !== null) {
      if (page.kind === 'user') lastUser = page.name;
      ostor.user.open(page.kind, page.name);
      return;
    }
    ostor.user.reset();
    ostor.users.load().then(() => {
      // Back from a user's page: the keyboard on that user's link.
      const link = document.querySelector(`#users-table tr[data-user-id="${CSS.escape(lastUser)}"] a`);
      if (link) link.focus();
    });
  }

  window.addEventListener('hashchange', route);

  function show(signedIn) {
    const s = ostor.api.session();
    $('sign-in-view').hidden = signedIn;
    $('users-view').hidden = !signedIn;
    $('user-view').hidden = true;
    $('health-view').hidden = true;
    $('nav').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    $('who').hidden = !signedIn;
    $('who').textContent = signedIn && s ? s.accessKey : '';
  }

  async function signIn(event) {
    event.preventDefault();
    const accessKey = $('access-key').value.trim();
    const secret = $('secret-key').value;
    const error = $('sign-in-error');
    if (!accessKey || !secret) {
      error.textContent = 'Type the access key id and its secret.';
      return;
    }
    error.textContent = '';
    // The secret goes no further than this: the session keeps the day's
    // signing key, and the field is emptied at once.
    const keys = ostor.api.newSession(accessKey, secret);
    $('secret-key').value = '';
    $('sign-in-button').disabled = true;
    // Only a system user may list the users: the check of the key pair.
    const r = await ostor.api.call('GET', [['ostor-users', null]], keys);
    $('sign-in-button').disabled = false;
    if (!r.ok) {
      error.textContent = signInRefusal(r);
      $('secret-key').focus();
      return;
    }
    ostor.api.saveSession(keys);
    $('sign-in-form').reset();
    show(true);
    if (pageOfHash() !== null || healthShown()) {
      route();
      return;
    }
    await ostor.users.load();
    $('user-search').focus();
  }

  function signOut(message) {
    ostor.api.clearSession();
    ostor.users.reset();
    ostor.user.reset();
    ostor.buckets.reset(true);  // the size readings kept too
    ostor.health.stop();
    // The next sign-in starts at the users list.
    history.replaceState(null, '', location.pathname + location.search);
    show(false);
    $('sign-in-error').textContent = typeof message === 'string' ? message : '';
    $('access-key').focus();
  }

  function start() {
    ostor.users.init();
    ostor.user.init();
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut());
    // A session that ends by itself (the day is over, or idle) shows the
    // sign-in with why.
    ostor.api.setOnExpired(signOut);
    for (const type of ['pointerdown', 'keydown'])
      document.addEventListener(type, () => ostor.api.touch(), { capture: true });
    setInterval(() => ostor.api.liveSession(), 30 * 1000);
    const signedIn = ostor.api.liveSession() !== null;
    if (signedIn) {
      show(true);
      route();
    } else if (!$('sign-in-error').textContent) {
      show(false);
      $('access-key').focus();
    }
    document.body.dataset.ready = 'true';
  }

  ostor.shell = { signOut };
  document.addEventListener('DOMContentLoaded', start);
})((globalThis.ostor = globalThis.ostor || {}));
