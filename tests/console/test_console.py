"""The web console (gateway-lite/console/) in a real browser: headless
Chromium driven by Selenium against a live gateway started with
--admin-listen. Sign-in with a system user's keys (a wrong secret and a
non-system user's key refused), the users page (create with the key pair
shown once, search, disable and see the user's S3 request refused, enable,
delete, a refusal shown as the API gives it), sign-out; and the pages'
HTTP answers (headers, 404, HEAD, the redirect).

Needs Debian's chromium, chromium-driver and python3-selenium
(scripts/install-deps.sh): without them the suite FAILS, it does not skip.
"""

import json
import os

from console_common import ConsoleCase, fetch, fetch_with
import harness  # noqa: E402  (console_common puts it on the path)

# The limits ?ostor-limits gives for a user, as it names them.
LIMITS = ('ops:default', 'ops:get', 'ops:put', 'ops:list', 'ops:delete', 'bandwidth:out')


class ConsoleTest(ConsoleCase):
    def key_rows(self):
        return self.driver.execute_script(
            'return Array.from(document.querySelectorAll("#keys-table tbody tr"), (tr) => tr.dataset.accessKey)')

    def press_revoke(self, access_key):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def click(driver):
            try:
                driver.find_element(By.CSS_SELECTOR,
                                    f'#keys-table tr[data-access-key="{access_key}"] button[data-action="revoke"]'
                                    ).click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait_for(click, f'no revoke button for {access_key}')

    def limit_values(self):
        return {name: self.element(f'limit-{name.replace(":", "-")}').get_attribute('value') for name in LIMITS}

    def s3_status(self, creds):
        try:
            self.gw.client(creds).list_buckets()
            return 200
        except harness.ClientError as e:
            return harness.http_status(e)

    # ---- the pages' HTTP answers -------------------------------------------
    def test_pages_are_served_with_their_headers(self):
        status, headers, body = fetch(self.console)
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Type'], 'text/html; charset=utf-8')
        self.assertIn(b'<title>ostor console</title>', body)
        self.assertEqual(headers['Cache-Control'], 'no-cache')
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
        self.assertEqual(headers['X-Frame-Options'], 'DENY')
        policy = headers['Content-Security-Policy']
        self.assertIn("script-src 'self'", policy)
        self.assertNotIn('unsafe-inline', policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertNotIn(b'<script>', body, 'no inline script')
        status, headers, body = fetch(self.base + '/console/app.js')
        self.assertEqual((status, headers['Content-Type']), (200, 'text/javascript; charset=utf-8'))
        status, headers, head_body = fetch(self.base + '/console/app.js', 'HEAD')
        self.assertEqual((status, head_body, int(headers['Content-Length'])), (200, b'', len(body)))
        status, headers, _ = fetch(self.base + '/console')
        self.assertEqual((status, headers['Location']), (301, '/console/'))
        status, headers, body = fetch(self.base + '/console/nothing.js')
        self.assertEqual((status, headers['Content-Type']), (404, 'application/json'))
        self.assertEqual(json.loads(body)['Code'], 'NotFound')

    def test_the_admin_api_wants_a_signature_also_from_loopback(self):
        status, _, body = fetch(self.base + '/?ostor-users')
        self.assertEqual(status, 403, body)
        self.assertEqual(json.loads(body)['Code'], 'AccessDenied')
        # Billing and metrics keep their loopback exemption.
        self.assertEqual(fetch(self.base + '/metrics')[0], 200)

    # ---- sign-in -------------------------------------------------------------
    def test_a_wrong_secret_is_refused(self):
        wrong = self.gw.secret_key[:-1] + ('A' if self.gw.secret_key[-1] != 'A' else 'B')
        self.assertEqual(self.sign_in_refused(self.gw.access_key, wrong), 'The secret does not match the access key.')

    def test_an_unknown_key_is_refused(self):
        self.assertEqual(self.sign_in_refused('AKIAUNKNOWNKEY000000', self.gw.secret_key),
                         'No user has this access key id.')

    def test_a_non_system_user_is_refused(self):
        creds = self.gw.create_user()
        self.assertIn("not a system user's", self.sign_in_refused(creds.access_key, creds.secret_key))

    # ---- the users page ------------------------------------------------------
    def test_paging_and_escape(self):
        from botocore.awsrequest import AWSRequest
        from selenium.webdriver.common.keys import Keys
        prefix = f'page-{os.urandom(3).hex()}-'
        for n in range(21):
            url = f'{self.base}/?' + harness.query([('ostor-users', None), ('emailAddress', f'{prefix}{n:02}@example.com')])
            request = AWSRequest(method='PUT', url=url, headers={'Host': self.base.split('://', 1)[1]})
            harness.SigV4(self.gw.credentials).add_auth(request)
            status, _, body = fetch_with(url, 'PUT', dict(request.headers.items()))
            self.assertEqual(status, 200, body)
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        # The page is gentle with the listener (8 connections per client):
        # at most 4 requests in flight, for the 20 rows' details too.
        self.driver.execute_script(
            'const real = window.fetch; window.inFlight = 0; window.mostInFlight = 0;'
            'window.fetch = async (...a) => { window.mostInFlight = Math.max(window.mostInFlight, ++window.inFlight);'
            ' try { return await real(...a); } finally { window.inFlight--; } };')
        self.type_into('user-search', prefix)
        self.wait_for(lambda d: self.element('page-info').text == '1–20 of 21', 'no page of 20 users of 21')
        self.wait_for(lambda d: d.execute_script('return window.inFlight') == 0)
        self.assertEqual(self.driver.execute_script('return window.mostInFlight'), 4)
        self.assertEqual(len(self.rows()), 20)
        self.assertFalse(self.element('prev-page').is_enabled())
        self.element('next-page').click()
        self.wait_for(lambda d: self.rows() == [f'{prefix}20@example.com'], 'the second page shows the last user')
        self.assertEqual(self.element('page-info').text, '21–21 of 21')
        self.assertFalse(self.element('next-page').is_enabled())
        self.element('prev-page').click()
        self.wait_for(lambda d: len(self.rows()) == 20)
        # Escape closes the new user form, the focus back on its button.
        self.element('new-user-button').click()
        self.element('new-user-email').send_keys('half-typed', Keys.ESCAPE)
        self.wait_for(lambda d: not self.element('create-user-form').is_displayed(), 'Escape did not close the form')
        self.assertEqual(self.driver.switch_to.active_element, self.element('new-user-button'))

    def test_users_created_searched_disabled_enabled_deleted_then_sign_out(self):
        from selenium.webdriver.common.keys import Keys
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        self.wait_row('admin@localhost')
        self.assertEqual(self.row_cell('admin@localhost', 'system'), 'system', self.driver.execute_script(
            'return document.querySelector("#users-table td.system").title'))
        self.assertEqual(self.element('who').text, self.gw.access_key)
        # The secret is kept nowhere: no cookie, no stored value holds it
        # (a browser restores sessionStorage with a closed tab); the field is empty.
        self.assertEqual(self.driver.get_cookies(), [])
        self.assertEqual(self.driver.execute_script('return localStorage.length'), 0)
        stored = self.driver.execute_script(
            'return [sessionStorage, localStorage].flatMap((s) => Object.keys(s).map((k) => k + "=" + s.getItem(k)))')
        self.assertTrue(stored, 'no session stored')
        for value in stored:
            self.assertNotIn(self.gw.secret_key, value)
        self.assertEqual(self.element('secret-key').get_attribute('value'), '')
        self.assertEqual(self.element('secret-key').get_attribute('autocomplete'), 'off')
        # One's own row can be neither disabled nor deleted (it would lock the console out).
        self.wait_for(lambda d: self.row_cell('admin@localhost', 'actions') == 'you', 'own row has buttons')
        self.assertFalse(self.driver.execute_script(
            'return document.querySelectorAll(\'#users-table tr[data-email="admin@localhost"] button\').length'))

        # Create, from the keyboard: the form, the email, Enter.
        email = f'console-{os.urandom(3).hex()}@example.com'
        self.element('new-user-button').send_keys(Keys.ENTER)
        self.wait_for(lambda d: self.element('create-user-form').is_displayed())
        self.assertEqual(self.driver.switch_to.active_element, self.element('new-user-email'))
        self.element('new-user-email').send_keys(email, Keys.ENTER)
        self.wait_for(lambda d: self.element('new-keys').is_displayed(), 'no key pair shown')
        access_key = self.element('new-keys-access-key').text
        secret = self.element('new-keys-secret').text
        self.assertRegex(access_key, r'^[0-9a-f]{16}[A-Z0-9]{4}$')
        self.assertRegex(secret, r'^[A-Za-z0-9]{40}$')
        self.assertIn('not shown again', self.element('new-keys').text)
        self.wait_row(email)
        self.assertEqual((self.row_cell(email, 'state'), self.row_cell(email, 'system')), ('enabled', '—'),
                         self.driver.execute_script('return Array.from(document.querySelectorAll('
                                                    '"#users-table td.system"), (td) => td.title).join("|")'))
        creds = harness.Credentials(access_key, secret)
        self.assertEqual(self.s3_status(creds), 200, 'the key pair shown works')
        self.element('new-keys-done').click()
        self.assertFalse(self.element('new-keys').is_displayed())
        self.assertEqual(self.element('new-keys-secret').text, '')

        # Search.
        self.type_into('user-search', email[:14])
        self.wait_for(lambda d: list(self.rows()) == [email], 'search did not narrow to the user')
        self.type_into('user-search', 'nobody-matches-this')
        self.wait_for(lambda d: not self.rows() and self.element('users-empty').is_displayed())
        self.type_into('user-search', email.upper())
        self.wait_for(lambda d: list(self.rows()) == [email], 'search is not case-insensitive')

        # Disable (a second press confirms): its S3 requests are refused; enable: served again.
        self.press(email, 'disable')
        self.assertEqual(self.row_cell(email, 'actions').split('Delete')[0], f'Disable {email}?',
                         'the first press asks to confirm')
        self.assertEqual(self.row_cell(email, 'state'), 'enabled')
        self.assertEqual(self.s3_status(creds), 200)
        self.press(email, 'disable')
        self.wait_for(lambda d: self.row_cell(email, 'state') == 'disabled', 'not shown disabled')
        self.assertEqual(self.s3_status(creds), 403)
        self.press(email, 'enable')
        self.wait_for(lambda d: self.row_cell(email, 'state') == 'enabled', 'not shown enabled')
        self.assertEqual(self.s3_status(creds), 200)

        # A refused delete shows the API's refusal (the user owns a bucket).
        bucket = harness.unique_bucket('console')
        self.gw.client(creds).create_bucket(Bucket=bucket)
        self.press(email, 'delete')
        self.assertEqual(self.row_cell(email, 'actions').split('Enable')[-1].split('Disable')[-1],
                         f'Delete {email}?', 'the first press asks to confirm')
        self.press(email, 'delete')
        self.wait_for(lambda d: 'UserHasBuckets' in self.element('users-message').text, 'no refusal shown')
        self.assertIn(email, self.rows())
        self.gw.client(creds).delete_bucket(Bucket=bucket)
        self.press_row_twice(email, 'delete')
        self.wait_row(email, present=False)
        self.assertEqual(self.element('users-message').text, '')
        self.assertEqual(self.s3_status(creds), 403, 'a deleted user\'s key is refused')

        # A system user, made here, may sign in.
        system_email = f'console-admin-{os.urandom(3).hex()}@example.com'
        self.type_into('user-search', '')
        self.element('new-user-button').click()
        self.type_into('new-user-email', system_email)
        self.element('new-user-system').click()
        self.element('create-user-submit').click()
        self.wait_for(lambda d: self.element('new-keys').is_displayed())
        system_creds = (self.element('new-keys-access-key').text, self.element('new-keys-secret').text)
        self.wait_row(system_email)
        self.wait_for(lambda d: self.row_cell(system_email, 'system') == 'system')

        # Sign out: back at sign-in, the keys gone, nothing signed any more.
        self.element('sign-out').click()
        self.wait_for(lambda d: self.element('sign-in-view').is_displayed())
        self.assertFalse(self.element('users-view').is_displayed())
        self.assertIsNone(self.driver.execute_script('return sessionStorage.getItem("ostor-console-session")'))
        self.assertEqual(self.element('new-keys-secret').text, '')
        self.assertFalse(self.rows())
        unsigned = self.driver.execute_async_script(
            'const done = arguments[arguments.length - 1];'
            'ostor.api.call("GET", [["ostor-users", null]]).then((r) => done(r.code));')
        self.assertEqual(unsigned, 'NotSignedIn')
        self.driver.refresh()
        self.wait_for(lambda d: d.execute_script('return document.body.dataset.ready') == 'true')
        self.assertTrue(self.element('sign-in-view').is_displayed(), 'a reload signs nobody in')

        self.sign_in(*system_creds)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'the new system user cannot sign in')
        self.wait_row(system_email)
        self.type_into('user-search', system_email)
        self.wait_for(lambda d: self.row_cell(system_email, 'actions') == 'you', 'own row has buttons')

    def session_ends_with(self, change, message):
        """Signs in, changes the stored session by `change` (JS on `s`), acts: back at sign-in with `message`."""
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        self.wait_row('admin@localhost')
        self.driver.execute_script(
            'const s = JSON.parse(sessionStorage.getItem("ostor-console-session"));' + change +
            'sessionStorage.setItem("ostor-console-session", JSON.stringify(s));')
        self.element('user-search').send_keys('a')
        self.wait_for(lambda d: self.element('sign-in-view').is_displayed(), 'still signed in')
        self.assertIn(message, self.element('sign-in-error').text)
        self.assertFalse(self.element('users-view').is_displayed())
        self.assertFalse(self.rows())
        self.assertIsNone(self.driver.execute_script('return sessionStorage.getItem("ostor-console-session")'))

    def test_a_session_ends_with_its_utc_day(self):
        # The key kept is the day's: the next day it signs nothing.
        self.session_ends_with('s.day = "20000101";', 'day that has ended')
        # So does a restored tab's session of another day.
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        self.driver.execute_script(
            'const s = JSON.parse(sessionStorage.getItem("ostor-console-session")); s.day = "20000101";'
            'sessionStorage.setItem("ostor-console-session", JSON.stringify(s));')
        self.driver.refresh()
        self.wait_for(lambda d: d.execute_script('return document.body.dataset.ready') == 'true')
        self.assertTrue(self.element('sign-in-view').is_displayed())
        self.assertIn('day that has ended', self.element('sign-in-error').text)

    def test_a_session_ends_after_30_minutes_idle(self):
        self.session_ends_with('s.active = Date.now() - 31 * 60 * 1000;', '30 minutes without activity')

    def test_a_user_whose_email_has_quotes_percent_and_non_ascii(self):
        # The widest the engine takes: no space, '/', '\\', '"', '<', '>', ',' or ';'.
        email = f"a+b'c&d%e=f?g#h!é-{os.urandom(3).hex()}@exämple.com"
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        self.element('new-user-button').click()
        self.type_into('new-user-email', email)
        self.element('create-user-submit').click()
        self.wait_for(lambda d: self.element('new-keys').is_displayed(), 'no key pair shown: ' +
                      self.element('users-message').text)
        self.assertEqual(self.element('new-keys-email').text, email)
        self.element('new-keys-done').click()
        self.type_into('user-search', "b'c&d%e=f?g#h!é")
        self.wait_for(lambda d: list(self.rows()) == [email], 'search did not find the user')
        self.press_row_twice(email, 'disable')
        self.wait_for(lambda d: self.row_cell(email, 'state') == 'disabled', 'not shown disabled')
        self.press_row_twice(email, 'delete')
        self.wait_row(email, present=False)
        self.assertEqual(self.element('users-message').text, '')
        from botocore.awsrequest import AWSRequest
        url = f'{self.base}/?' + harness.query([('ostor-users', None), ('emailAddress', email)])
        request = AWSRequest(method='GET', url=url, headers={'Host': self.base.split('://', 1)[1]})
        harness.SigV4(self.gw.credentials).add_auth(request)
        status, _, body = fetch_with(url, 'GET', dict(request.headers.items()))
        self.assertEqual(status, 404, body)

    # ---- a user's page -------------------------------------------------------
    def test_a_users_page_generates_and_revokes_key_pairs(self):
        email = f'console-keys-{os.urandom(3).hex()}@example.com'
        creds = self.gw.create_user(email)
        user_id = self.user_id(email)
        self.open_user_page(email)
        self.assertEqual(self.driver.switch_to.active_element, self.element('user-title'))
        self.assertTrue(self.driver.current_url.endswith(f'#user/{user_id}'))
        self.wait_for(lambda d: self.key_rows() == [creds.access_key], 'the key pair is not listed')
        self.assertEqual((self.element('user-id').text, self.element('user-state').text,
                          self.element('user-system').text), (user_id, 'enabled', 'no'))
        self.assertNotIn(creds.secret_key, self.driver.page_source, 'a secret is in the page only when made')

        # Generate: the new pair shown once, listed, and it works.
        self.element('generate-key').click()
        self.wait_for(lambda d: self.element('user-new-key').is_displayed(), 'no new key pair shown: ' +
                      self.element('keys-message').text)
        self.assertEqual(self.driver.switch_to.active_element, self.element('user-new-key'))
        new = harness.Credentials(self.element('user-new-key-access-key').text,
                                  self.element('user-new-key-secret').text)
        self.assertRegex(new.access_key, r'^[0-9a-f]{16}[A-Z0-9]{4}$')
        self.assertRegex(new.secret_key, r'^[A-Za-z0-9]{40}$')
        self.assertIn('Copy the secret now: it is not shown again.', self.element('user-new-key').text)
        self.wait_for(lambda d: sorted(self.key_rows()) == sorted([creds.access_key, new.access_key]),
                      'the new key is not listed')
        self.assertEqual(self.s3_status(new), 200, 'the new key pair works')
        self.assertNotIn(creds.secret_key, self.driver.page_source)
        self.element('user-new-key-done').click()
        self.assertEqual(self.element('user-new-key-secret').text, '')
        self.assertFalse(self.element('user-new-key').is_displayed())
        for secret in (creds.secret_key, new.secret_key):
            self.assertNotIn(secret, self.driver.page_source, 'Done leaves no secret in the page')

        # Revoke: a first press asks, a second revokes; the key is refused after.
        self.press_revoke(new.access_key)
        self.assertEqual(self.driver.execute_script(
            'return document.querySelector(\'#keys-table tr[data-access-key="\' + arguments[0] + \'"] button\')'
            '.textContent', new.access_key), f'Revoke {new.access_key}?')
        self.assertEqual(self.s3_status(new), 200)
        self.press_revoke(new.access_key)
        self.wait_for(lambda d: self.key_rows() == [creds.access_key], 'the revoked key is still listed')
        self.assertEqual(self.element('keys-message').text, '')
        try:
            self.gw.client(new).list_buckets()
            self.fail('a revoked key was served')
        except harness.ClientError as e:
            self.assertEqual((harness.http_status(e), harness.error_code(e)), (403, 'InvalidAccessKeyId'))
        self.assertEqual(self.s3_status(creds), 200, 'the other key still works')
        # A refusal is shown as the API gives it: the key was revoked meanwhile.
        self.assertEqual(self.admin('POST', [('ostor-users', None), ('userId', user_id),
                                             ('revokeKey', creds.access_key)])[0], 200)
        self.press_twice(f'#keys-table tr[data-access-key="{creds.access_key}"] button[data-action="revoke"]',
                         f'Revoke {creds.access_key}')
        self.wait_for(lambda d: self.element('keys-message').text, 'no refusal shown')
        self.assertEqual(self.element('keys-message').text,
                         f'user {user_id} has no access key {creds.access_key} (NoSuchAccessKey)')
        self.wait_for(lambda d: not self.key_rows() and self.element('keys-empty').is_displayed())

        # Back to the list (the browser's Back too): the keyboard on the user's link.
        self.driver.back()
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'Back did not show the list')
        self.assertFalse(self.element('user-view').is_displayed())
        self.wait_for(lambda d: d.switch_to.active_element.text == email, 'the focus is not on the user')

    def test_revoking_the_key_one_signed_in_with_signs_out(self):
        email = f'console-self-{os.urandom(3).hex()}@example.com'
        status, made = self.admin('PUT', [('ostor-users', None), ('emailAddress', email), ('system', None)])
        self.assertEqual(status, 200, made)
        key = made['AWSAccessKeys'][0]
        self.sign_in(key['AWSAccessKeyId'], key['AWSSecretAccessKey'])
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        self.driver.get(f'{self.console}#user/{made["UserId"]}')
        self.wait_for(lambda d: self.key_rows() == [key['AWSAccessKeyId']], 'the key is not listed')
        self.assertEqual(self.element('user-system').text, 'yes')
        self.press_revoke(key['AWSAccessKeyId'])
        self.assertIn('the key you are signed in with?', self.element('keys-table').text)
        self.press_revoke(key['AWSAccessKeyId'])
        self.wait_for(lambda d: self.element('sign-in-view').is_displayed(), 'still signed in')
        self.assertIn('was revoked', self.element('sign-in-error').text)
        self.assertFalse(self.element('user-view').is_displayed())
        self.assertEqual(self.admin('GET', [('ostor-users', None), ('userId', made['UserId'])])[1]['AWSAccessKeys'],
                         [])

    def press_row_twice(self, email, action):
        self.press_twice(f'#users-table tr[data-email="{email}"] button[data-action="{action}"]',
                         f'{action} of {email}')

    def account_rows(self):
        """{account: [access key ids]} as the accounts table shows them (read at once)."""
        return self.driver.execute_script(
            'const rows = {};'
            'for (const tr of document.querySelectorAll("#accounts-table tbody tr"))'
            '  rows[tr.dataset.account] = Array.from(tr.querySelectorAll(".key"), (k) => k.dataset.accessKey);'
            'return rows;')

    def press_account(self, account, action, access_key=None):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By
        where = f'#accounts-table tr[data-account="{account}"]'
        if access_key:
            where += f' .key[data-access-key="{access_key}"]'

        def click(driver):
            try:
                driver.find_element(By.CSS_SELECTOR, f'{where} button[data-action="{action}"]').click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait_for(click, f'no {action} button for {account} {access_key or ""}')

    def new_account_key(self, account):
        """The key pair the page shows once, after it is shown for `account`."""
        self.wait_for(lambda d: self.element('account-new-key').is_displayed(),
                      'no new key pair shown: ' + self.element('accounts-message').text)
        self.assertEqual(self.driver.switch_to.active_element, self.element('account-new-key'))
        self.assertEqual(self.element('account-new-key-account').text, account)
        self.assertIn('Copy the secret now: it is not shown again.', self.element('account-new-key').text)
        key = harness.Credentials(self.element('account-new-key-access-key').text,
                                  self.element('account-new-key-secret').text)
        self.assertRegex(key.access_key, r'^[0-9a-f]{16}[A-Z0-9]{4}$')
        self.assertRegex(key.secret_key, r'^[A-Za-z0-9]{40}$')
        return key

    def test_a_users_accounts_and_their_key_pairs(self):
        email = f'console-accounts-{os.urandom(3).hex()}@example.com'
        creds = self.gw.create_user(email)
        user_id = self.user_id(email)
        self.open_user_page(email)
        self.wait_for(lambda d: self.element('accounts-empty').is_displayed(), 'no "no account" shown')

        # Created: its first key pair shown once, listed by id, and it works.
        self.type_into('new-account-name', 'projects')
        self.element('create-account-submit').click()
        first = self.new_account_key('projects')
        self.wait_for(lambda d: self.account_rows() == {'projects': [first.access_key]}, 'the account is not listed')
        self.assertEqual(self.element('new-account-name').get_attribute('value'), '')
        bucket = f'console-account-{os.urandom(3).hex()}'
        self.gw.client(first).create_bucket(Bucket=bucket)
        self.element('account-new-key-done').click()
        self.assertFalse(self.element('account-new-key').is_displayed())
        self.assertNotIn(first.secret_key, self.driver.page_source, 'Done leaves no secret in the page')

        # Refusals as the API gives them, nothing made: the same name again, a
        # name the API refuses; an empty name is refused by the page.
        for name, code in (('projects', 'AccountAlreadyExists'), ('no/slash', 'InvalidArgument')):
            self.type_into('new-account-name', name)
            self.element('create-account-submit').click()
            self.wait_for(lambda d: self.element('accounts-message').text.endswith(f'({code})'),
                          f'no {code} shown: {self.element("accounts-message").text!r}')
        self.type_into('new-account-name', ' ')
        self.element('create-account-submit').click()
        self.wait_for(lambda d: self.element('accounts-message').text == 'An account needs a name.')
        self.assertEqual(self.account_rows(), {'projects': [first.access_key]})
        self.assertEqual([a['Name'] for a in self.admin('GET', [('ostor-accounts', None), ('userId', user_id)])[1]],
                         ['projects'])

        # A second key pair generated, then revoked (a first press asks).
        self.press_account('projects', 'generate-key')
        second = self.new_account_key('projects')
        self.wait_for(lambda d: sorted(self.account_rows()['projects']) == sorted([first.access_key,
                                                                                   second.access_key]))
        self.assertEqual(self.s3_status(second), 200)
        self.press_account('projects', 'revoke-key', second.access_key)
        self.assertEqual(self.driver.execute_script(
            'return document.querySelector(\'#accounts-table .key[data-access-key="\' + arguments[0] + \'"] button\')'
            '.textContent', second.access_key), f'Revoke {second.access_key}?')
        self.assertEqual(self.s3_status(second), 200, 'one press revokes nothing')
        self.press_account('projects', 'revoke-key', second.access_key)
        self.wait_for(lambda d: self.account_rows() == {'projects': [first.access_key]}, 'the key is still listed')
        self.assertEqual(self.s3_status(second), 403)
        self.assertEqual(self.s3_status(first), 200, 'the other key still works')
        self.assertEqual(self.s3_status(creds), 200, "the user's own key is not the account's")

        # Deleting an account that owns a bucket is refused as the API refuses it.
        refused = self.admin('DELETE', [('ostor-accounts', None), ('userId', user_id), ('accountName', 'projects')])
        self.assertEqual(refused[0], 409, refused)
        self.press_account('projects', 'delete')
        self.assertEqual(self.account_rows(), {'projects': [first.access_key]}, 'one press deletes nothing')
        self.press_account('projects', 'delete')
        self.wait_for(lambda d: self.element('accounts-message').text, 'no refusal shown')
        self.assertEqual(self.element('accounts-message').text, f'{refused[1]["Message"]} ({refused[1]["Code"]})')
        self.assertEqual(self.account_rows(), {'projects': [first.access_key]})

        # Its bucket gone, it is deleted, and its key with it.
        self.gw.client(first).delete_bucket(Bucket=bucket)
        self.press_twice('#accounts-table tr[data-account="projects"] button[data-action="delete"]',
                         'Delete of account projects')
        self.wait_for(lambda d: not self.account_rows() and self.element('accounts-empty').is_displayed(),
                      'the account is still listed: ' + self.element('accounts-message').text)
        self.assertEqual(self.element('accounts-message').text, '')
        self.assertEqual(self.s3_status(first), 403)
        self.assertEqual(self.admin('GET', [('ostor-accounts', None), ('userId', user_id)]), (200, []))

    def test_a_users_limits_and_quota_set_read_back_and_refused(self):
        email = f'console-limits-{os.urandom(3).hex()}@example.com'
        status, made = self.admin('PUT', [('ostor-users', None), ('emailAddress', email)])
        self.assertEqual(status, 200, made)
        user = [('userId', made['UserId'])]
        limits = lambda: self.admin('GET', [('ostor-limits', None)] + user)[1]  # noqa: E731
        quota = lambda: self.admin('GET', [('ostor-quotas', None)] + user)[1]['size']  # noqa: E731
        # What the API has is what the form shows.
        self.assertEqual(self.admin('PUT', [('ostor-limits', None)] + user + [
            ('limit-type', 'ops'), ('limit-resource', 'list'), ('limit-value', '7')])[0], 200)
        self.open_user_page(email)
        self.wait_for(lambda d: self.limit_values()['ops:list'] == '7.00', 'the limits are not read')
        self.assertEqual(self.limit_values(), limits())
        self.assertEqual(self.element('quota-size').get_attribute('value'), '0')

        # Set two limits and a quota: read back through the API.
        self.type_into('limit-ops-get', '12.5')
        self.type_into('limit-bandwidth-out', '2048')
        self.element('limits-set').click()
        self.wait_for(lambda d: self.element('limits-status').text == 'Limits set.',
                      'not set: ' + self.element('limits-message').text)
        want = {**{name: '0.00' for name in LIMITS}, 'ops:list': '7.00', 'ops:get': '12.50', 'bandwidth:out': '2048'}
        self.assertEqual(limits(), want)
        self.wait_for(lambda d: self.limit_values() == want, 'the form does not show what is set')
        self.type_into('quota-size', '3')
        self.element('quota-set').click()
        self.wait_for(lambda d: self.element('quota-status').text == 'Quota set.',
                      'not set: ' + self.element('quota-message').text)
        self.assertEqual(quota(), '3')

        # Refused by the API: its message shown, nothing changed (ops:get,
        # set before the refused bandwidth, is set back).
        self.type_into('limit-ops-get', '20')
        self.type_into('limit-bandwidth-out', '1.5')
        self.element('limits-set').click()
        self.wait_for(lambda d: self.element('limits-message').text, 'no refusal shown')
        self.assertEqual(self.element('limits-message').text,
                         "bandwidth:out: invalid limit value '1.5' (expected a non-negative integer) (InvalidArgument)")
        self.assertEqual(limits(), want)
        self.wait_for(lambda d: self.limit_values() == want, 'the form does not show what is in force')
        self.type_into('limit-ops-put', '0.001')
        self.element('limits-set').click()
        self.wait_for(lambda d: 'smallest rate' in self.element('limits-message').text, 'no refusal shown')
        self.assertEqual(self.element('limits-message').text,
                         "ops:put: ops limit '0.001' is below the smallest rate, 0.01 ops/s (InvalidArgument)")
        self.assertEqual(limits(), want)
        self.type_into('quota-size', '1.5')
        self.element('quota-set').click()
        self.wait_for(lambda d: self.element('quota-message').text, 'no refusal shown')
        self.assertEqual(self.element('quota-message').text,
                         "invalid quota size '1.5' (expected a whole number of GiB) (InvalidArgument)")
        self.assertEqual(quota(), '3')
        self.wait_for(lambda d: self.element('quota-size').get_attribute('value') == '3')
        # Not a number at all: refused in the page, nothing sent.
        self.type_into('quota-size', 'ten')
        self.element('quota-set').click()
        self.wait_for(lambda d: self.element('quota-message').text == "'ten' is not a number.")
        self.type_into('limit-ops-default', 'fast')
        self.element('limits-set').click()
        self.wait_for(lambda d: self.element('limits-message').text == "ops:default: 'fast' is not a number.")
        self.assertEqual((limits(), quota()), (want, '3'))

        # Leaving the page once the first of two fields is set: the second is
        # refused and the first still set back. Set limits and Remove all
        # limits cannot be pressed meanwhile.
        self.driver.execute_script('''
            const fetched = window.fetch;
            window.fetch = async (url, init) => {
              const r = await fetched(url, init);
              if (init.method === 'PUT' && url.includes('ostor-limits') && !window.leftAt) {
                window.leftAt = [document.getElementById('limits-set').disabled,
                                 document.getElementById('limits-remove').disabled];
                location.hash = '#users';
              }
              return r;
            };''')
        self.type_into('limit-ops-default', '0.00')
        self.type_into('limit-ops-get', '20')
        self.type_into('limit-bandwidth-out', '1.5')
        self.element('limits-set').click()
        self.wait_for(lambda d: d.execute_script('return window.leftAt'), 'no limit set')
        self.assertEqual(self.driver.execute_script('return window.leftAt'), [True, True])
        self.wait_for(lambda d: limits() == want, 'ops:get, set before the refusal, was not set back')
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'the page was not left')
        self.driver.back()
        self.wait_for(lambda d: self.limit_values() == want, 'the form does not show what is in force')
        self.assertFalse(self.element('limits-set').get_property('disabled'))
        self.assertFalse(self.element('limits-remove').get_property('disabled'))

        # Remove: the API has none left, the form shows it.
        self.element('limits-remove').click()
        self.wait_for(lambda d: self.element('limits-status').text == 'Limits removed.')
        self.assertEqual(limits(), {name: '0.00' if name.startswith('ops') else '0' for name in LIMITS})
        self.wait_for(lambda d: self.limit_values() == limits(), 'the form does not show the limits removed')
        self.element('quota-remove').click()
        self.wait_for(lambda d: self.element('quota-status').text == 'Quota removed.')
        self.assertEqual(quota(), '0')
        self.assertEqual(self.element('quota-size').get_attribute('value'), '0')

    def test_a_quota_read_as_0_is_not_set_unchanged_and_limits_not_read_are_not_set(self):
        email = f'console-unset-{os.urandom(3).hex()}@example.com'
        status, made = self.admin('PUT', [('ostor-users', None), ('emailAddress', email)])
        self.assertEqual(status, 200, made)
        user = [('userId', made['UserId'])]
        self.assertEqual(self.admin('PUT', [('ostor-quotas', None), ('default', 'user'), ('quota-size', '5')])[0], 200)
        self.addCleanup(self.admin, 'DELETE', [('ostor-quotas', None), ('default', 'user')])
        self.open_user_page(email)
        self.wait_for(lambda d: self.element('quota-default').text, 'the default quota is not shown')
        self.assertEqual(self.element('quota-default').text,
                         'The default 5 GiB of users applies, unless a quota of 0 was set here.')
        self.assertEqual(self.element('quota-size').get_attribute('value'), '0')
        # Set, unchanged, sends nothing: a 0 set would switch the default off
        # (the API reads 0 for both, so the page's requests are what shows it).
        self.driver.execute_script('''
            window.sent = [];
            const fetched = window.fetch;
            window.fetch = (url, init) => {
              window.sent.push(init.method + ' ' + url);
              return fetched(url, init);
            };''')
        self.element('quota-set').click()
        self.wait_for(lambda d: self.element('quota-status').text == 'Nothing changed.')
        self.assertEqual(self.driver.execute_script('return window.sent'), [])

        # The limits not read (the user deleted meanwhile): Set limits sends nothing.
        self.wait_for(lambda d: self.limit_values()['ops:get'] == '0.00', 'the limits are not read')
        self.assertEqual(self.admin('DELETE', [('ostor-users', None)] + user)[0], 200)
        self.element('limits-remove').click()
        self.wait_for(lambda d: 'reload the page' in self.element('limits-message').text, 'no read failure shown')
        self.assertIn('(NoSuchUser)', self.element('limits-message').text)
        self.assertEqual(self.driver.execute_script('return window.sent.map((s) => s.split(" ")[0])'),
                         ['DELETE', 'GET'], 'the requests the page sends are seen')
        self.driver.execute_script('window.sent = []')
        self.type_into('limit-ops-get', '4')
        self.element('limits-set').click()
        self.wait_for(lambda d: self.element('limits-message').text ==
                      'The limits were not read: reload the page before setting them.')
        self.assertEqual(self.driver.execute_script('return window.sent'), [])

    def test_a_buckets_and_the_defaults_limits_and_quota(self):
        from selenium.webdriver.common.by import By
        email = f'console-bucket-{os.urandom(3).hex()}@example.com'
        creds = self.gw.create_user(email)
        user_id = self.user_id(email)
        bucket = harness.unique_bucket('console-limits')
        self.gw.client(creds).create_bucket(Bucket=bucket)
        self.addCleanup(self.gw.client(creds).delete_bucket, Bucket=bucket)
        on_bucket = [('bucket', bucket)]
        limits = lambda: self.admin('GET', [('ostor-limits', None)] + on_bucket)[1]  # noqa: E731
        quota = lambda target: self.admin('GET', [('ostor-quotas', None)] + target)[1]['size']  # noqa: E731

        # The user's page lists its buckets; one opens the bucket's page.
        self.open_user_page(email)
        self.wait_for(lambda d: d.execute_script(
            'return Array.from(document.querySelectorAll("#buckets-table tbody tr"), (tr) => tr.dataset.bucket)')
            == [bucket], 'the bucket is not listed')
        self.driver.find_element(By.CSS_SELECTOR, f'#buckets-table tr[data-bucket="{bucket}"] a').click()
        self.wait_for(lambda d: self.element('user-title').text == f'Bucket {bucket}', 'the bucket page did not open')
        self.wait_for(lambda d: self.element('bucket-owner').text == user_id, 'no owner shown')
        self.assertFalse(self.element('keys-card').is_displayed())
        self.wait_for(lambda d: self.limit_values()['ops:put'] == '0.00', 'the limits are not read')
        self.type_into('limit-ops-put', '3')
        self.element('limits-set').click()
        self.wait_for(lambda d: self.element('limits-status').text == 'Limits set.',
                      'not set: ' + self.element('limits-message').text)
        self.assertEqual(limits()['ops:put'], '3.00')
        self.type_into('quota-size', '2')
        self.element('quota-set').click()
        self.wait_for(lambda d: self.element('quota-status').text == 'Quota set.',
                      'not set: ' + self.element('quota-message').text)
        self.assertEqual(quota(on_bucket), '2')
        self.type_into('quota-size', '-1')
        self.element('quota-set').click()
        self.wait_for(lambda d: self.element('quota-message').text, 'no refusal shown')
        self.assertEqual(self.element('quota-message').text,
                         "invalid quota size '-1' (expected a whole number of GiB) (InvalidArgument)")
        self.assertEqual(quota(on_bucket), '2')
        # Back to the owner's page.
        self.element('back-link').click()
        self.wait_for(lambda d: self.element('user-title').text == email, 'not back at the owner')

        # The defaults: a quota each for users and buckets, no limits (the API has none).
        for kind, size in (('user', '500'), ('bucket', '40')):
            self.addCleanup(self.admin, 'DELETE', [('ostor-quotas', None), ('default', kind)])
            self.element('nav-defaults' if kind == 'user' else 'default-bucket-link').click()
            title = f'Default quota of {kind}s'
            self.wait_for(lambda d: self.element('user-title').text == title, f'no page {title}')
            self.assertFalse(self.element('limits-form').is_displayed())
            self.assertFalse(self.element('user-details').is_displayed())
            self.wait_for(lambda d: self.element('quota-size').get_attribute('value') == '0', 'the quota is not read')
            self.type_into('quota-size', size)
            self.element('quota-set').click()
            self.wait_for(lambda d: self.element('quota-status').text == 'Quota set.',
                          'not set: ' + self.element('quota-message').text)
            self.assertEqual(quota([('default', kind)]), size)
        self.assertEqual(self.element('nav-defaults').get_attribute('aria-current'), 'page')
        self.element('quota-remove').click()
        self.wait_for(lambda d: self.element('quota-status').text == 'Quota removed.')
        self.assertEqual((quota([('default', 'bucket')]), quota([('default', 'user')])), ('0', '500'))
        self.element('nav-users').click()
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'the users list is not shown')
        self.assertIsNone(self.element('nav-defaults').get_attribute('aria-current'))

if __name__ == '__main__':
    harness.main()
