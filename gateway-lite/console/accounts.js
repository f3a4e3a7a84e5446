// A user's accounts (named containers of its buckets with key pairs of their
// own), on the user's page: listed with their access key ids (the API's
// listing carries the secrets too: never put in the page), created (the
// first key pair shown once), deleted (confirmed; an account that still
// owns buckets is refused, as the API says), and their key pairs generated
// (shown once) and revoked (confirmed). ?ostor-accounts and ?ostor-users's
// genKey and revokeKey with accountName, as the REST API has them.
'use strict';
(function (ostor) {
  const $ = (id) => document.getElementById(id);
  const refusalText = (r) => `${r.message} (${r.code})`;
  // userId: the user shown; generation: bumped at each open and reset, so
  // that an answer for a page no longer shown is dropped; loads: the number
  // of the latest listing asked, the only one drawn (answers can cross).
  const state = { userId: null, generation: 0, loads: 0 };

  const say = ostor.say;
  // Calls for the user shown now; null when the page moved on meanwhile.
  const { call } = ostor.api.forPage(state);

  function clearNewKey() {
    for (const id of ['account-new-key-account', 'account-new-key-access-key', 'account-new-key-secret']) say(id, '');
    $('account-new-key').hidden = true;
  }

  // A key pair just made, shown once (its secret is not read again).
  function showNewKey(account, key) {
    say('account-new-key-account', account);
    say('account-new-key-access-key', key.AWSAccessKeyId || '');
    say('account-new-key-secret', key.AWSSecretAccessKey || '');
    $('account-new-key').hidden = false;
    $('account-new-key').focus();
  }

  function render(accounts) {
    const body = $('accounts-table').tBodies[0];
    body.replaceChildren();
    for (const a of accounts) {
      const tr = document.createElement('tr');
      tr.dataset.account = a.Name;
      const name = document.createElement('td');
      name.className = 'name';
      name.textContent = a.Name;
      const keys = document.createElement('td');
      keys.className = 'keys';
      for (const k of a.AWSAccessKeys || []) {
        // The access key id only: the listing's secret stays out of the page.
        const line = document.createElement('div');
        line.className = 'key';
        line.dataset.accessKey = k.AWSAccessKeyId;
        const code = document.createElement('code');
        code.textContent = k.AWSAccessKeyId;
        line.append(code, ' ', ostor.button('Revoke', 'revoke-key', 'danger'));
        keys.append(line);
      }
      if (!keys.childElementCount) keys.textContent = 'none';
      const actions = document.createElement('td');
      actions.className = 'actions';
      actions.append(ostor.button('Generate key pair', 'generate-key'), ' ',
        ostor.button('Delete', 'delete', 'danger'));
      tr.append(name, keys, actions);
      body.append(tr);
    }
    $('accounts-empty').hidden = accounts.length > 0;
  }

  async function load() {
    const number = ++state.loads;
    const r = await call('GET', [['ostor-accounts', null], ['userId', state.userId]]);
    if (!r || number !== state.loads) return;
    if (!r.ok) {
      say('accounts-message', refusalText(r));
      return;
    }
    render(Array.isArray(r.data) ? r.data : []);
  }

  // An action's answer: the refusal shown as the API gives it; the list read
  // again either way (a refusal may come from a change made elsewhere).
  // Null when the page moved on.
  async function answered(r) {
    if (!r) return null;
    if (!r.ok) say('accounts-message', refusalText(r));
    await load();
    return r;
  }

  async function create(event) {
    event.preventDefault();
    say('accounts-message', '');
    clearNewKey();
    const name = $('new-account-name').value.trim();
    if (!name) {
      say('accounts-message', 'An account needs a name.');
      $('new-account-name').focus();
      return;
    }
    const r = await call('PUT', [['ostor-accounts', null], ['userId', state.userId], ['accountName', name]]);
    if (r && r.ok) {
      $('create-account-form').reset();
      const key = (r.data.AWSAccessKeys || [])[0];
      if (key) showNewKey(r.data.Name, key);
    }
    await answered(r);
  }

  async function act(account, action, accessKey) {
    say('accounts-message', '');
    clearNewKey();
    const who = [['userId', state.userId], ['accountName', account]];
    let r = null;
    if (action === 'delete') {
      r = await answered(await call('DELETE', [['ostor-accounts', null], ...who]));
    } else if (action === 'generate-key') {
      const made = await call('POST', [['ostor-users', null], ...who, ['genKey', null]]);
      if (made && made.ok) showNewKey(account, (made.data.AWSAccessKeys || [])[0] || {});
      r = await answered(made);
    } else if (action === 'revoke-key') {
      r = await answered(await call('POST', [['ostor-users', null], ...who, ['revokeKey', accessKey]]));
    }
    if (!r || (action === 'generate-key' && r.ok)) return;  // moved on, or on the new key shown
    // The row's buttons are new with the list drawn again: the keyboard goes
    // to the same action's (after a revoke, Generate: not another key's
    // Revoke), or to the form when the account is gone.
    const row = Array.from($('accounts-table').tBodies[0].rows).find((tr) => tr.dataset.account === account);
    const next = action === 'revoke-key' ? 'generate-key' : action;
    (row ? row.querySelector(`button[data-action="${next}"]`) : $('new-account-name')).focus();
  }

  function onTableClick(event) {
    const b = event.target.closest('button[data-action]');
    if (!b) return;
    const account = b.closest('tr').dataset.account;
    const key = b.closest('.key');
    const question = {
      delete: `Delete account ${account}?`,
      'revoke-key': key && `Revoke ${key.dataset.accessKey}?`,
    }[b.dataset.action];
    if (question && !ostor.secondPress(b, question)) return;
    act(account, b.dataset.action, key && key.dataset.accessKey);
  }

  // Shows the accounts of user `userId`.
  async function open(userId) {
    reset();
    state.userId = userId;
    await load();
  }

  // Forgets what was shown (at sign-out, and on leaving the page).
  function reset() {
    state.generation++;
    state.userId = null;
    say('accounts-message', '');
    clearNewKey();
    $('create-account-form').reset();
    $('accounts-table').tBodies[0].replaceChildren();
    $('accounts-empty').hidden = true;
  }

  function init() {
    $('create-account-form').addEventListener('submit', create);
    $('accounts-table').addEventListener('click', onTableClick);
    $('account-new-key-done').addEventListener('click', () => {
      clearNewKey();
      $('new-account-name').focus();
    });
  }

  ostor.accounts = { init, open, reset };
})((globalThis.ostor = globalThis.ostor || {}));
