// The users page: the list (searched and paged in the page), create,
// disable / enable, delete; a user's email opens its page (user.js). Every refusal is shown as the API gives it.
'use strict';
(function (ostor) {
  const PAGE_SIZE = 20;
  const $ = (id) => document.getElementById(id);
  const SEARCH_DELAY_MS = 250;
  // ownId: the signed-in user's id, once a row's details showed its key.
  const state = { users: [], page: 0, generation: 0, ownId: null, searchTimer: 0 };

  const refusalText = (r) => `${r.message} (${r.code})`;

  function showMessage(text) {
    $('users-message').textContent = text || '';
  }

  function matching() {
    const needle = $('user-search').value.trim().toLowerCase();
    if (!needle) return state.users;
    return state.users.filter(
      (u) => u.UserEmail.toLowerCase().includes(needle) || u.UserId.toLowerCase().includes(needle));
  }

  // A button of a table row, its action named in data-action (user.js too).
  function button(label, action, className) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.dataset.action = action;
    b.className = className || 'secondary';
    return b;
  }

  // A button that acts on its second press: the first makes it ask
  // `question` (until it loses the focus) and answers false; the second
  // answers true. One stray click or key press does nothing.
  function secondPress(b, question) {
    if (b.classList.contains('confirm')) return true;
    const label = b.textContent;
    b.classList.add('confirm');
    b.textContent = question;
    b.addEventListener('blur', () => {
      b.classList.remove('confirm');
      b.textContent = label;
    }, { once: true });
    return false;
  }

  // Whether a user's details list the access key the console signs with.
  function holdsSessionKey(detail) {
    const s = ostor.api.session();
    if (!s) return false;
    const keys = [...(detail.AWSAccessKeys || []), ...(detail.Accounts || []).flatMap((a) => a.AWSAccessKeys || [])];
    return keys.some((k) => k.AWSAccessKeyId === s.accessKey);
  }

  // The system flag is in a user's details only: read for the rows shown,
  // unsent once `stale` (a newer render started).
  async function systemFlags(rows, stale) {
    const details = await Promise.all(
      rows.map((u) => ostor.api.call('GET', [['ostor-users', null], ['userId', u.UserId]], null, stale)));
    return details.map((d, i) => {
      if (!d.ok) return refusalText(d);
      if (holdsSessionKey(d.data)) state.ownId = rows[i].UserId;
      return (d.data.Flags || []).includes('system');
    });
  }

  async function render() {
    const rows = matching();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    const shown = rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
    // Renders overlap while one types in the search box: only the last shows.
    const generation = ++state.generation;
    const flags = await systemFlags(shown, () => generation !== state.generation);
    if (generation !== state.generation) return;
    const body = $('users-table').tBodies[0];
    body.replaceChildren();
    shown.forEach((u, i) => {
      const tr = document.createElement('tr');
      tr.dataset.userId = u.UserId;
      tr.dataset.email = u.UserEmail;
      const cell = (text, className) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (className) td.className = className;
        tr.append(td);
        return td;
      };
      // The email opens the user's page: a link, so the keyboard reaches it.
      const open = document.createElement('a');
      open.href = `#user/${encodeURIComponent(u.UserId)}`;
      open.textContent = u.UserEmail;
      cell('', 'email').append(open);
      cell(u.UserId, 'user-id').classList.add('muted');
      cell(u.State, `state state-${u.State}`);
      // A detail that could not be read: '?', the refusal on hover.
      const system = cell(typeof flags[i] === 'string' ? '?' : flags[i] ? 'system' : '—', 'system');
      if (typeof flags[i] === 'string') system.title = flags[i];
      const actions = cell('', 'actions');
      // One's own user is neither disabled nor deleted here: that would
      // lock this console out.
      if (u.UserId === state.ownId) {
        tr.dataset.own = 'true';
        actions.textContent = 'you';
        actions.classList.add('muted');
      } else {
        actions.append(
          u.State === 'disabled' ? button('Enable', 'enable') : button('Disable', 'disable'),
          button('Delete', 'delete', 'danger'));
      }
      body.append(tr);
    });
    $('users-empty').hidden = rows.length > 0;
    $('page-info').textContent = rows.length
      ? `${state.page * PAGE_SIZE + 1}–${state.page * PAGE_SIZE + shown.length} of ${rows.length}`
      : '';
    $('prev-page').disabled = state.page === 0;
    $('next-page').disabled = state.page >= pages - 1;
  }

  async function load() {
    const r = await ostor.api.call('GET', [['ostor-users', null]]);
    if (!r.ok) {
      showMessage(refusalText(r));
      return;
    }
    state.users = r.data.sort((a, b) => a.UserEmail.localeCompare(b.UserEmail));
    await render();
  }

  async function act(tr, action) {
    const id = tr.dataset.userId;
    showMessage('');
    let r;
    if (action === 'delete') {
      r = await ostor.api.call('DELETE', [['ostor-users', null], ['userId', id]]);
    } else {
      r = await ostor.api.call('POST', [['ostor-users', null], ['userId', id], [action, null]]);
    }
    if (!r.ok) showMessage(refusalText(r));
    await load();
    // Keep the keyboard where it was: on the same row's first button.
    const row = document.querySelector(`#users-table tr[data-user-id="${id}"] button`);
    (row || $('user-search')).focus();
  }

  function onTableClick(event) {
    const b = event.target.closest('button[data-action]');
    if (!b) return;
    const tr = b.closest('tr');
    const label = { delete: 'Delete', disable: 'Disable' }[b.dataset.action];
    if (label && !secondPress(b, `${label} ${tr.dataset.email}?`)) return;
    act(tr, b.dataset.action);
  }

  function openCreate() {
    $('create-user-form').hidden = false;
    $('new-user-email').focus();
  }
  function closeCreate() {
    $('create-user-form').reset();
    $('create-user-form').hidden = true;
  }

  async function create(event) {
    event.preventDefault();
    showMessage('');
    const email = $('new-user-email').value.trim();
    if (!email) {
      showMessage('An email is required.');
      $('new-user-email').focus();
      return;
    }
    const params = [['ostor-users', null], ['emailAddress', email]];
    if ($('new-user-system').checked) params.push(['system', null]);
    const r = await ostor.api.call('PUT', params);
    if (!r.ok) {
      showMessage(refusalText(r));
      return;
    }
    closeCreate();
    const key = (r.data.AWSAccessKeys || [])[0] || {};
    $('new-keys-email').textContent = r.data.UserEmail;
    $('new-keys-user-id').textContent = r.data.UserId;
    $('new-keys-access-key').textContent = key.AWSAccessKeyId || '';
    $('new-keys-secret').textContent = key.AWSSecretAccessKey || '';
    $('new-keys').hidden = false;
    $('new-keys').focus();
    await load();
  }

  function hideKeys() {
    for (const id of ['new-keys-email', 'new-keys-user-id', 'new-keys-access-key', 'new-keys-secret'])
      $(id).textContent = '';
    $('new-keys').hidden = true;
  }

  function init() {
    $('users-table').addEventListener('click', onTableClick);
    // Rendered once typing pauses, not at every key.
    $('user-search').addEventListener('input', () => {
      clearTimeout(state.searchTimer);
      state.searchTimer = setTimeout(() => {
        state.page = 0;
        render();
      }, SEARCH_DELAY_MS);
    });
    $('prev-page').addEventListener('click', () => {
      state.page -= 1;
      render();
    });
    $('next-page').addEventListener('click', () => {
      state.page += 1;
      render();
    });
    $('new-user-button').addEventListener('click', openCreate);
    $('create-user-cancel').addEventListener('click', () => {
      closeCreate();
      $('new-user-button').focus();
    });
    $('create-user-form').addEventListener('submit', create);
    $('create-user-form').addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      closeCreate();
      $('new-user-button').focus();
    });
    $('new-keys-done').addEventListener('click', () => {
      hideKeys();
      $('new-user-button').focus();
    });
  }

  // Forgets what was shown (at sign-out).
  function reset() {
    state.users = [];
    state.page = 0;
    state.generation++;
    state.ownId = null;
    clearTimeout(state.searchTimer);
    hideKeys();
    closeCreate();
    showMessage('');
    $('user-search').value = '';
    $('users-table').tBodies[0].replaceChildren();
  }

  ostor.users = { init, load, reset };
  ostor.button = button;
  ostor.secondPress = secondPress;
})((globalThis.ostor = globalThis.ostor || {}));
