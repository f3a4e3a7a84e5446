"""The billing listener (--admin-listen): the API of ../shared/seeds/002_*.txt
with storage and bandwidth filled in, and Prometheus /metrics."""

import json
import os
import re
import subprocess
import sys
import unittest
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
        cls.gw = gw.start()
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

    def test_status_is_an_empty_object(self):
        self.assertEqual(self.fetch('/v1/status')[::2], (200, '{}\n'))

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

        status, _, body = self.fetch(f'/v1/bill/fetch?user={user_id}')
        self.assertEqual(status, 200, body)
        doc = json.loads(body, object_pairs_hook=OrderedDict)
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
        self.assertIn('user is required', json.loads(body)['Message'])
        status, _, body = self.fetch('/v1/bill/fetch?user=0123456789abcdef')
        self.assertEqual((status, json.loads(body)['Code']), (404, 'NoSuchUser'))
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
        after = self.metrics()
        delta = lambda name: after.get(name, 0) - before.get(name, 0)  # noqa: E731
        self.assertEqual(delta('ostor_requests_total{op="put",status="200"}'), 1)
        self.assertEqual(delta('ostor_requests_total{op="get",status="404"}'), 1)
        self.assertEqual(delta('ostor_received_bytes_total'), 777)
        self.assertEqual(delta('ostor_request_duration_seconds_count'), 3)
        self.assertEqual(after['ostor_request_duration_seconds_bucket{le="+Inf"}'],
                         after['ostor_request_duration_seconds_count'])
        self.assertIn('ostor_limit_refusals_total', after)
        self.assertIn('ostor_quota_refusals_total', after)

    def metrics(self):
        status, ctype, text = self.fetch('/metrics')
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith('text/plain'), ctype)
        return prometheus_values(text)


if __name__ == '__main__':
    unittest.main(verbosity=2)
