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

  function show(signedIn) {
    const s = ostor.api.session();
    $('sign-in-view').hidden = signedIn;
    $('users-view').hidden = !signedIn;
    $('nav').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    $('who').hidden = !signedIn;
    $('who').textContent = signedIn && s ? s.accessKey : '';
  }

  async function signIn(event) {
    event.preventDefault();
    const keys = { accessKey: $('access-key').value.trim(), secret: $('secret-key').value, region: ostor.api.REGION };
    const error = $('sign-in-error');
    if (!keys.accessKey || !keys.secret) {
      error.textContent = 'Type the access key id and its secret.';
      return;
    }
    error.textContent = '';
    $('sign-in-button').disabled = true;
    // Only a system user may list the users: the check of the key pair.
    const r = await ostor.api.call('GET', [['ostor-users', null]], keys);
    $('sign-in-button').disabled = false;
    if (!r.ok) {
      error.textContent = signInRefusal(r);
      $('secret-key').select();
      return;
    }
    ostor.api.saveSession(keys);
    $('sign-in-form').reset();
    show(true);
    await ostor.users.load();
    $('user-search').focus();
  }

  function signOut() {
    ostor.api.clearSession();
    ostor.users.reset();
    show(false);
    $('access-key').focus();
  }

  function start() {
    ostor.users.init();
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    const signedIn = ostor.api.session() !== null;
    show(signedIn);
    if (signedIn) ostor.users.load();
    else $('access-key').focus();
    document.body.dataset.ready = 'true';
  }

  document.addEventListener('DOMContentLoaded', start);
})((globalThis.ostor = globalThis.ostor || {}));
