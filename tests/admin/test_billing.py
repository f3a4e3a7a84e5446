"""The billing listener (--admin-listen): the billing API document
with storage and bandwidth filled in, and Prometheus /metrics; the admin
REST API served there too (where the web console calls it)."""

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.error
import urllib.request
from collections import OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'gateway'))
import harness  # noqa: E402
from harness import Gateway  # noqa: E402
from admin_common import cli_path, prometheus_values  # noqa: E402


class BillingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        gw = Gateway(['--admin-listen', '127.0.0.1:0'])
        os.makedirs(gw.data_dir)
        with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
            f.write('S3_GW_COLLECT_STAT=1\n')
        started_after = time.time()
        cls.gw = gw.start()
        cls.started_between = (started_after, time.time())
        cls.addClassCleanup(cls.gw.stop)
        cls.base = next(line.split(' on ', 1)[1].strip() for line in gw.stdout_lines
                        if line.startswith('ostor-gateway: billing and metrics on '))

    def fetch(self, path, method='GET'):
        try:
            with urllib.request.urlopen(urllib.request.Request(self.base + path, method=method), timeout=10) as r:
                return r.status, r.headers.get('Content-Type'), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get('Content-Type'), e.read().decode()

    def cli(self, *args):
        out = subprocess.run([cli_path(), *args, '--data', self.gw.data_dir], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_info_names_the_gateway_and_the_volume(self):
        status, ctype, body = self.fetch('/v1/info')
        self.assertEqual((status, ctype), (200, 'application/json'))
        doc = json.loads(body, object_pairs_hook=OrderedDict)
        self.assertEqual(list(doc), ['prefixes', 'oiobilling', 'sds_conf'])
        self.assertEqual(list(doc['prefixes']), ['account_prefixes', 'container_prefixes'])
        self.assertIsInstance(doc['oiobilling']['version'], str)
        self.assertEqual(doc['sds_conf']['proxy_url'], self.gw.endpoint)
        with open(os.path.join(self.gw.data_dir, 'volume.id')) as f:
            self.assertEqual(doc['sds_conf']['namespace'], f.read().strip())

    def test_status_reports_uptime_requests_errors_and_volume_space(self):
        before = json.loads(self.fetch('/v1/status')[2])
        self.assertEqual(self.gw.request('GET', '/no-such-bucket-status').status, 404)
        # A request is counted once its answer is sent: the client may read
        # the answer a moment before the count moves.
        deadline = time.monotonic() + 5
        while True:
            status, ctype, body = self.fetch('/v1/status')
            self.assertEqual((status, ctype), (200, 'application/json'))
            doc = json.loads(body, object_pairs_hook=OrderedDict)
            if doc['requests']['total'] != before['requests']['total'] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(list(doc), ['uptime_s', 'requests', 'volume'])
        self.assertGreaterEqual(doc['uptime_s'], 0)
        self.assertEqual(doc['requests']['total'] - before['requests']['total'], 1)
        self.assertEqual(doc['requests']['client_errors'] - before['requests']['client_errors'], 1)
        self.assertEqual(doc['requests']['server_errors'], 0)
        st = os.statvfs(self.gw.data_dir)
        self.assertEqual(doc['volume']['total_bytes'], st.f_blocks * st.f_frsize)
        self.assertLessEqual(doc['volume']['free_bytes'], doc['volume']['total_bytes'])
        with open(os.path.join(self.gw.data_dir, 'volume.id')) as f:
            self.assertEqual(doc['volume']['id'], f.read().strip())

    def test_the_root_says_what_is_served_here(self):
        status, ctype, body = self.fetch('/')
        self.assertEqual((status, ctype), (200, 'application/json'))
        endpoints = json.loads(body)['endpoints']
        for path in ('/v1/info', '/v1/status', '/v1/bill/fetch?user=&account=', '/metrics', '/console/', '/?ostor-*'):
            self.assertIn(path, endpoints)

    def test_bill_reports_storage_and_the_bandwidth_the_usage_counters_saw(self):
        email = f'bill-{os.urandom(4).hex()}@example.com'
        out = self.cli('create-user', '-e', email)
        user_id = re.search(r'^UserId:(\S+)$', out, re.M).group(1)
        creds = harness.Credentials(re.search(r'S3AccessKeyId:(\S+)$', out, re.M).group(1),
                                    re.search(r'S3SecretAccessKey:(\S+)$', out, re.M).group(1))
        bucket = harness.unique_bucket('bill')
        uploaded = downloaded = 0
        r = self.gw.request('PUT', f'/{bucket}', credentials=creds)
        self.assertEqual(r.status, 200)
        downloaded += len(r.body)
        for i, size in enumerate((10, 2000, 30000)):
            body = os.urandom(size)
            r = self.gw.request('PUT', f'/{bucket}/o{i}', body=body, credentials=creds)
            self.assertEqual(r.status, 200)
            uploaded += size
            downloaded += len(r.body)
        r = self.gw.request('GET', f'/{bucket}/o2', credentials=creds)
        downloaded += len(r.body)

        # A response's bytes are counted once its last write is done, which
        # the client may see a moment before: the bill is read until they are in.
        deadline = time.monotonic() + 10
        while True:
            status, _, body = self.fetch(f'/v1/bill/fetch?user={user_id}')
            self.assertEqual(status, 200, body)
            doc = json.loads(body, object_pairs_hook=OrderedDict)
            if doc['bandwidth']['out'] >= downloaded or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(list(doc), ['items', 'bandwidth', 'storage', 'reference'])
        self.assertEqual(doc['storage'], {'objects': 3, 'bytes': 32010})
        self.assertEqual(list(doc['storage']), ['objects', 'bytes'])
        self.assertEqual(doc['bandwidth'], {'out': downloaded, 'in': uploaded})
        self.assertEqual(list(doc['bandwidth']), ['out', 'in'])
        self.assertEqual(doc['reference'], {'account': '', 'user': user_id})
        self.assertEqual(doc['items'], [{'name': bucket, 'bytes': 32010, 'objects': 3}])
        # By email too; an account of the user that did nothing bills zero.
        self.cli('create-account', '-e', email, '-n', 'idle')
        status, _, body = self.fetch(f'/v1/bill/fetch?user={email}&account=idle')
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual((doc['storage'], doc['bandwidth'], doc['items']),
                         ({'objects': 0, 'bytes': 0}, {'out': 0, 'in': 0}, []))

    def test_bill_refusals_are_json_errors(self):
        status, ctype, body = self.fetch('/v1/bill/fetch')
        self.assertEqual((status, ctype), (400, 'application/json'))
        self.assertIn('user or account is required', json.loads(body)['Message'])
        status, _, body = self.fetch('/v1/nope')
        self.assertEqual((status, json.loads(body)['Code']), (404, 'NotFound'))
        status, _, body = self.fetch('/v1/bill/fetch?user=0123456789abcdef', method='POST')
        self.assertEqual((status, json.loads(body)['Code']), (405, 'MethodNotAllowed'))

    def test_head_answers_with_the_head_a_get_would_have(self):
        for path in ('/metrics', '/v1/status', '/v1/info'):
            with self.subTest(path=path):
                _, get_type, get_body = self.fetch(path)
                status, head_type, head_body = self.fetch(path, method='HEAD')
                self.assertEqual((status, head_type, head_body), (200, get_type, ''))

    def test_metrics_count_requests_bytes_and_latency_in_prometheus_text(self):
        before = self.metrics()
        bucket = harness.unique_bucket('metrics')
        self.assertEqual(self.gw.request('PUT', f'/{bucket}').status, 200)
        self.assertEqual(self.gw.request('PUT', f'/{bucket}/k', body=b'x' * 777).status, 200)
        self.assertEqual(self.gw.request('GET', f'/{bucket}/missing').status, 404)
        # A request is counted just after its answer is sent: the last one
        # may come a moment after the client has its answer.
        deadline = time.monotonic() + 10
        while True:
            after = self.metrics()
            delta = lambda name: after.get(name, 0) - before.get(name, 0)  # noqa: E731
            if delta('ostor_request_duration_seconds_count') >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(delta('ostor_requests_total{op="put",status="200"}'), 1)
        self.assertEqual(delta('ostor_requests_total{op="get",status="404"}'), 1)
        self.assertEqual(delta('ostor_received_bytes_total'), 777)
        self.assertEqual(delta('ostor_request_duration_seconds_count'), 3)
        self.assertEqual(after['ostor_request_duration_seconds_bucket{le="+Inf"}'],
                         after['ostor_request_duration_seconds_count'])
        self.assertIn('ostor_limit_refusals_total', after)
        self.assertIn('ostor_quota_refusals_total', after)
        # The start time: a gauge of the Unix time (ms precise) the gateway
        # started at, the same in every reading.
        self.assertIn('# TYPE ostor_start_time_seconds gauge\n', self.fetch('/metrics')[2])
        start = after['ostor_start_time_seconds']
        self.assertEqual(start, before['ostor_start_time_seconds'])
        # Slack above: %.3f may round up, and the clock is read apart from
        # the "listening" line the harness waits for.
        self.assertTrue(self.started_between[0] - 0.001 <= start <= self.started_between[1] + 2,
                        (self.started_between, start))

    def test_metrics_count_the_connections_open_on_each_listener(self):
        s3 = 'ostor_open_connections{listener="s3"}'
        admin = 'ostor_open_connections{listener="admin"}'
        self.assertGreaterEqual(self.metrics()[admin], 1, 'the connection reading /metrics')
        port = int(self.gw.endpoint.rsplit(':', 1)[1])

        def counted(want, timeout_s=3):
            deadline = time.monotonic() + timeout_s
            while self.metrics()[s3] != want:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
            return True
        # Two connections that say nothing yet count, open (and idle) as
        # they are, and no more once closed. (Tried again when a connection
        # of an earlier test, idle, closes meanwhile.)
        for attempt in range(3):
            before = self.metrics()[s3]
            idle = [socket.create_connection(('127.0.0.1', port), timeout=10) for _ in range(2)]
            try:
                opened = counted(before + 2)
            finally:
                for c in idle:
                    c.close()
            if opened and counted(before):
                return
        self.fail('the open connections are not counted as they open and close')

    def metrics(self):
        status, ctype, text = self.fetch('/metrics')
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith('text/plain'), ctype)
        return prometheus_values(text)


    def test_bill_of_an_unknown_user_is_zeros_with_the_reference_echoed(self):
        # The billing document's example, byte for byte apart from spacing.
        status, ctype, body = self.fetch('/v1/bill/fetch?account=myaccount&user=myuser')
        self.assertEqual((status, ctype), (200, 'application/json'))
        self.assertEqual(json.loads(body, object_pairs_hook=OrderedDict), OrderedDict([
            ('items', []),
            ('bandwidth', OrderedDict([('out', 0), ('in', 0)])),
            ('storage', OrderedDict([('objects', 0), ('bytes', 0)])),
            ('reference', OrderedDict([('account', 'myaccount'), ('user', 'myuser')]))]))
        for user in ('0123456789abcdef', 'nobody@example.com'):
            status, _, body = self.fetch(f'/v1/bill/fetch?user={user}')
            self.assertEqual(status, 200, body)
            doc = json.loads(body)
            self.assertEqual((doc['items'], doc['bandwidth'], doc['storage'], doc['reference']),
                             ([], {'out': 0, 'in': 0}, {'objects': 0, 'bytes': 0}, {'account': '', 'user': user}))

    def test_account_alone_bills_that_account_of_every_user(self):
        name = f'shared{os.urandom(3).hex()}'
        expected_in = expected_out = 0
        buckets = {}
        owners = []
        for n in range(2):
            email = f'acct-{os.urandom(4).hex()}@example.com'
            owners.append(re.search(r'^UserId:(\S+)$', self.cli('create-user', '-e', email), re.M).group(1))
            out = self.cli('create-account', '-e', email, '-n', name)
            creds = harness.Credentials(re.search(r'S3AccessKeyId:(\S+)$', out, re.M).group(1),
                                        re.search(r'S3SecretAccessKey:(\S+)$', out, re.M).group(1))
            bucket = harness.unique_bucket(f'acct{n}')
            r = self.gw.request('PUT', f'/{bucket}', credentials=creds)
            self.assertEqual(r.status, 200)
            expected_out += len(r.body)
            body = os.urandom(1000 * (n + 1))
            r = self.gw.request('PUT', f'/{bucket}/k', body=body, credentials=creds)
            self.assertEqual(r.status, 200)
            expected_in += len(body)
            expected_out += len(r.body)
            buckets[bucket] = len(body)
        status, _, body = self.fetch(f'/v1/bill/fetch?account={name}')
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc['bandwidth'], {'out': expected_out, 'in': expected_in})
        self.assertEqual(doc['storage'], {'objects': 2, 'bytes': sum(buckets.values())})
        self.assertEqual(sorted(i['name'] for i in doc['items']), sorted(buckets))
        self.assertEqual(doc['reference'], {'account': name, 'user': ''})
        # With a user, only that user's account of the name.
        status, _, body = self.fetch(f'/v1/bill/fetch?account={name}&user={owners[0]}')
        doc = json.loads(body)
        self.assertEqual(doc['storage'], {'objects': 1, 'bytes': 1000})
        self.assertEqual(doc['bandwidth']['in'], 1000)

    def test_a_loopback_listener_starts_without_a_warning(self):
        self.assertNotIn('reachable from other hosts', self.gw.stderr_text())


