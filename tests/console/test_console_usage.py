"""The console's buckets, size history, billing figures, usage plots and CSV
export (gateway-lite/console/buckets.js, usage.js, charts.js; Chart.js
vendored in console/vendor/) in headless Chromium against a live gateway
that stores a usage statistics object every second (S3_GW_COLLECT_STAT=1,
S3_GW_STAT_PERIOD=1). The S3 traffic is boto3's; what the page shows is
checked against the admin API's and the billing API's own answers, and the
plots against the Chart instances' data in the page.

Needs Debian's chromium, chromium-driver and python3-selenium
(scripts/install-deps.sh): without them the suite FAILS, it does not skip.
"""

import csv
import hashlib
import json
import os
import time

from console_common import ConsoleCase, fetch, fetch_with
import harness  # noqa: E402  (console_common puts it on the path)

# Debian 12's libjs-chart.js 3.9.1+~0.2.1-2, /usr/share/javascript/chart.js/chart.min.js.
CHART_JS_SHA256 = 'fbc45926e6b46845a0f905552a0e0b1331049bff1115ecf94dbe0904d895e710'
CSV_HEADER = ['period_start', 'period_s', 'service_id', 'bucket', 'epoch', 'user_id', 'account',
              'put', 'get', 'list', 'other', 'bytes_in', 'bytes_out', 'stored']
CLASSES = ('put', 'get', 'list', 'other')


class UsageCase(ConsoleCase):
    """What the suites of this file share: S3 traffic, the admin API's usage rows, the page's plots."""

    def traffic(self, sizes):
        """A new user's bucket with objects of `sizes` put, read back and
        listed, and its buckets listed: (email, user id, client, bucket)."""
        email = f'console-usage-{os.urandom(3).hex()}@example.com'
        s3 = self.gw.client(self.gw.create_user(email))
        bucket = harness.unique_bucket('console-usage')
        s3.create_bucket(Bucket=bucket)
        for i, size in enumerate(sizes):
            s3.put_object(Bucket=bucket, Key=f'k{i}', Body=os.urandom(size))
            self.assertEqual(len(s3.get_object(Bucket=bucket, Key=f'k{i}')['Body'].read()), size)
        s3.list_objects_v2(Bucket=bucket)
        s3.list_buckets()
        self.addCleanup(self.empty_and_delete, s3, bucket)
        return email, self.user_id(email), s3, bucket

    def empty_and_delete(self, s3, bucket):
        for o in s3.list_objects_v2(Bucket=bucket).get('Contents', []):
            s3.delete_object(Bucket=bucket, Key=o['Key'])
        s3.delete_bucket(Bucket=bucket)

    def usage_rows(self, keep):
        """The rows of every stored statistics object whose key `keep` takes,
        as the CSV writes them (strings), in its order."""
        status, listing = self.admin('GET', [('ostor-usage', None)])
        self.assertEqual(status, 200, listing)
        self.assertFalse(listing['truncated'])
        rows = []
        for name in listing['items']:
            status, _, body = self.signed_get('/', [('ostor-usage', None), ('obj', name)])
            self.assertEqual(status, 200, body)
            doc = json.loads(body)
            service = name.split('-')[2]  # as the name spells it
            start = time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(doc['start_ts']))
            for item in doc['items']:
                k, ops, io = item['key'], item['counters']['ops'], item['counters']['net_io']
                if keep(k):
                    rows.append([start, str(doc['period']), service, k['bucket'], str(k['epoch']), k['user_id'],
                                 k['tag'], *(str(ops[c]) for c in CLASSES), str(io['uploaded']),
                                 str(io['downloaded'])])
        return sorted(rows, key=lambda r: (r[0], r[2], r[3], r[5], r[6]))

    def signed_get(self, path, params):
        from botocore.awsrequest import AWSRequest
        url = f'{self.base}{path}?' + harness.query(params)
        request = AWSRequest(method='GET', url=url, headers={'Host': self.base.split('://', 1)[1]})
        harness.SigV4(self.gw.credentials).add_auth(request)
        return fetch_with(url, 'GET', dict(request.headers.items()))

    def wait_for_usage(self, user_id):
        """Waits until the stored objects hold all of traffic()'s requests:
        its last, ListBuckets, counts under no bucket; periods are stored in
        order, each as it ends. Returns the user's rows."""
        deadline = time.monotonic() + 20
        while True:
            rows = self.usage_rows(lambda k: k['user_id'] == user_id)
            if any(r[3] == '' for r in rows):
                return rows
            self.assertLess(time.monotonic(), deadline, f'the usage objects do not hold the traffic: {rows}')
            time.sleep(0.5)

    def settled_bill(self, user_id):
        """The user's bill once its bandwidth stopped growing (the gateway adds to it every second)."""
        deadline = time.monotonic() + 20
        last = None
        while True:
            status, _, body = fetch(f'{self.base}/v1/bill/fetch?user={user_id}')  # loopback: unsigned
            self.assertEqual(status, 200, body)
            bill = json.loads(body)
            if bill == last:
                return bill
            self.assertLess(time.monotonic(), deadline, 'the bill does not settle')
            last = bill
            time.sleep(1.2)

    def bucket_cell(self, bucket, name, attribute=None):
        return self.driver.execute_script(
            'const td = document.querySelector(`#buckets-table tr[data-bucket="${arguments[0]}"] td.${arguments[1]}`);'
            'return td ? (arguments[2] ? td.dataset[arguments[2]] : td.textContent) : null;', bucket, name, attribute)

    def focused_press(self, element_id):
        """Presses Enter on the element, as the keyboard does."""
        from selenium.webdriver.common.keys import Keys
        self.element(element_id).send_keys(Keys.ENTER)


