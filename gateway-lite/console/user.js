// The page of what limits and quotas apply to: a user (#user/<id>: its
// state, id and system flag, its key pairs (generate, the secret shown once;
// revoke, confirmed), its accounts, billing figures, buckets and usage), a
// bucket (#bucket/<name>: its details, size history and usage) or a default
// (#default/user|bucket: a quota only, the API has no default limits); the
// accounts, buckets and usage are accounts.js's, buckets.js's and
// usage.js's. Rate limits and quota are read back from the REST API after
// every change. What the API refuses is sent and its refusal shown as the
// API gives it; the page refuses only what is not a number at all.
'use strict';
(function (ostor) {
  const $ = (id) => document.getElementById(id);
  // kind: user, bucket or default; name: the user's id, the bucket's name
  // or the default's. generation: bumped at each open and reset, so that an
  // answer for a page no longer shown is dropped.
  // limits: as last read, null when the read failed (a form is then not
  // sent: what it would set back after a refusal is not known).
  const state = { kind: null, name: null, generation: 0, limits: null, quota: null };
  const TARGET_PARAM = { user: 'userId', bucket: 'bucket', default: 'default' };

  const refusalText = (r) => `${r.message} (${r.code})`;
  const LIMIT_FIELDS = () => Array.from(document.querySelectorAll('#limits-form input[data-type]'));
  const limitName = (input) => `${input.dataset.type}:${input.dataset.resource}`;
  // What the page refuses itself: an empty field or one no number can be read from.
  const notANumber = (text) => text === '' || Number.isNaN(Number(text));

  function target() {
    return [[TARGET_PARAM[state.kind], state.name]];
  }

  // While a limits form is being set, neither it nor Remove all limits can be pressed.
  function limitsBusy(busy) {
    $('limits-set').disabled = busy;
    $('limits-remove').disabled = busy;
  }

  const say = ostor.say;

  // The message and status lines of a form (`form`: limits or quota),
  // cleared as it is sent.
  function clearForm(form) {
    say(`${form}-message`, '');
    say(`${form}-status`, '');
  }

  // A form's answer shown (its refusal, or `done`), then what it changed
  // read back with `reload`; nothing when the page moved on (no answer).
  async function showAnswer(form, r, done, reload) {
    if (!r) return;
    if (!r.ok) say(`${form}-message`, refusalText(r));
    else say(`${form}-status`, done);
    await reload();
  }

  const button = ostor.button;  // users.js's, loaded before

  // Calls for the page shown now; null when the page moved on meanwhile.
  const { call } = ostor.api.forPage(state);

  function clearNewKey() {
    say('user-new-key-access-key', '');
    say('user-new-key-secret', '');
    $('user-new-key').hidden = true;
  }

  function clear() {
    for (const id of ['user-title', 'user-id', 'user-state', 'user-system', 'user-message', 'keys-message',
      'limits-message', 'limits-status', 'quota-message', 'quota-status'])
      say(id, '');
    $('user-state').className = '';
    $('keys-table').tBodies[0].replaceChildren();
    $('keys-empty').hidden = true;
    clearNewKey();
    ostor.accounts.reset();
    ostor.buckets.reset();
    ostor.usage.reset();
    $('limits-form').reset();
    $('quota-form').reset();
    // A submit left for another page does not keep the buttons disabled.
    limitsBusy(false);
    say('quota-default', '');
    state.limits = null;
    state.quota = null;
  }

  // ---- the user and its key pairs ---------------------------------------------

  function renderKeys(keys) {
    const body = $('keys-table').tBodies[0];
    body.replaceChildren();
    const own = ostor.api.session();
    for (const k of keys) {
      const tr = document.createElement('tr');
      tr.dataset.accessKey = k.AWSAccessKeyId;
      const id = document.createElement('td');
      id.className = 'access-key';
      const code = document.createElement('code');
      code.textContent = k.AWSAccessKeyId;
      id.append(code);
      const actions = document.createElement('td');
      actions.className = 'actions';
      // The API revokes the key this console signs with too: the page says
      // so, and signs out once it is gone.
      if (own && k.AWSAccessKeyId === own.accessKey) {
        tr.dataset.own = 'true';
        const note = document.createElement('span');
        note.className = 'muted';
        note.textContent = 'signed in with this key';
        actions.append(note);
      }
      actions.append(button('Revoke', 'revoke', 'danger'));
      tr.append(id, actions);
      body.append(tr);
    }
    $('keys-empty').hidden = keys.length > 0;
  }

  async function loadUser() {
    const r = await call('GET', [['ostor-users', null], ...target()]);
    if (!r) return false;
    if (!r.ok) {
      say('user-message', refusalText(r));
      return false;
    }
    const u = r.data;
    say('user-title', u.UserEmail);
    say('user-id', u.UserId);
    say('user-state', u.State);
    $('user-state').className = `state state-${u.State}`;
    say('user-system', (u.Flags || []).includes('system') ? 'yes' : 'no');
    renderKeys(u.AWSAccessKeys || []);
    return true;
  }

  async function generateKey() {
    say('keys-message', '');
    clearNewKey();
    const r = await call('POST', [['ostor-users', null], ...target(), ['genKey', null]]);
    if (!r) return;
    if (!r.ok) {
      say('keys-message', refusalText(r));
      return;
    }
    const key = (r.data.AWSAccessKeys || [])[0] || {};
    say('user-new-key-access-key', key.AWSAccessKeyId || '');
    say('user-new-key-secret', key.AWSSecretAccessKey || '');
    $('user-new-key').hidden = false;
    $('user-new-key').focus();
    await loadUser();
  }

  async function revoke(accessKey) {
    say('keys-message', '');
    const own = ostor.api.session();
    const r = await call('POST', [['ostor-users', null], ...target(), ['revokeKey', accessKey]]);
    if (!r) return;
    if (!r.ok) {
      say('keys-message', refusalText(r));
    } else if (own && own.accessKey === accessKey) {
      ostor.shell.signOut('The key this console signed with was revoked: sign in with another key pair.');
      return;
    }
    await loadUser();
    const first = document.querySelector('#keys-table button') || $('generate-key');
    first.focus();
  }

  function onKeysClick(event) {
    const b = event.target.closest('button[data-action="revoke"]');
    if (!b) return;
    const tr = b.closest('tr');
    const question = tr.dataset.own
      ? `Revoke ${tr.dataset.accessKey}, the key you are signed in with?`
      : `Revoke ${tr.dataset.accessKey}?`;
    if (ostor.secondPress(b, question)) revoke(tr.dataset.accessKey);
  }

  // ---- limits -----------------------------------------------------------------------

  async function loadLimits() {
    const r = await call('GET', [['ostor-limits', null], ...target()]);
    if (!r) return;
    if (!r.ok) {
      state.limits = null;
      say('limits-message', `${refusalText(r)} The limits were not read: reload the page before setting them.`);
      return;
    }
    state.limits = r.data;
    for (const input of LIMIT_FIELDS()) input.value = r.data[limitName(input)] ?? '';
  }

  // Not tied to the page shown: a form left mid-way still sets back what it set.
  const setLimit = (on, name, value) => {
    const [type, resource] = name.split(':');
    return ostor.api.call('PUT', [['ostor-limits', null], ...on, ['limit-type', type], ['limit-resource', resource],
      ['limit-value', value]]);
  };

  // Sets the fields that changed, one call each; at the first refusal the
  // ones already set go back to what they were, so a refused form changes
  // nothing. A field whose answer did not come (status 0) or was a server
  // error may have been set: it is set back too.
  async function submitLimits(event) {
    event.preventDefault();
    clearForm('limits');
    if (!state.limits) {
      say('limits-message', 'The limits were not read: reload the page before setting them.');
      return;
    }
    const before = state.limits;
    const on = target();
    const generation = state.generation;
    const shown = () => generation === state.generation;
    const changed = [];
    for (const input of LIMIT_FIELDS()) {
      const value = input.value.trim();
      const name = limitName(input);
      if (notANumber(value)) {
        say('limits-message', `${name}: '${value}' is not a number.`);
        input.focus();
        return;
      }
      if (value !== before[name]) changed.push([name, value]);
    }
    if (!changed.length) {
      say('limits-status', 'Nothing changed.');
      return;
    }
    limitsBusy(true);
    const done = [];
    let refused = null;
    for (const [name, value] of changed) {
      const r = await setLimit(on, name, value);
      if (!r.ok) {
        refused = `${name}: ${refusalText(r)}`;
        if (r.status === 0 || r.status >= 500) done.push(name);
        break;
      }
      done.push(name);
    }
    if (refused) {
      const undone = [];
      for (const name of done) {
        const r = await setLimit(on, name, before[name]);
        if (!r.ok) undone.push(`${name} (${refusalText(r)})`);
      }
      if (!shown()) return;
      say('limits-message', undone.length ? `${refused} Could not set back: ${undone.join(', ')}.` : refused);
    } else {
      if (!shown()) return;
      say('limits-status', 'Limits set.');
    }
    limitsBusy(false);
    await loadLimits();
  }

  async function removeLimits() {
    clearForm('limits');
    const r = await call('DELETE', [['ostor-limits', null], ...target()]);
    await showAnswer('limits', r, 'Limits removed.', loadLimits);
  }

  // ---- quota --------------------------------------------------------------------------

  async function loadQuota() {
    const r = await call('GET', [['ostor-quotas', null], ...target()]);
    if (!r) return;
    if (!r.ok) {
      say('quota-message', refusalText(r));
      return;
    }
    state.quota = r.data.size;
    $('quota-size').value = r.data.size ?? '';
    await loadDefaultQuota();
  }

  // The API reads 0 both for a quota of 0 and for none set (then the default
  // applies): on a user's or a bucket's page, the default is shown beside it.
  async function loadDefaultQuota() {
    say('quota-default', '');
    if (state.kind === 'default' || state.quota !== '0') return;
    const r = await call('GET', [['ostor-quotas', null], ['default', state.kind]]);
    if (!r) return;
    if (!r.ok) {
      say('quota-default', `The default quota was not read: ${refusalText(r)}`);
      return;
    }
    say('quota-default', r.data.size === '0'
      ? `No default quota of ${state.kind}s is set either.`
      : `The default ${r.data.size} GiB of ${state.kind}s applies, unless a quota of 0 was set here.`);
  }

  async function submitQuota(event) {
    event.preventDefault();
    clearForm('quota');
    const value = $('quota-size').value.trim();
    if (notANumber(value)) {
      say('quota-message', `'${value}' is not a number.`);
      $('quota-size').focus();
      return;
    }
    // Unchanged, it is not sent: a 0 read for none set would, set, switch the default off.
    if (value === state.quota) {
      say('quota-status', 'Nothing changed.');
      return;
    }
    const r = await call('PUT', [['ostor-quotas', null], ...target(), ['quota-size', value]]);
    await showAnswer('quota', r, 'Quota set.', loadQuota);
  }

  async function removeQuota() {
    clearForm('quota');
    const r = await call('DELETE', [['ostor-quotas', null], ...target()]);
    await showAnswer('quota', r, 'Quota removed.', loadQuota);
  }

  // ---- the page -------------------------------------------------------------------------

  // Shows the page of `kind` (user, bucket or default) named `name`.
  async function open(kind, name) {
    state.generation++;
    clear();
    state.kind = kind;
    state.name = name;
    const user = kind === 'user';
    $('user-details').hidden = !user;
    $('keys-card').hidden = !user;
    $('accounts-card').hidden = !user;
    $('buckets-card').hidden = !user;
    $('billing-card').hidden = !user;
    $('usage-card').hidden = kind === 'default';
    $('bucket-details').hidden = kind !== 'bucket';
    $('default-switch').hidden = kind !== 'default';
    $('limits-form').hidden = kind === 'default';
    $('back-link').href = '#users';
    $('back-link').textContent = '\u2190 Users';
    say('user-title', {
      user: name,
      bucket: `Bucket ${name}`,
      default: `Default quota of ${{ user: 'users', bucket: 'buckets' }[name] || name}`,
    }[kind]);
    $('user-title').focus();
    const parts = () => [ostor.buckets.open(kind, name), ostor.usage.open(kind, name), loadLimits(), loadQuota()];
    if (kind === 'user') {
      if (await loadUser()) await Promise.all([...parts(), ostor.accounts.open(name)]);
    } else if (kind === 'bucket') {
      await Promise.all(parts());
    } else {
      await loadQuota();
    }
  }

  function init() {
    ostor.buckets.init();
    ostor.usage.init();
    ostor.accounts.init();
    $('generate-key').addEventListener('click', generateKey);
    $('user-new-key-done').addEventListener('click', () => {
      clearNewKey();
      $('generate-key').focus();
    });
    $('keys-table').addEventListener('click', onKeysClick);
    $('limits-form').addEventListener('submit', submitLimits);
    $('limits-remove').addEventListener('click', removeLimits);
    $('quota-form').addEventListener('submit', submitQuota);
    $('quota-remove').addEventListener('click', removeQuota);
  }

  // Forgets what was shown (at sign-out, and on leaving the page).
  function reset() {
    state.generation++;
    state.kind = null;
    state.name = null;
    clear();
  }

  ostor.user = { init, open, reset };
})((globalThis.ostor = globalThis.ostor || {}));
