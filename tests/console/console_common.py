"""What the console's suites share: a live gateway with --admin-listen (and
the gw.conf a suite asks for), headless Chromium driven by Selenium (with a
download directory), sign-in, the users list and a user's page, and admin
API calls signed as any client signs them.

With OSTOR_TEST_BACKEND=rados (console-on-rados, under
tests/rados/run_with_cluster.sh) the gateway is on a fresh namespace of the
throwaway cluster, its gw.conf in its state directory (harness.Gateway); a
restart keeps the same volume.

Needs Debian's chromium, chromium-driver and python3-selenium
(scripts/install-deps.sh): without them the suites FAIL, they do not skip.
"""

import importlib.util
import json
import os
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
# The limits ?ostor-limits gives for a user, as it names them.

def browser_missing():
    """What is missing to drive the browser, or None."""
    missing = []
    if importlib.util.find_spec('selenium') is None:
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


class ConsoleCase(unittest.TestCase):
    """A suite's gateway and browser, made once for its tests."""
    # What the gateway's <data>/gw.conf says, when a suite needs one.
    gw_conf = None

    @classmethod
    def setUpClass(cls):
        missing = browser_missing()
        if missing:
            raise RuntimeError(f'the console suite needs a browser to drive; missing: {missing} '
                               '(scripts/install-deps.sh installs them)')
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        cls.gw = Gateway(['--admin-listen', '127.0.0.1:0'])
        if cls.gw_conf is not None:
            os.makedirs(cls.gw.own_files_dir)
            with open(os.path.join(cls.gw.own_files_dir, 'gw.conf'), 'w') as f:
                f.write(cls.gw_conf)
        cls.gw.start()
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
        # Where the browser saves what the pages offer to download.
        cls.downloads = tempfile.mkdtemp(prefix='ostor-console-downloads-')
        cls.addClassCleanup(shutil.rmtree, cls.downloads, True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                    '--window-size=1366,900', f'--user-data-dir={profile}', '--no-first-run'):
            options.add_argument(arg)
        options.add_experimental_option('prefs', {'download.default_directory': cls.downloads,
                                                  'download.prompt_for_download': False})
        cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.addClassCleanup(cls.driver.quit)
        cls.driver.execute_cdp_cmd('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': cls.downloads})

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
        # Polled every 0.1 s, not WebDriverWait's 0.5: the page answers in milliseconds.
        return WebDriverWait(self.driver, WAIT_S, poll_frequency=0.1,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition, message)

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

    def rows(self):
        """The emails of the rows shown, in order (read at once: no stale rows)."""
        return self.driver.execute_script(
            'return Array.from(document.querySelectorAll("#users-table tbody tr"), (tr) => tr.dataset.email)')

    def sign_in_refused(self, access_key, secret):
        self.sign_in(access_key, secret)
        self.wait_for(lambda d: self.element('sign-in-error').text, 'no sign-in error shown')
        self.assertFalse(self.element('users-view').is_displayed())
        self.assertIsNone(self.driver.execute_script('return sessionStorage.getItem("ostor-console-session")'))
        return self.element('sign-in-error').text

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

    def chart(self, canvas_id):
        """What the Chart drawn on the canvas holds: {label: [[x, y], ...]}, in its order; None without one."""
        datasets = self.driver.execute_script(
            'const chart = Chart.getChart(document.getElementById(arguments[0]));'
            'return chart ? chart.data.datasets.map((d) => [d.label, d.data.map((p) => [p.x, p.y])]) : null;',
            canvas_id)
        return None if datasets is None else dict(datasets)

    def press_twice(self, selector, what):
        """Presses the button at `selector` until it asks, then once more (a
        confirmed action). A press whose button was drawn again meanwhile
        (the table redrawn after an earlier answer, which also takes the
        question back) starts over on the new button."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def asking(button):
            return 'confirm' in (button.get_attribute('class') or '').split()

        def press(driver):
            try:
                button = driver.find_element(By.CSS_SELECTOR, selector)
                if not asking(button):
                    button.click()
                if not asking(button):
                    return False
                button.click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait_for(press, f'could not press {what} twice')

    def admin(self, method, params):
        """A REST admin API call signed by the gateway's system user, as any client makes it: (status, JSON)."""
        from botocore.awsrequest import AWSRequest
        url = f'{self.base}/?' + harness.query(params)
        request = AWSRequest(method=method, url=url, headers={'Host': self.base.split('://', 1)[1]})
        harness.SigV4(self.gw.credentials).add_auth(request)
        status, _, body = fetch_with(url, method, dict(request.headers.items()))
        return status, json.loads(body) if body.strip() else None

    def user_id(self, email):
        status, info = self.admin('GET', [('ostor-users', None), ('emailAddress', email)])
        self.assertEqual(status, 200, info)
        return info['UserId']

    def open_user_page(self, email):
        """Signs in, finds `email` and opens its page from the keyboard (its link, Enter)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'not signed in')
        self.type_into('user-search', email)
        self.wait_for(lambda d: list(self.rows()) == [email], 'the user is not listed')
        self.driver.find_element(By.CSS_SELECTOR, f'#users-table tr[data-email="{email}"] td.email a').send_keys(
            Keys.ENTER)
        self.wait_for(lambda d: self.element('user-view').is_displayed() and self.element('user-title').text == email,
                      'the user page did not open')
        self.assertFalse(self.element('users-view').is_displayed())