class ConsoleUsageTest(UsageCase):
    gw_conf = '# Enable usage statistics collection.\nS3_GW_COLLECT_STAT=1\nS3_GW_STAT_PERIOD=1\n'

    # ---- the vendored library ---------------------------------------------------
    def test_chart_js_is_served_from_the_gateway_with_its_licence(self):
        status, headers, body = fetch(self.base + '/console/vendor/chart.min.js')
        self.assertEqual((status, headers['Content-Type']), (200, 'text/javascript; charset=utf-8'))
        self.assertEqual(hashlib.sha256(body).hexdigest(), CHART_JS_SHA256)
        status, headers, body = fetch(self.base + '/console/vendor/LICENSE-chart.js.txt')
        self.assertEqual((status, headers['Content-Type']), (200, 'text/plain; charset=utf-8'))
        self.assertIn(b'Chart.js Contributors', body)
        self.assertIn(b'MIT License', body)
        # The page loads it from there, and nothing from another origin.
        self.assertEqual(self.driver.execute_script('return Chart.version'), '3.9.1')
        sources = self.driver.execute_script(
            'return Array.from(document.scripts, (s) => s.src).concat('
            'Array.from(document.querySelectorAll("link[href]"), (l) => l.href))')
        self.assertTrue(sources)
        for source in sources:
            self.assertTrue(source.startswith(self.console), source)

    # ---- buckets, size history, billing ---------------------------------------
    def test_a_users_buckets_with_size_objects_quota_and_size_history(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        sizes = [1000, 2500, 40000]
        email, user_id, s3, bucket = self.traffic(sizes)
        # Three more buckets, empty, and the page reading ?ostor-buckets 2
        # at a time: every page is read, and the quota of a bucket of the
        # last page too.
        more = [f'{bucket}-{c}' for c in 'abc']
        for name in more:
            s3.create_bucket(Bucket=name)
            self.addCleanup(s3.delete_bucket, Bucket=name)
        self.driver.execute_script('localStorage.setItem("ostor-console-buckets-page", "2")')
        self.addCleanup(self.driver.execute_script, 'localStorage.removeItem("ostor-console-buckets-page")')
        for name in (bucket, more[-1]):
            self.assertEqual(self.admin('PUT', [('ostor-quotas', None), ('bucket', name), ('quota-size', '1')])[0],
                             200)
        listed = self.admin('GET', [('ostor-buckets', None), ('userId', user_id)])[1]['Buckets']
        self.assertEqual([b['name'] for b in listed], [bucket] + more)
        self.assertEqual(listed[0]['size']['current'], sum(sizes))
        bill = self.settled_bill(user_id)
        self.assertEqual((bill['storage']['bytes'], bill['storage']['objects']), (sum(sizes), 3))
        self.assertGreaterEqual(bill['bandwidth']['in'], sum(sizes))
        self.assertGreaterEqual(bill['bandwidth']['out'], sum(sizes))

        self.open_user_page(email)
        self.wait_for(lambda d: self.bucket_cell(bucket, 'size', 'bytes') == str(sum(sizes)), 'no size shown')
        self.wait_for(lambda d: self.bucket_cell(bucket, 'objects', 'objects') == '3', 'no object count shown')
        self.assertEqual(self.bucket_cell(bucket, 'size'), '42.5 KiB')
        self.assertEqual(self.bucket_cell(bucket, 'owner'), user_id)
        self.assertEqual(self.bucket_cell(bucket, 'created'), listed[0]['creation_date'])
        self.wait_for(lambda d: 'of 1 GiB' in (self.bucket_cell(bucket, 'quota') or ''), 'no quota use shown')
        self.assertEqual(self.driver.execute_script(
            'return Array.from(document.querySelectorAll("#buckets-table tbody tr"), (tr) => tr.dataset.bucket)'),
            [bucket] + more, 'every page of the list read')
        self.assertEqual(self.bucket_cell(more[-1], 'quota'), '0% of 1 GiB', 'the last page\'s quota read')
        self.assertEqual(self.bucket_cell(more[0], 'quota'), 'no quota')
        self.assertEqual(self.element('buckets-status').text, '', 'every quota read: none said left out')
        meter = self.driver.find_element(By.CSS_SELECTOR, f'#buckets-table tr[data-bucket="{bucket}"] meter')
        self.assertEqual((meter.get_attribute('max'), meter.get_attribute('value')), (str(1024 ** 3), str(sum(sizes))))

        # The billing figures are the billing API's.
        self.wait_for(lambda d: self.element('bill-bytes').get_attribute('data-bytes') == str(sum(sizes)),
                      'no billing figures shown: ' + self.element('billing-message').text)
        self.assertEqual(self.element('bill-objects').text, '3')
        self.assertEqual((self.element('bill-in').get_attribute('data-bytes'),
                          self.element('bill-out').get_attribute('data-bytes')),
                         (str(bill['bandwidth']['in']), str(bill['bandwidth']['out'])))

        # Size history, from the keyboard: created empty, its size now, its peak.
        history = f'#buckets-table tr[data-bucket="{bucket}"] button[data-action="history"]'
        self.driver.find_element(By.CSS_SELECTOR, history).send_keys('\n')
        self.wait_for(lambda d: self.element('size-history-card').is_displayed(), 'no size history shown')
        self.assertEqual(self.driver.switch_to.active_element, self.element('size-history-title'))
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR, history).get_attribute('aria-expanded'), 'true')
        plot = self.chart('size-history-chart')
        self.assertEqual(set(plot), {'Size', 'Peak (hmax)'} | ({'Mean since creation'} & set(plot)))
        self.assertEqual(plot['Size'][0][1], 0, 'a bucket is created empty')
        self.assertEqual(self.driver.execute_script(
            'return Chart.getChart(document.getElementById("size-history-chart")).data.datasets.map((d) => d.stepped)'),
            ['before'] + [False] * (len(plot) - 1), 'the size a step line (held until the next point)')
        self.assertEqual(plot['Size'][-1][1], sum(sizes))
        self.assertEqual({y for _, y in plot['Peak (hmax)']}, {sum(sizes)})
        created_ms = self.driver.execute_script('return Date.parse(arguments[0])', listed[0]['creation_date'])
        self.assertEqual(plot['Size'][0][0], created_ms)

        # Smaller: read again, the new size is a new point; the peak stays.
        s3.delete_object(Bucket=bucket, Key='k2')
        self.focused_press('size-history-refresh')
        self.wait_for(lambda d: self.chart('size-history-chart')['Size'][-1][1] == sum(sizes[:2]), 'no new reading')
        plot = self.chart('size-history-chart')
        sizes_read = [y for i, (_, y) in enumerate(plot['Size']) if i == 0 or y != plot['Size'][i - 1][1]]
        self.assertEqual(sizes_read, [0, sum(sizes), sum(sizes[:2])])
        self.assertEqual({y for _, y in plot['Peak (hmax)']}, {sum(sizes)})
        self.wait_for(lambda d: self.bucket_cell(bucket, 'objects', 'objects') == '2', 'the count is not read again')
        self.assertEqual(self.element('history-peak').text, '42.5 KiB')
        # The list drawn again (as every 30 s while a history is shown): the
        # keyboard stays on the button it was on.
        self.driver.execute_script('document.querySelector(arguments[0]).focus()', history)
        points = len(self.chart('size-history-chart')['Size'])
        self.driver.execute_script('document.getElementById("buckets-refresh").click()')  # leaves the focus
        self.wait_for(lambda d: len(self.chart('size-history-chart')['Size']) > points, 'not read again')
        self.assertEqual(self.driver.switch_to.active_element, self.driver.find_element(By.CSS_SELECTOR, history))

        # The bucket's page: its details and its size history. Its reading
        # every 30 s comes every second here: the page's timers are made
        # 30 times quicker (each one's asked interval recorded).
        self.driver.execute_script(
            'window.intervalsAsked = []; const setIntervalOf = window.setInterval;'
            'window.setInterval = (f, ms, ...rest) => { window.intervalsAsked.push(ms);'
            ' return setIntervalOf(f, ms / 30, ...rest); };')
        self.driver.find_element(By.CSS_SELECTOR, f'#buckets-table tr[data-bucket="{bucket}"] a').send_keys('\n')
        self.wait_for(lambda d: self.element('bucket-objects').text == '2', 'no object count on the bucket page')
        now = sum(sizes[:2])
        self.assertEqual(self.element('bucket-size').text, f'{now / 1024:.2f} KiB ({now:,} bytes)')
        self.assertIn('of 1 GiB', self.element('bucket-quota-use').text)
        self.assertTrue(self.element('size-history-card').is_displayed())
        self.assertFalse(self.element('billing-card').is_displayed())
        self.wait_for(lambda d: (self.chart('size-history-chart') or {}).get('Size', [[0, 0]])[-1][1]
                      == sum(sizes[:2]), 'no size history on the bucket page')

        # The reading every 30 s: the owner's listing only (no bill, no
        # quotas), in pages of 2.
        self.assertEqual(self.driver.execute_script('return window.intervalsAsked'), [30 * 1000])
        self.driver.execute_script(
            'window.calls = []; const fetchOf = window.fetch;'
            'window.fetch = (url, init) => { window.calls.push(String(url)); return fetchOf(url, init); };')
        points = len(self.chart('size-history-chart')['Size'])
        WebDriverWait(self.driver, 10, poll_frequency=0.2).until(
            lambda d: len(self.chart('size-history-chart')['Size']) > points, 'not read again every 30 s')
        calls = self.driver.execute_script('return window.calls')
        self.assertTrue(calls)
        for call in calls:
            self.assertIn('ostor-buckets', call)
            self.assertIn(f'userId={user_id}', call)
            self.assertIn('max-items=2', call)
        # Its name is on the first page of its owner's: no page after it is read.
        self.assertFalse([call for call in calls if 'marker=' in call])

    # ---- usage ----------------------------------------------------------------
    def test_usage_plots_table_and_csv_after_s3_traffic(self):
        from selenium.webdriver.common.by import By
        sizes = [700, 1300, 2100]
        email, user_id, _, bucket = self.traffic(sizes)
        mine = self.wait_for_usage(user_id)
        on_bucket = [r for r in mine if r[3] == bucket]
        self.assertNotEqual(mine, on_bucket, 'ListBuckets counts under no bucket')
        total = lambda rows, column: sum(int(r[column]) for r in rows)  # noqa: E731

        self.open_user_page(email)
        self.wait_for(lambda d: 'rows from' in self.element('usage-status').text, 'the usage is not read: ' +
                      self.element('usage-message').text)
        self.assertEqual(self.element('usage-message').text, '')
        ops, io = self.chart('usage-ops-chart'), self.chart('usage-bytes-chart')
        self.assertEqual(list(ops), list(CLASSES))
        self.assertEqual(list(io), ['in (uploaded)', 'out (downloaded)'])
        starts = sorted({r[0] for r in mine})
        for i, c in enumerate(CLASSES):
            self.assertEqual(len(ops[c]), len(starts), 'a point per period')
            self.assertEqual(sum(y for _, y in ops[c]), total(mine, 7 + i), c)
        self.assertGreaterEqual(total(mine, 7), len(sizes))
        self.assertGreaterEqual(total(mine, 8), len(sizes))
        self.assertEqual(sum(y for _, y in io['in (uploaded)']), total(mine, 11))
        self.assertEqual(sum(y for _, y in io['out (downloaded)']), total(mine, 12))
        self.assertGreaterEqual(total(mine, 11), sum(sizes))
        self.assertGreaterEqual(total(mine, 12), sum(sizes))
        xs = [x for x, _ in ops['put']]
        self.assertEqual(xs, [self.driver.execute_script('return Date.parse(arguments[0])', s) for s in starts])
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, '#usage-table tbody tr')), len(mine))

        # One bucket, chosen from the keyboard: its rows only.
        self.element('usage-bucket').send_keys(bucket)
        self.wait_for(lambda d: self.element('usage-bucket').get_attribute('value') == bucket,
                      'the bucket is not chosen')
        self.wait_for(lambda d: sum(y for _, y in self.chart('usage-ops-chart')['list']) == total(on_bucket, 9),
                      'the plot is not of the bucket')
        ops = self.chart('usage-ops-chart')
        for i, c in enumerate(CLASSES):
            self.assertEqual(sum(y for _, y in ops[c]), total(on_bucket, 7 + i), c)

        # Export CSV (Enter on the button): the file downloaded holds the rows shown.
        self.focused_press('usage-export')
        deadline = time.monotonic() + 10
        while True:
            saved = [f for f in os.listdir(self.downloads) if f.endswith('.csv') and bucket in f]
            if saved:
                break
            self.assertLess(time.monotonic(), deadline, f'no CSV downloaded: {os.listdir(self.downloads)}')
            time.sleep(0.1)
        self.assertTrue(saved[0].startswith(f'usage-user-{user_id}-{bucket}-'), saved[0])
        with open(os.path.join(self.downloads, saved[0]), newline='') as f:
            written = list(csv.reader(f))
        self.assertEqual(written[0], CSV_HEADER)
        self.assertEqual(written[1:], [r + ['true'] for r in on_bucket], 'stored periods only')

        # The bucket's page: everyone's requests on it.
        self.driver.get(f'{self.console}#bucket/{bucket}')
        self.wait_for(lambda d: self.element('user-title').text == f'Bucket {bucket}', 'no bucket page')
        self.wait_for(lambda d: 'rows from' in self.element('usage-status').text, 'the usage is not read')
        self.assertFalse(self.element('usage-bucket').is_displayed())
        everyone = self.usage_rows(lambda k: k['bucket'] == bucket)
        ops = self.chart('usage-ops-chart')
        for i, c in enumerate(CLASSES):
            self.assertEqual(sum(y for _, y in ops[c]), total(everyone, 7 + i), c)

        # Chart.js drew all this under the pages' Content-Security-Policy: no
        # script error, nothing refused (the browser's own favicon request aside).
        problems = [e['message'] for e in self.driver.get_log('browser')
                    if e['level'] == 'SEVERE' and '/favicon.ico' not in e['message']]
        self.assertEqual(problems, [])