def admin_base(gw):
    return next(line.split(' on ', 1)[1].strip() for line in gw.stdout_lines
                if line.startswith('ostor-gateway: billing and metrics on '))


def fetch(url, method='GET', headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers or {}),
                                    timeout=10) as r:
            return r.status, r.headers.get('Content-Type'), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type'), e.read().decode()


def new_user(gw, account=None):
    """A user (and, with `account`, an account of it): id and the key pair to sign with."""
    email = f'bt-{os.urandom(4).hex()}@example.com'
    out = subprocess.run([cli_path(), 'create-user', '-e', email, '--data', gw.data_dir], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    user_id = re.search(r'^UserId:(\S+)$', out, re.M).group(1)
    if account:
        out = subprocess.run([cli_path(), 'create-account', '-e', email, '-n', account, '--data', gw.data_dir],
                             capture_output=True, text=True, timeout=60, check=True).stdout
    return user_id, harness.Credentials(re.search(r'S3AccessKeyId:(\S+)$', out, re.M).group(1),
                                        re.search(r'S3SecretAccessKey:(\S+)$', out, re.M).group(1))


class Traffic:
    """Requests of one user whose body bytes in and out are known exactly."""

    def __init__(self, test, creds):
        self.test, self.creds = test, creds
        self.uploaded = self.downloaded = 0

    def send(self, gw, method, path, body=b'', expect=200):
        r = gw.request(method, path, body=body, credentials=self.creds)
        self.test.assertEqual(r.status, expect, r)
        self.uploaded += len(body)
        self.downloaded += len(r.body)

    def some(self, gw, bucket=None):
        bucket = bucket or harness.unique_bucket('bt')
        self.send(gw, 'PUT', f'/{bucket}')
        for i, size in enumerate((17, 4096, 70001)):
            self.send(gw, 'PUT', f'/{bucket}/o{i}', body=os.urandom(size))
        self.send(gw, 'GET', f'/{bucket}/o2')
        self.send(gw, 'GET', f'/{bucket}/nope', expect=404)
        return bucket

    def expected(self):
        return {'out': self.downloaded, 'in': self.uploaded}


def sigkill(gw):
    gw.proc.send_signal(signal.SIGKILL)
    gw.proc.wait()
    gw.proc.stdout.close()
    gw.proc = None
    gw._stderr.close()


class BillingTotalsTest(unittest.TestCase):
    """Bandwidth comes from the engine's billing totals: not from statistics
    objects, and not only when statistics are collected."""

    def start(self, collect=None, gw=None):
        gw = gw or Gateway(['--admin-listen', '127.0.0.1:0'])
        if collect is not None:
            os.makedirs(gw.data_dir, exist_ok=True)
            with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
                f.write(f'S3_GW_COLLECT_STAT={collect}\n')
        gw.start()
        self.addCleanup(gw.stop)
        return gw

    def bandwidth(self, gw, user_id):
        status, _, body = fetch(admin_base(gw) + f'/v1/bill/fetch?user={user_id}')
        self.assertEqual(status, 200, body)
        return json.loads(body)['bandwidth']

    def assertBandwidth(self, gw, user_id, expected):
        """The bill shows `expected`: at once or within seconds, as a request
        is counted once its answer is sent, so the client that got it may
        ask first (seen under the sanitizers)."""
        deadline = time.monotonic() + 10
        while (got := self.bandwidth(gw, user_id)) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(got, expected)

    def usage_objects(self, gw):
        r = gw.request('GET', '/', 'ostor-usage')
        self.assertEqual(r.status, 200, r)
        return json.loads(r.body)['items']

    def test_bandwidth_is_billed_with_statistics_off_and_kept_across_restarts(self):
        gw = self.start()
        user_id, creds = new_user(gw)
        traffic = Traffic(self, creds)
        traffic.some(gw)
        self.assertBandwidth(gw, user_id, traffic.expected())
        gw.restart()
        self.assertBandwidth(gw, user_id, traffic.expected())
        traffic.some(gw)
        self.assertBandwidth(gw, user_id, traffic.expected())
        self.assertEqual(self.usage_objects(gw), [])

    def test_deleting_statistics_objects_changes_no_bill(self):
        gw = self.start(collect=1)
        user_id, creds = new_user(gw)
        traffic = Traffic(self, creds)
        traffic.some(gw)
        gw.restart()  # stores the period as a statistics object
        names = self.usage_objects(gw)
        self.assertTrue(names)
        self.assertBandwidth(gw, user_id, traffic.expected())
        # As the guide tells providers to, once collected.
        for name in names:
            r = gw.request('DELETE', '/', 'ostor-usage&obj=' + urllib.parse.quote(name, safe=''))
            self.assertEqual(r.status, 200, r)
        self.assertBandwidth(gw, user_id, traffic.expected())
        gw.restart()
        self.assertBandwidth(gw, user_id, traffic.expected())

    def test_the_bill_reads_no_statistics_object(self):
        gw = self.start(collect=1)
        user_id, creds = new_user(gw)
        traffic = Traffic(self, creds)
        traffic.some(gw)
        gw.stop(keep_dir=True)
        # A checkpoint a dead gateway left, claiming traffic of this user: it
        # becomes a statistics object at the next start, and no bill reads it.
        name = 's3-usage-8999999999999999-2026-01-01T00:00:00.000Z-1800'
        claimed = {'fmt_version': 1, 'service_id': 8999999999999999, 'start_ts': 1767225600, 'period': 1800,
                   'nr_items': 1, 'items': [{'key': {'bucket': 'x', 'epoch': 0, 'user_id': user_id, 'tag': ''},
                                             'counters': {'ops': {'put': 1, 'get': 1, 'list': 0, 'other': 0},
                                                          'net_io': {'uploaded': 10**9, 'downloaded': 10**9}}}]}
        with open(os.path.join(gw.data_dir, 'gw-stats', '8999999999999999.ckpt'), 'w') as f:
            f.write(name + '\n' + json.dumps(claimed))
        gw.start()
        self.assertIn(name, self.usage_objects(gw))
        self.assertBandwidth(gw, user_id, traffic.expected())

    def test_counts_a_second_before_a_sigkill_are_billed_once(self):
        for collect in (0, 1):
            with self.subTest(collect=collect):
                gw = self.start(collect=collect)
                user_id, creds = new_user(gw)
                traffic = Traffic(self, creds)
                traffic.some(gw)
                time.sleep(1.5)
                sigkill(gw)
                gw.start()
                self.assertBandwidth(gw, user_id, traffic.expected())
                gw.restart()
                self.assertBandwidth(gw, user_id, traffic.expected())

    def test_two_gateways_on_one_data_directory_add_to_the_same_totals(self):
        first = self.start(collect=1)
        second = Gateway(['--admin-listen', '127.0.0.1:0'])
        second.data_dir = first.data_dir
        second._started_before = True  # the data directory has its system user already
        second.access_key, second.secret_key = first.access_key, first.secret_key
        second = self.start(gw=second)
        user_id, creds = new_user(first)
        traffic = Traffic(self, creds)
        bucket = traffic.some(first)
        traffic.send(second, 'PUT', f'/{bucket}/from-second', body=os.urandom(5000))
        traffic.send(second, 'GET', f'/{bucket}/o1')
        time.sleep(1.5)  # each gateway adds its counts within a second
        self.assertBandwidth(first, user_id, traffic.expected())
        self.assertBandwidth(second, user_id, traffic.expected())
        # They count under different service ids though both listen on
        # 127.0.0.1:0, and each removes its lock when it stops.
        ids = [next(line.split(' as service ', 1)[1].split()[0] for line in gw.stdout_lines
                    if ' as service ' in line) for gw in (first, second)]
        self.assertNotEqual(ids[0], ids[1])
        second.stop()  # its own directory holds only its log
        first.stop(keep_dir=True)
        self.addCleanup(shutil.rmtree, first.root, True)
        self.assertEqual([n for n in os.listdir(os.path.join(first.data_dir, 'gw-stats')) if n.endswith('.lock')], [])


class AdminApiOnTheListenerTest(unittest.TestCase):
    """The admin REST API (?ostor-*) on the admin listener, where the web
    console calls it: the S3 listener's checks and handlers, a system user's
    signature required also from loopback (whose exemption covers billing and
    /metrics only), and nothing else of S3 reachable there."""

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(['--admin-listen', '127.0.0.1:0']).start()
        cls.addClassCleanup(cls.gw.stop)
        cls.base = admin_base(cls.gw)
        cls.user_id, cls.user_creds = new_user(cls.gw)

    def signed(self, method, target, creds=None):
        from botocore.awsrequest import AWSRequest
        url = self.base + target
        request = AWSRequest(method=method, url=url, headers={'Host': self.base.split('://', 1)[1]})
        harness.SigV4(creds or self.gw.credentials).add_auth(request)
        return fetch(url, method, dict(request.headers.items()))

    def test_a_system_users_signature_reaches_the_handlers(self):
        status, ctype, body = self.signed('GET', '/?' + harness.query([('ostor-users', None)]))
        self.assertEqual((status, ctype), (200, 'application/json'), body)
        self.assertIn('admin@localhost', [u['UserEmail'] for u in json.loads(body)])

    def test_system_users_are_made_with_the_system_parameter(self):
        for system in (True, False):
            with self.subTest(system=system):
                email = f'al-{os.urandom(4).hex()}@example.com'
                params = [('ostor-users', None), ('emailAddress', email)] + ([('system', None)] if system else [])
                status, _, body = self.signed('PUT', '/?' + harness.query(params))
                self.assertEqual(status, 200, body)
                key = json.loads(body)['AWSAccessKeys'][0]
                status, _, body = self.signed(
                    'GET', '/?' + harness.query([('ostor-users', None), ('emailAddress', email)]))
                self.assertEqual(json.loads(body)['Flags'], ['system'] if system else [])
                # Only the system user may call the API with its new key.
                creds = harness.Credentials(key['AWSAccessKeyId'], key['AWSSecretAccessKey'])
                status, _, body = self.signed('GET', '/?' + harness.query([('ostor-users', None)]), creds)
                self.assertEqual(status, 200 if system else 403, body)

    def test_the_system_parameter_takes_no_value_or_true(self):
        email = f'al-{os.urandom(4).hex()}@example.com'
        for value in ('false', '0', 'no', 'TRUE', '1'):
            with self.subTest(system=value):
                status, ctype, body = self.signed(
                    'PUT', '/?' + harness.query([('ostor-users', None), ('emailAddress', email), ('system', value)]))
                self.assertEqual((status, ctype), (400, 'application/json'), body)
                self.assertEqual(json.loads(body)['Code'], 'InvalidArgument', body)
                status, _, body = self.signed(
                    'GET', '/?' + harness.query([('ostor-users', None), ('emailAddress', email)]))
                self.assertEqual(status, 404, body)
        status, _, body = self.signed(
            'PUT', '/?' + harness.query([('ostor-users', None), ('emailAddress', email), ('system', 'true')]))
        self.assertEqual(status, 200, body)
        status, _, body = self.signed('GET', '/?' + harness.query([('ostor-users', None), ('emailAddress', email)]))
        self.assertEqual(json.loads(body)['Flags'], ['system'], body)

    def test_loopback_is_exempt_only_under_an_address_or_localhost(self):
        # A page of evil.example rebound to 127.0.0.1 sends its own Host.
        port = self.base.rsplit(':', 1)[1]
        for path in (f'/v1/bill/fetch?user={self.user_id}', '/metrics'):
            for host in ('evil.example', f'evil.example:{port}', f'127.0.0.1.evil.example:{port}',
                         f'localhost.evil.example:{port}'):
                with self.subTest(path=path, host=host):
                    status, ctype, body = fetch(self.base + path, headers={'Host': host})
                    self.assertEqual((status, ctype), (403, 'application/json'), body)
                    self.assertEqual(json.loads(body)['Code'], 'AccessDenied', body)
            for host in (f'127.0.0.1:{port}', '127.0.0.1', f'localhost:{port}', 'LocalHost', f'[::1]:{port}',
                         '[::1]'):
                with self.subTest(path=path, host=host):
                    self.assertEqual(fetch(self.base + path, headers={'Host': host})[0], 200)
        # A system user's signature still opens it under any Host, as for a remote peer.
        from botocore.awsrequest import AWSRequest
        url = self.base + '/metrics'
        request = AWSRequest(method='GET', url=url, headers={'Host': 'evil.example'})
        harness.SigV4(self.gw.credentials).add_auth(request)
        self.assertEqual(fetch(url, 'GET', dict(request.headers.items()))[0], 200)

    def test_loopback_peers_need_a_system_users_signature(self):
        status, ctype, body = fetch(self.base + '/?ostor-users')
        self.assertEqual((status, ctype), (403, 'application/json'), body)
        self.assertEqual(json.loads(body)['Code'], 'AccessDenied')
        status, _, body = self.signed('GET', '/?' + harness.query([('ostor-users', None)]), self.user_creds)
        self.assertEqual((status, json.loads(body)['Code']), (403, 'AccessDenied'), body)
        wrong = harness.Credentials(self.gw.access_key, 'x' * 40)
        status, _, body = self.signed('GET', '/?' + harness.query([('ostor-users', None)]), wrong)
        self.assertEqual(status, 403, body)
        self.assertIn('<Code>SignatureDoesNotMatch</Code>', body)
        # Billing keeps its loopback exemption.
        self.assertEqual(fetch(self.base + f'/v1/bill/fetch?user={self.user_id}')[0], 200)

    def test_no_s3_operation_is_served_there(self):
        bucket = harness.unique_bucket('al')
        self.gw.client().create_bucket(Bucket=bucket)
        for target in ('/', f'/{bucket}', f'/{bucket}?ostor-users', f'/{bucket}/key'):
            with self.subTest(target=target):
                status, ctype, body = self.signed('GET', target)
                self.assertEqual(ctype, 'application/json', body)
                self.assertNotIn('ListAllMyBucketsResult', body)
                self.assertNotIn('ListBucketResult', body)
                self.assertIn(status, (200, 404), body)
                if target != '/':
                    self.assertEqual(json.loads(body)['Code'], 'NotFound', body)


class AdminListenerWithDomainTest(unittest.TestCase):
    """With --domain a Host "<bucket>.<domain>" names a bucket: on the admin
    listener an ostor-* query under such a Host is no admin call, and no
    bucket operation either (each would be one on the S3 listener)."""

    DOMAIN = 'ost.test'

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(['--admin-listen', '127.0.0.1:0', '--domain', cls.DOMAIN]).start()
        cls.addClassCleanup(cls.gw.stop)
        cls.base = admin_base(cls.gw)
        cls.port = cls.base.rsplit(':', 1)[1]

    def signed(self, method, target, host, body=b'', headers=None):
        from botocore.awsrequest import AWSRequest
        url = self.base + target
        request = AWSRequest(method=method, url=url, data=body, headers={'Host': host, **(headers or {})})
        harness.SigV4(self.gw.credentials).add_auth(request)
        try:
            with urllib.request.urlopen(
                    urllib.request.Request(url, data=body or None, method=method,
                                           headers=dict(request.headers.items())), timeout=10) as r:
                return r.status, r.headers.get('Content-Type'), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get('Content-Type'), e.read().decode()

    def vhost(self, bucket):
        return f'{bucket}.{self.DOMAIN}:{self.port}'

    def assert_refused(self, answer):
        status, ctype, body = answer
        self.assertEqual((status, ctype), (404, 'application/json'), body)
        self.assertEqual(json.loads(body)['Code'], 'NotFound', body)

    def test_bucket_operations_under_a_bucket_host_are_refused_and_change_nothing(self):
        s3 = self.gw.client()
        full, empty, absent = (harness.unique_bucket(p) for p in ('vf', 've', 'va'))
        s3.create_bucket(Bucket=full)
        s3.create_bucket(Bucket=empty)
        s3.put_object(Bucket=full, Key='k', Body=b'kept')
        with self.subTest('GET: ListObjects'):
            self.assert_refused(self.signed('GET', '/?ostor-users', self.vhost(full)))
        with self.subTest('PUT: CreateBucket'):
            self.assert_refused(self.signed('PUT', '/?ostor-users', self.vhost(absent)))
        with self.subTest('DELETE: DeleteBucket'):
            self.assert_refused(self.signed('DELETE', '/?ostor-users', self.vhost(empty)))
        with self.subTest('POST ?delete: DeleteObjects'):
            body = b'<Delete><Object><Key>k</Key></Object></Delete>'
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            self.assert_refused(self.signed('POST', '/?ostor-users&delete', self.vhost(full), body,
                                            {'Content-MD5': md5, 'Content-Type': 'application/xml'}))
        with self.subTest('POST multipart: PostObject'):
            form = (b'--XX\r\nContent-Disposition: form-data; name="key"\r\n\r\nposted\r\n'
                    b'--XX\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nbody\r\n--XX--\r\n')
            self.assert_refused(self.signed('POST', '/?ostor-users', self.vhost(full), form,
                                            {'Content-Type': 'multipart/form-data; boundary=XX'}))
        names = [b['Name'] for b in s3.list_buckets()['Buckets']]
        self.assertIn(full, names)
        self.assertIn(empty, names)
        self.assertNotIn(absent, names)
        self.assertEqual([o['Key'] for o in s3.list_objects_v2(Bucket=full)['Contents']], ['k'])
        self.assertEqual(s3.get_object(Bucket=full, Key='k')['Body'].read(), b'kept')

    def test_the_admin_api_is_served_under_the_listeners_own_host(self):
        status, ctype, body = self.signed('GET', '/?ostor-users', f'127.0.0.1:{self.port}')
        self.assertEqual((status, ctype), (200, 'application/json'), body)
        self.assertIn('admin@localhost', [u['UserEmail'] for u in json.loads(body)])


def non_loopback_ipv4():
    out = subprocess.run(['hostname', '-I'], capture_output=True, text=True, check=False).stdout.split()
    for address in out:
        if '.' in address and not address.startswith('127.'):
            return address
    raise RuntimeError('this test needs a non-loopback IPv4 address on the machine (hostname -I shows none)')


class AdminAccessTest(unittest.TestCase):
    """An admin listener bound wide serves other hosts only with credentials."""

    TOKEN = 'test-admin-token-' + os.urandom(8).hex()

    @classmethod
    def setUpClass(cls):
        cls.address = non_loopback_ipv4()
        gw = Gateway(['--admin-listen', '0.0.0.0:0'])
        token_file = os.path.join(gw.root, 'admin.token')
        with open(token_file, 'w') as f:
            f.write(cls.TOKEN + '\n')
        gw.extra_args += ['--admin-token-file', token_file]
        cls.gw = gw.start()
        cls.addClassCleanup(cls.gw.stop)
        cls.port = int(admin_base(gw).rsplit(':', 1)[1])
        cls.user_id, cls.user_creds = new_user(gw)

    def url(self, host, path):
        return f'http://{host}:{self.port}{path}'

    def curl_signed(self, creds, url):
        out = subprocess.run(['curl', '-sS', '-o', '-', '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:s3',
                              '--user', f'{creds.access_key}:{creds.secret_key}', url],
                             capture_output=True, text=True, timeout=30)
        body, _, code = out.stdout.rpartition('\n')
        return int(code), body

    def test_binding_wide_warns_at_start(self):
        self.assertIn('reachable from other hosts', self.gw.stderr_text())

    def test_loopback_peers_need_no_credentials(self):
        self.assertEqual(fetch(self.url('127.0.0.1', '/metrics'))[0], 200)
        self.assertEqual(fetch(self.url('127.0.0.1', f'/v1/bill/fetch?user={self.user_id}'))[0], 200)

    def test_other_hosts_without_credentials_get_403_json(self):
        for path in ('/', '/metrics', '/v1/status', f'/v1/bill/fetch?user={self.user_id}'):
            with self.subTest(path=path):
                status, ctype, body = fetch(self.url(self.address, path))
                self.assertEqual((status, ctype), (403, 'application/json'))
                self.assertEqual(json.loads(body)['Code'], 'AccessDenied')

    def test_the_bearer_token_opens_the_listener_to_scrapers(self):
        status, _, text = fetch(self.url(self.address, '/metrics'), headers={'Authorization': f'Bearer {self.TOKEN}'})
        self.assertEqual(status, 200)
        self.assertIn('ostor_requests_total', text)
        status, _, body = fetch(self.url(self.address, '/metrics'), headers={'Authorization': 'Bearer wrong-token-xxxxxxx'})
        self.assertEqual((status, json.loads(body)['Code']), (403, 'AccessDenied'))

    def test_a_system_users_signature_opens_the_listener(self):
        url = self.url(self.address, f'/v1/bill/fetch?user={self.user_id}')
        status, body = self.curl_signed(self.gw.credentials, url)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)['reference']['user'], self.user_id)
        # A signature of a user without the system flag opens nothing.
        status, body = self.curl_signed(self.user_creds, url)
        self.assertEqual((status, json.loads(body)['Code']), (403, 'AccessDenied'), body)

    def test_idle_connections_of_another_host_cannot_lock_loopback_out(self):
        # Unauthenticated peers reach the listener before they authenticate:
        # one host holds a handful of its connections, and a share is kept
        # for loopback peers.
        held = []
        try:
            for _ in range(64):
                held.append(socket.create_connection((self.address, self.port), timeout=10))
            time.sleep(0.5)
            self.assertEqual(fetch(self.url('127.0.0.1', '/v1/status'))[0], 200)
        finally:
            for s in held:
                s.close()

    def test_a_bad_token_file_stops_the_gateway_with_a_message(self):
        gw = Gateway(['--admin-listen', '127.0.0.1:0'])
        short = os.path.join(gw.root, 'short.token')
        with open(short, 'w') as f:
            f.write('abc\n')
        gw.extra_args += ['--admin-token-file', short]
        with self.assertRaises(RuntimeError) as cm:
            gw.start()
        self.assertIn('must be at least 16 characters', str(cm.exception))


if __name__ == '__main__':
    unittest.main(verbosity=2)
