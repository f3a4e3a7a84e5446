"""The console's Health page (gateway-lite/console/health.js) in headless
Chromium against a live gateway: the page reads the admin listener's
/metrics every 5 s (the test asserts that interval was asked for, and runs
the timer at FAST_MS instead), and boto3 traffic (successes, NoSuchKey,
requests throttled by a user's ops limit) moves its figures. What the page
plotted is checked against the /metrics texts it read (parsed here, on
their own) and those against the test's own readings of /metrics before and
after the traffic; then a restart of the gateway shows failed readings
(refused, then never answered by a listener that takes connections: given
up after the page's request timeout, and read again) and a counter reset
without ending the page, and leaving the page stops its timer.

Needs Debian's chromium, chromium-driver and python3-selenium
(scripts/install-deps.sh): without them the suite FAILS, it does not skip.
"""

import math
import os
import re
import socket
import time

from console_common import ConsoleCase, fetch
import harness  # noqa: E402  (console_common puts it on the path)

READ_EVERY_MS = 5000  # what health.js asks for
FAST_MS = 300  # what the test runs its timer at
QUANTILES = (0.5, 0.95, 0.99)
TIMEOUT_MS = 800  # the page's request timeout while a listener never answers

# Installed before the page starts its timer: setInterval runs at FAST_MS
# whatever is asked (asked recorded), clearInterval recorded, every /metrics
# answer recorded with the Authorization it was asked with, and the values
# the requests-per-second figure took.
INSTRUMENT = '''
const fast = arguments[0];
window.intervals = []; window.cleared = []; window.metricsReads = []; window.metricsAsked = 0;
window.requestFigures = [];
const setIntervalOf = window.setInterval.bind(window);
const clearIntervalOf = window.clearInterval.bind(window);
window.setInterval = (f, ms, ...rest) => {
  const id = setIntervalOf(f, fast, ...rest);
  window.intervals.push([id, ms]);
  return id;
};
window.clearInterval = (id) => { window.cleared.push(id); return clearIntervalOf(id); };
const fetchOf = window.fetch.bind(window);
window.fetch = async (url, init) => {
  const metrics = String(url).startsWith('/metrics');
  if (metrics) window.metricsAsked++;
  if (metrics && window.held) await window.held;  // the test holds the readings back a moment
  const r = await fetchOf(url, init);
  if (metrics)
    window.metricsReads.push({ status: r.status, text: await r.clone().text(),
                               authorization: init.headers.Authorization });
  return r;
};
new MutationObserver(() => window.requestFigures.push(document.getElementById('health-requests').dataset.value))
  .observe(document.getElementById('health-requests'), { attributes: true, attributeFilter: ['data-value'] });
'''

SAMPLE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)$')
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"')


def counters(text):
    """What the page plots of a /metrics text, read here on its own:
    {requests, 4xx, 5xx, throttled, buckets: ((le, count), ...), s3, admin}."""
    c = {'requests': 0, '4xx': 0, '5xx': 0, 'throttled': 0, 'buckets': [], 's3': None, 'admin': None}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), dict(LABEL.findall(m.group(2) or '')), float(m.group(3))
        if name == 'ostor_requests_total':
            c['requests'] += value
            status = int(labels['status'])
            c['4xx'] += value if 400 <= status < 500 else 0
            c['5xx'] += value if 500 <= status < 600 else 0
        elif name == 'ostor_limit_refusals_total':
            c['throttled'] = value
        elif name == 'ostor_request_duration_seconds_bucket':
            c['buckets'].append((float(labels['le']), value))  # float('+Inf') is inf
        elif name == 'ostor_open_connections':
            c[labels['listener']] = value
    c['buckets'] = tuple(sorted(c['buckets']))
    return c


def counted(c):
    """What traffic moves (not the connections open)."""
    return (c['requests'], c['4xx'], c['5xx'], c['throttled'], c['buckets'])


def histogram_quantile(q, buckets):
    """Prometheus's estimate of the q quantile of cumulative buckets ((le, count), ..., (inf, total))."""
    total = buckets[-1][1]
    if total == 0:
        return None
    rank = q * total
    b = next(i for i, (_, count) in enumerate(buckets) if count >= rank)
    if b == len(buckets) - 1:
        return buckets[b - 1][0]
    end, count = buckets[b]
    start, before = (0, 0) if b == 0 else buckets[b - 1]
    return end if count == before else start + (end - start) * ((rank - before) / (count - before))