class ConsoleLiveUsageTest(UsageCase):
    """The period under way (?ostor-usage&current) of a gateway whose periods last an hour."""
    gw_conf = '# Enable usage statistics collection.\nS3_GW_COLLECT_STAT=1\nS3_GW_STAT_PERIOD=3600\n'

    def test_the_period_under_way_is_plotted_before_it_is_stored(self):
        from selenium.webdriver.common.by import By
        sizes = [900, 4100]
        email, user_id, _, bucket = self.traffic(sizes)
        self.assertEqual(self.admin('GET', [('ostor-usage', None)])[1]['items'], [], 'nothing stored yet')
        status, _, body = self.signed_get('/', [('ostor-usage', None), ('current', None)])
        self.assertEqual(status, 200, body)
        live = json.loads(body)
        mine = [i['counters'] for i in live['items'] if i['key']['user_id'] == user_id]
        self.assertEqual(len(mine), 2, 'the bucket and no bucket (ListBuckets)')
        total = lambda group, name: sum(c[group][name] for c in mine)  # noqa: E731

        self.open_user_page(email)
        self.wait_for(lambda d: 'and the period under way' in self.element('usage-status').text,
                      'the period under way is not read: ' + self.element('usage-status').text)
        ops, io = self.chart('usage-ops-chart'), self.chart('usage-bytes-chart')
        for c in CLASSES:
            self.assertEqual(ops[c], [[live['start_ts'] * 1000, total('ops', c)]], c)
        self.assertGreaterEqual(total('ops', 'put'), len(sizes))
        self.assertEqual(io['in (uploaded)'], [[live['start_ts'] * 1000, total('net_io', 'uploaded')]])
        self.assertEqual(io['out (downloaded)'], [[live['start_ts'] * 1000, total('net_io', 'downloaded')]])
        cells = [td.text for td in self.driver.find_elements(By.CSS_SELECTOR, '#usage-table tbody td:first-child')]
        self.assertEqual(len(cells), 2)
        for cell in cells:
            self.assertTrue(cell.endswith('(under way)'), cell)

if __name__ == '__main__':
    harness.main()
