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
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'gateway'))

import harness  # noqa: E402
from harness import Gateway  # noqa: E402

CHROMIUM = os.environ.get('OSTOR_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('OSTOR_CHROMEDRIVER', '/usr/bin/chromedriver')
WAIT_S = 20


def browser_missing():
    """What is missing to drive the browser, or None."""
    missing = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append(f'python3-selenium (no module selenium in {sys.executable})')
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f'chromium ({CHROMIUM})')
    if not os.access(CHROMEDRIVER, os.X_OK):
        missing.append(f'chromium-driver ({CHROMEDRIVER})')
    return ', '.join(missing) or None


def fetch(url, method='GET'):
    return fetch_with(url, method, {})


def fetch_with(url, method, headers):
    request = urllib.request.Request(url, method=method, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = browser_missing()
        if missing:
            raise RuntimeError(f'the console suite needs a browser to drive; missing: {missing} '
                               '(scripts/install-deps.sh installs them)')
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        cls.gw = Gateway(['--admin-listen', '127.0.0.1:0']).start()
        cls.addClassCleanup(cls.gw.stop)
        deadline = time.monotonic() + 10
        while True:
            lines = [line for line in cls.gw.stdout_lines if line.startswith('ostor-gateway: web console on ')]
            if lines:
                cls.console = lines[0].split(' on ', 1)[1].strip()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f'the gateway printed no console URL: {cls.gw.stdout_lines!r}')
            time.sleep(0.05)
        cls.base = cls.console[:-len('/console/')]

        profile = tempfile.mkdtemp(prefix='ostor-console-chromium-')
        cls.addClassCleanup(shutil.rmtree, profile, True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                    '--window-size=1366,900', f'--user-data-dir={profile}', '--no-first-run'):
            options.add_argument(arg)
        cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.addClassCleanup(cls.driver.quit)

    # ---- the page ----------------------------------------------------------
    def setUp(self):
        self.driver.get(self.console)
        self.driver.execute_script('sessionStorage.clear()')
        self.driver.get(self.console)
        self.wait_for(lambda d: d.execute_script('return document.body.dataset.ready') == 'true')
        self.assertTrue(self.element('sign-in-view').is_displayed())

    def wait_for(self, condition, message=''):
        # The table is drawn again after each change: an element read while
        # that happens is stale, and read again at the next poll.
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.driver, WAIT_S, ignored_exceptions=[StaleElementReferenceException]).until(
            condition, message)

    def element(self, element_id):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.ID, element_id)

    def type_into(self, element_id, text):
        field = self.element(element_id)
        field.clear()
        field.send_keys(text)

    def sign_in(self, access_key, secret):
        self.type_into('access-key', access_key)
        self.type_into('secret-key', secret)
        self.element('sign-in-button').click()

    def sign_in_refused(self, access_key, secret):
        self.sign_in(access_key, secret)
        self.wait_for(lambda d: self.element('sign-in-error').text, 'no sign-in error shown')
        self.assertFalse(self.element('users-view').is_displayed())
        self.assertIsNone(self.driver.execute_script('return sessionStorage.getItem("ostor-console-session")'))
        return self.element('sign-in-error').text

    def rows(self):
        """The emails of the rows shown, in order (read at once: no stale rows)."""
        return self.driver.execute_script(
            'return Array.from(document.querySelectorAll("#users-table tbody tr"), (tr) => tr.dataset.email)')

    def row_cell(self, email, name):
        return self.driver.execute_script(
            'const tr = Array.from(document.querySelectorAll("#users-table tbody tr"))'
            '.find((tr) => tr.dataset.email === arguments[0]);'
            'return tr ? tr.querySelector("td." + arguments[1]).textContent : null;', email, name)

    def wait_row(self, email, present=True):
        self.wait_for(lambda d: (email in self.rows()) == present,
                      f'{email} {"not listed" if present else "still listed"}')

    def press(self, email, action):
        """Clicks the row's button as a user does (found again if the table was redrawn)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def click(driver):
            try:
                driver.find_element(By.CSS_SELECTOR,
                                    f'#users-table tr[data-email="{email}"] button[data-action="{action}"]').click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait_for(click, f'no {action} button for {email}')

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
        self.press(email, 'delete')
        self.press(email, 'delete')
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
        self.press(email, 'disable')
        self.press(email, 'disable')
        self.wait_for(lambda d: self.row_cell(email, 'state') == 'disabled', 'not shown disabled')
        self.press(email, 'delete')
        self.press(email, 'delete')
        self.wait_row(email, present=False)
        self.assertEqual(self.element('users-message').text, '')
        from botocore.awsrequest import AWSRequest
        url = f'{self.base}/?' + harness.query([('ostor-users', None), ('emailAddress', email)])
        request = AWSRequest(method='GET', url=url, headers={'Host': self.base.split('://', 1)[1]})
        harness.SigV4(self.gw.credentials).add_auth(request)
        status, _, body = fetch_with(url, 'GET', dict(request.headers.items()))
        self.assertEqual(status, 404, body)


if __name__ == '__main__':
    harness.main()