class ConsoleHealthTest(ConsoleCase):

    def readings_shown(self):
        """The times (ms) of the page's readings: the points of the open connections plot."""
        plot = self.chart('health-connections-chart')
        return [x for x, _ in plot['s3 listener']] if plot else []

    def metrics(self):
        status, _, body = fetch(self.base + '/metrics')  # loopback: unsigned
        self.assertEqual(status, 200, body)
        return counters(body.decode())

    def wait_reads(self, more, after):
        """Waits until the page plotted `more` readings past `after` (a count)."""
        self.wait_for(lambda d: len(self.readings_shown()) >= after + more,
                      f'the page does not read /metrics every {FAST_MS} ms: ' + self.element('health-message').text)

    def test_health_plots_the_gateways_metrics_live(self):
        from botocore.exceptions import ClientError
        from selenium.webdriver.common.keys import Keys
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: self.rows(), 'not signed in')
        self.driver.execute_script(INSTRUMENT, FAST_MS)

        # From the keyboard: the nav's Health link, Enter.
        self.element('nav-health').send_keys(Keys.ENTER)
        self.wait_for(lambda d: self.element('health-view').is_displayed(), 'no health page')
        self.assertFalse(self.element('users-view').is_displayed())
        self.assertEqual(self.element('nav-health').get_attribute('aria-current'), 'page')
        self.assertIsNone(self.element('nav-users').get_attribute('aria-current'))
        self.assertEqual(self.driver.switch_to.active_element, self.element('health-title'))
        intervals = self.driver.execute_script('return window.intervals')
        self.assertEqual([ms for _, ms in intervals], [READ_EVERY_MS], 'the page asks for a reading every 5 s')
        timer = intervals[0][0]
        self.wait_reads(2, 0)

        # Quiet: the test's reading and the page's agree.
        before = self.metrics()
        shown = len(self.readings_shown())
        self.wait_reads(1, shown)

        # Traffic: every request counted here.
        made = {'requests': 0, '4xx': 0, '5xx': 0, 'throttled': 0}

        def s3(call, **kwargs):
            made['requests'] += 1
            try:
                return call(**kwargs)
            except ClientError as e:
                status = e.response['ResponseMetadata']['HTTPStatusCode']
                made['4xx' if status < 500 else '5xx'] += 1
                if e.response['Error']['Code'] == 'SlowDown':
                    made['throttled'] += 1
                return e.response['Error']['Code']

        email = f'console-health-{os.urandom(3).hex()}@example.com'
        creds = self.gw.create_user(email)  # made on the volume: no request
        client = self.gw.client(creds)
        self.addCleanup(client.close)
        bucket = harness.unique_bucket('console-health')
        s3(client.create_bucket, Bucket=bucket)
        for i in range(3):
            s3(client.put_object, Bucket=bucket, Key=f'k{i}', Body=os.urandom(1000 * (i + 1)))
            self.assertEqual(len(s3(client.get_object, Bucket=bucket, Key=f'k{i}')['Body'].read()), 1000 * (i + 1))
        for i in range(4):
            self.assertEqual(s3(client.get_object, Bucket=bucket, Key=f'missing{i}'), 'NoSuchKey')
        made['requests'] += 2  # the two admin calls next
        user = [('userId', self.user_id(email))]
        self.assertEqual(self.admin('PUT', [('ostor-limits', None)] + user + [
            ('limit-type', 'ops'), ('limit-resource', 'get'), ('limit-value', '1')])[0], 200)
        for _ in range(8):
            s3(client.get_object, Bucket=bucket, Key='k0')
        self.assertGreater(made['throttled'], 0, 'an ops limit of 1 get/s throttles 8 gets in a row')

        # A request is counted just after its answer is sent: the last one
        # may come a moment after the client has its answer.
        deadline = time.monotonic() + 10
        while True:
            after = self.metrics()
            if after['requests'] - before['requests'] >= made['requests'] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        for name in ('requests', '4xx', '5xx', 'throttled'):
            self.assertEqual(after[name] - before[name], made[name], f'/metrics counts {name} as made')
        shown = len(self.readings_shown())
        self.wait_reads(2, shown)

        # What the page read and plotted, taken at once (no reading drawn
        # in between); a reading read but not yet drawn is left out.
        plots, reads = self.driver.execute_script(
            'const plot = (name) => Object.fromEntries(Chart.getChart(document.getElementById(`health-${name}-chart`))'
            '  .data.datasets.map((d) => [d.label, d.data.map((p) => [p.x, p.y])]));'
            'return [Object.fromEntries(arguments[0].map((name) => [name, plot(name)])), window.metricsReads];',
            ['requests', 'errors', 'throttled', 'latency', 'connections'])
        xs = [x for x, _ in plots['connections']['s3 listener']]
        self.assertTrue(all(r['status'] == 200 for r in reads), [r['status'] for r in reads])
        for r in reads:
            self.assertTrue(r['authorization'].startswith(f'AWS4-HMAC-SHA256 Credential={self.gw.access_key}/'),
                            'signed as the admin calls are')
        read = [counters(r['text']) for r in reads[:len(xs)]]
        self.assertEqual(len(read), len(xs))
        # The page read what the test read, before and after the traffic.
        first = next(i for i, c in enumerate(read) if counted(c) == counted(before))
        last = next(i for i, c in enumerate(read) if counted(c) == counted(after))
        self.assertGreater(last, first)
        self.assertEqual(counted(read[-1]), counted(after), 'nothing more was answered')

        # Each interval's point, from the two readings around it.
        self.assertEqual([x for x, _ in plots['requests']['requests']], xs[1:])
        series = {'requests': plots['requests']['requests'], '4xx': plots['errors']['4xx'],
                  '5xx': plots['errors']['5xx'], 'throttled': plots['throttled']['throttled (503 SlowDown)']}
        for i in range(1, len(xs)):
            seconds = (xs[i] - xs[i - 1]) / 1000
            for name, points in series.items():
                self.assertEqual(points[i - 1][1], (read[i][name] - read[i - 1][name]) / seconds, (name, i))
            deltas = [(le, n - dict(read[i - 1]['buckets'])[le]) for le, n in read[i]['buckets']]
            for q, label in zip(QUANTILES, ('p50', 'p95', 'p99')):
                want = histogram_quantile(q, deltas)
                got = plots['latency'][label][i - 1][1]
                if want is None:
                    self.assertIsNone(got, (label, i))
                else:
                    self.assertTrue(math.isclose(got, want * 1000, rel_tol=1e-12), (label, i, got, want))
            self.assertEqual(plots['connections']['s3 listener'][i][1], read[i]['s3'])
            self.assertEqual(plots['connections']['admin listener'][i][1], read[i]['admin'])
        # The plotted rates over the traffic add up to what /metrics counted.
        for name, points in series.items():
            total = sum(points[i - 1][1] * (xs[i] - xs[i - 1]) / 1000 for i in range(first + 1, last + 1))
            self.assertEqual(round(total), made[name], name)
        latencies = [y for _, y in plots['latency']['p99'][first:last] if y is not None]
        self.assertTrue(latencies, 'the requests answered have a latency plotted')
        self.assertTrue(all(c['s3'] is not None and c['admin'] is not None for c in read), 'no open connections gauge')
        self.assertGreaterEqual(max(read[i]['s3'] for i in range(first, last + 1)), 1, 'boto3 keeps a connection')

        # The figures beside the plots: they moved, and now say the last interval's.
        figures = self.driver.execute_script('return window.requestFigures')
        self.assertTrue(any(v and float(v) > 0 for v in figures), figures)
        self.assertEqual(self.element('health-requests').get_attribute('data-value'), '0')
        self.assertEqual(self.element('health-requests').text, '0/s')
        self.assertEqual(self.element('health-p50').text, '—', 'no request in the last interval')
        self.wait_for(lambda d: self.element('health-connections-s3').text != '—', 'no connections figure')
        self.assertRegex(self.element('health-status').text,
                         rf'^Last reading \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. Since the gateway started: '
                         rf'{int(after["requests"]):,} requests answered, {int(after["4xx"]):,} 4xx, '
                         rf'{int(after["5xx"]):,} 5xx, {int(after["throttled"]):,} throttled\.$')
        self.assertEqual(self.element('health-message').text, '')

        # The gateway stopped: the readings fail, said on the page, which
        # goes on trying; started again (same admin port), its counters start
        # from nothing and its start time is another: no rate across the
        # restart, and plotting resumes.
        port = self.base.rsplit(':', 1)[1]
        self.gw.extra_args = ['--admin-listen', f'127.0.0.1:{port}']
        self.gw.stop(keep_dir=True)
        self.wait_for(lambda d: 'Reading /metrics failed' in self.element('health-message').text,
                      'a failed reading is not shown')
        self.assertIn('trying again in 5 s', self.element('health-message').text)
        asked = self.driver.execute_script('return window.metricsAsked')
        self.wait_for(lambda d: self.driver.execute_script('return window.metricsAsked') > asked, 'not tried again')
        self.assertTrue(self.chart('health-requests-chart'), 'the plots stay')
        shown = len(self.readings_shown())  # all before the stop
        # A listener on the port that takes connections and never answers:
        # each reading gives up after the page's timeout (shortened here to
        # TIMEOUT_MS), is said as failed, and the next is made.
        self.driver.execute_script('localStorage.setItem("ostor-console-request-timeout-ms", arguments[0])',
                                   str(TIMEOUT_MS))
        with socket.socket() as silent:
            silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            silent.bind(('127.0.0.1', int(port)))
            silent.listen(64)
            self.wait_for(lambda d: 'did not answer within' in self.element('health-message').text,
                          'a reading that is never answered is not given up')
            self.assertRegex(self.element('health-message').text,
                             rf'^Reading /metrics failed at .* UTC: The gateway did not answer within '
                             rf'{TIMEOUT_MS / 1000} s\. \(Timeout\); trying again in 5 s\.$')
            asked = self.driver.execute_script('return window.metricsAsked')
            self.wait_for(lambda d: self.driver.execute_script('return window.metricsAsked') >= asked + 2,
                          'the readings stopped at one never answered')
            self.assertEqual(len(self.readings_shown()), shown)
        self.driver.execute_script('localStorage.removeItem("ostor-console-request-timeout-ms")')
        # Started again with the page's readings held back (in the test's
        # fetch) until the new gateway has answered more requests of every
        # kind plotted than the old one had: its start time alone tells the
        # restart.
        self.driver.execute_script('window.held = new Promise((resolve) => { window.release = resolve; })')
        self.gw.start()
        last = counters(self.driver.execute_script('return window.metricsReads.at(-1).text'))
        client = self.gw.client(creds)
        self.addCleanup(client.close)
        deadline = time.monotonic() + 10
        while True:
            now = self.metrics()
            if all(now[k] > last[k] for k in ('requests', '4xx', '5xx', 'throttled')):
                break
            self.assertLess(time.monotonic(), deadline, f'the new gateway counts {now}, the old {last}')
            if now['4xx'] <= last['4xx'] or now['requests'] <= last['requests']:
                for _ in range(10):  # 404 NoSuchBucket, not a get: no ops limit
                    s3(client.put_object, Bucket=bucket + '-missing', Key='k', Body=b'x')
            for _ in range(4):  # the ops limit of 1 get/s kept: 503 SlowDown
                s3(client.get_object, Bucket=bucket, Key='k0')
        read_before = self.driver.execute_script('window.held = null; window.release(); return window.metricsReads.length')
        self.wait_reads(2, shown)
        first = counters(self.driver.execute_script('return window.metricsReads[arguments[0]].text', read_before))
        self.assertTrue(all(first[k] > last[k] for k in ('requests', '4xx', '5xx', 'throttled')), (first, last))
        self.wait_for(lambda d: self.element('health-message').text == '', 'the failure is still shown')
        plot = self.chart('health-requests-chart')['requests']
        # The point of the first reading after the restart: none.
        self.assertIsNone(plot[shown - 1][1], 'no rate across the restart')
        self.assertIsNotNone(plot[-1][1])

        # Leaving the page (Users, from the keyboard) stops its timer.
        self.element('nav-users').send_keys(Keys.ENTER)
        self.wait_for(lambda d: self.element('users-view').is_displayed(), 'the users list is not shown')
        self.assertFalse(self.element('health-view').is_displayed())
        self.assertIn(timer, self.driver.execute_script('return window.cleared'))
        asked = self.driver.execute_script('return window.metricsAsked')
        time.sleep(5 * FAST_MS / 1000)
        self.assertEqual(self.driver.execute_script('return window.metricsAsked'), asked, 'read after leaving')
        self.assertIsNone(self.chart('health-requests-chart'))


if __name__ == '__main__':
    harness.main()
