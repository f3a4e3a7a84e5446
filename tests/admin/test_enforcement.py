"""Enforcement of limits, quotas and user state by a live gateway.

Each change is made with ostor-s3-admin on the gateway's data directory while
the gateway runs: it must apply on the gateway's next request, with no
restart. Rates are measured against the wall clock over several seconds.
"""

import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'gateway'))
import harness  # noqa: E402
from harness import GatewayTestCase, MiB  # noqa: E402
from admin_common import cli_path, prometheus_values  # noqa: E402

GiB = 1024 * MiB


class EnforcementTest(GatewayTestCase):
    gateway_args = ('--admin-listen', '127.0.0.1:0')

    def admin(self, *args):
        out = subprocess.run([cli_path(), *args, '--data', self.gw.data_dir], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, f'ostor-s3-admin {args}: {out.stderr}')
        return out.stdout

    def new_user(self):
        email = f'enf-{os.urandom(4).hex()}@example.com'
        out = self.admin('create-user', '-e', email)
        key = out.split('KeyPair[0]:S3AccessKeyId:')[1].split()[0]
        secret = out.split('KeyPair[0]:S3SecretAccessKey:')[1].split()[0]
        self.last_credentials = harness.Credentials(key, secret)
        return email, self.gw.client(credentials=self.last_credentials)

    def metrics(self):
        url = next(line.split(' on ', 1)[1].strip() for line in self.gw.stdout_lines
                   if line.startswith('ostor-gateway: billing and metrics on '))
        with urllib.request.urlopen(url + '/metrics', timeout=10) as r:
            return prometheus_values(r.read().decode())

    # ---- ops limits --------------------------------------------------------

    def test_ops_limit_holds_the_served_rate_and_refuses_the_excess_with_503_slowdown(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.put(bucket, 'small', b'x' * 100, client=s3)
        self.admin('set-limits', '-e', email, '-t', 'ops', '-L', 'get=50')
        refusals_before = self.metrics().get('ostor_limit_refusals_total', 0)
        credentials = self.last_credentials

        served, refused, other = [0], [0], []
        duration = 5.0
        clients = [self.gw.client(credentials=credentials) for _ in range(8)]
        for c in clients:  # connected and warm before the clock starts
            c.head_bucket(Bucket=bucket)
        time.sleep(1.0)  # the bucket the warm-up used refills
        start = time.monotonic()
        deadline = start + duration

        def hammer(conn_client):
            while time.monotonic() < deadline:
                try:
                    conn_client.get_object(Bucket=bucket, Key='small')['Body'].read()
                    served[0] += 1
                except harness.ClientError as e:
                    if harness.http_status(e) == 503 and harness.error_code(e) == 'SlowDown':
                        refused[0] += 1
                    else:
                        other.append(e.response)

        threads = [threading.Thread(target=hammer, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        self.assertEqual(other, [])
        rate = served[0] / elapsed
        self.assertGreater(refused[0], 0, 'no request was refused: the load did not exceed the limit')
        self.assertTrue(45 <= rate <= 55, f'served {served[0]} in {elapsed:.2f}s = {rate:.1f}/s, limit 50/s')
        self.assertEqual(self.metrics()['ostor_limit_refusals_total'] - refusals_before, refused[0])

    def test_ops_limit_set_by_the_cli_applies_on_the_next_request_and_removing_it_lifts_it(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.put(bucket, 'k', b'data', client=s3)
        self.admin('set-limits', '-e', email, '-t', 'ops', '-L', 'get=5')
        for _ in range(5):
            self.assertEqual(self.get_body(bucket, 'k', client=s3), b'data')
        self.assertClientError(s3.get_object, 503, 'SlowDown', Bucket=bucket, Key='k')
        # Other classes are not limited by a get limit.
        s3.list_objects_v2(Bucket=bucket)
        self.admin('rm-limits', '-e', email)
        for _ in range(20):
            self.assertEqual(self.get_body(bucket, 'k', client=s3), b'data')

    def test_default_ops_limit_covers_classes_without_their_own(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.admin('set-limits', '-e', email, '-t', 'ops', '-L', 'default=3')
        for _ in range(3):
            s3.list_objects_v2(Bucket=bucket)
        self.assertClientError(s3.list_objects_v2, 503, 'SlowDown', Bucket=bucket)
        self.admin('rm-limits', '-e', email)

    def test_bucket_ops_limit_applies_to_every_user_of_the_bucket(self):
        _, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        s3.put_bucket_acl(Bucket=bucket, ACL='public-read')
        self.put(bucket, 'k', b'data', client=s3)
        self.admin('set-limits', '-b', bucket, '-t', 'ops', '-L', 'get=5')
        anonymous = self.gw.anonymous_client()
        s3.put_object_acl(Bucket=bucket, Key='k', ACL='public-read')
        for i in range(5):
            (s3 if i % 2 else anonymous).get_object(Bucket=bucket, Key='k')['Body'].read()
        self.assertClientError(anonymous.get_object, 503, 'SlowDown', Bucket=bucket, Key='k')
        self.admin('rm-limits', '-b', bucket)

    # ---- bandwidth ---------------------------------------------------------------

    def test_bandwidth_limit_paces_a_download_to_the_set_rate(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        body = os.urandom(2500 * 1024)
        self.put(bucket, 'big', body, client=s3)
        self.admin('set-limits', '-e', email, '-t', 'bandwidth', '-L', 'out=500')
        start = time.monotonic()
        got = self.get_body(bucket, 'big', client=s3)
        elapsed = time.monotonic() - start
        self.assertEqual(got, body)
        rate_kbs = len(body) / 1024 / elapsed
        self.assertTrue(450 <= rate_kbs <= 550, f'{rate_kbs:.0f} KB/s for a limit of 500 KB/s')
        self.admin('rm-limits', '-e', email)
        start = time.monotonic()
        self.get_body(bucket, 'big', client=s3)
        self.assertLess(time.monotonic() - start, 2.0, 'still paced after rm-limits')

    def test_a_slow_bandwidth_limit_sends_the_head_at_once_and_the_body_evenly(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        body = os.urandom(12 * 1024)
        self.put(bucket, 'small', body, client=s3)
        self.admin('set-limits', '-e', email, '-t', 'bandwidth', '-L', 'out=4')
        url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'small'})
        start = time.monotonic()
        with urllib.request.urlopen(url, timeout=30) as r:
            head_after = time.monotonic() - start
            got = b''
            halfway_after = None
            while chunk := r.read1(65536):
                got += chunk
                if halfway_after is None and len(got) >= len(body) // 2:
                    halfway_after = time.monotonic() - start
        elapsed = time.monotonic() - start
        self.assertEqual(got, body)
        # A client waiting for the head (and its timeout) gets it at once.
        self.assertLess(head_after, 1.0)
        # 12 KiB at 4 KB/s: about 3 s in all, half of it sent by mid-way.
        self.assertTrue(2.0 <= elapsed <= 4.5, f'{elapsed:.1f} s for 12 KiB at 4 KB/s')
        self.assertTrue(0.8 <= halfway_after <= 2.5, f'half the body after {halfway_after:.1f} s')
        self.admin('rm-limits', '-e', email)

    def test_a_stop_is_not_held_up_by_a_paced_download(self):
        gw = harness.Gateway().start()
        try:
            out = subprocess.run([cli_path(), 'create-user', '-e', 'slow@example.com', '--data', gw.data_dir],
                                 capture_output=True, text=True, timeout=60, check=True).stdout
            creds = harness.Credentials(out.split('KeyPair[0]:S3AccessKeyId:')[1].split()[0],
                                        out.split('KeyPair[0]:S3SecretAccessKey:')[1].split()[0])
            s3 = gw.client(credentials=creds)
            s3.create_bucket(Bucket='slow')
            s3.put_object(Bucket='slow', Key='k', Body=os.urandom(200 * 1024))
            subprocess.run([cli_path(), 'set-limits', '-e', 'slow@example.com', '-t', 'bandwidth', '-L', 'out=1',
                            '--data', gw.data_dir], capture_output=True, timeout=60, check=True)
            url = s3.generate_presigned_url('get_object', Params={'Bucket': 'slow', 'Key': 'k'})
            response = urllib.request.urlopen(url, timeout=30)  # 200 s at 1 KB/s
            self.assertEqual(len(response.read1(1024)), 1024)
            start = time.monotonic()
        finally:
            gw.stop(timeout=30)
        self.assertLess(time.monotonic() - start, 5.0)
        response.close()

    # ---- quotas ------------------------------------------------------------------

    def test_concurrent_writers_never_take_a_user_past_its_quota(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.admin('set-quotas', '-e', email, '-q', '1')
        body = os.urandom(100 * MiB)
        outcomes, unexpected = [], []
        credentials = self.last_credentials

        def writer(i):
            client = self.gw.client(credentials=credentials, read_timeout=120)
            for j in range(2):
                try:
                    client.put_object(Bucket=bucket, Key=f'w{i}-{j}', Body=body)
                    outcomes.append('ok')
                except harness.ClientError as e:
                    if harness.http_status(e) == 403 and harness.error_code(e) == 'QuotaExceeded':
                        outcomes.append('refused')
                    else:
                        unexpected.append(e.response)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(unexpected, [])
        stored = sum(o['Size'] for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket)
                     for o in page.get('Contents', []))
        self.assertLessEqual(stored, GiB)
        self.assertEqual(stored, outcomes.count('ok') * len(body))
        self.assertGreaterEqual(outcomes.count('ok'), 9, 'the quota should fit 10 objects of 100 MiB')
        self.assertGreater(outcomes.count('refused'), 0)
        # Room again after a delete.
        s3.delete_object(Bucket=bucket, Key=next(o['Key'] for o in s3.list_objects_v2(Bucket=bucket)['Contents']))
        self.put(bucket, 'after-delete', body, client=s3)

    def test_copy_and_upload_part_past_a_bucket_quota_are_refused_and_store_nothing(self):
        _, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.admin('set-quotas', '-b', bucket, '-q', '1')
        body = os.urandom(100 * MiB)
        self.put(bucket, 'src', body, client=s3)
        for i in range(9):  # 1000 of the 1024 MiB
            self.put(bucket, f'fill{i}', body, client=s3)
        self.assertClientError(s3.copy_object, 403, 'QuotaExceeded', Bucket=bucket, Key='copy',
                               CopySource={'Bucket': bucket, 'Key': 'src'})
        self.assertClientError(s3.head_object, 404, None, Bucket=bucket, Key='copy')
        upload = s3.create_multipart_upload(Bucket=bucket, Key='mp')['UploadId']
        self.assertClientError(s3.upload_part, 403, 'QuotaExceeded', Bucket=bucket, Key='mp', UploadId=upload,
                               PartNumber=1, Body=os.urandom(30 * MiB))
        self.assertEqual(s3.list_parts(Bucket=bucket, Key='mp', UploadId=upload).get('Parts', []), [])
        s3.abort_multipart_upload(Bucket=bucket, Key='mp', UploadId=upload)
        self.assertGreater(self.metrics()['ostor_quota_refusals_total'], 0)

    def test_default_user_quota_applies_to_users_without_their_own(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.admin('set-quotas', '-o', 'user', '-q', '1')
        try:
            body = os.urandom(400 * MiB)
            self.put(bucket, 'a', body, client=s3)
            self.put(bucket, 'b', body, client=s3)
            self.assertClientError(s3.put_object, 403, 'QuotaExceeded', Bucket=bucket, Key='c', Body=body)
            # The user's own quota beats the default.
            self.admin('set-quotas', '-e', email, '-q', '2')
            self.put(bucket, 'c', body, client=s3)
        finally:
            self.admin('rm-quotas', '-o', 'user')

    # ---- user state ------------------------------------------------------------------

    def test_disabled_user_is_refused_and_works_again_once_enabled(self):
        email, s3 = self.new_user()
        bucket = self.new_bucket(s3)
        self.put(bucket, 'k', b'v', client=s3)
        self.admin('disable-user', '-e', email)
        self.assertClientError(s3.get_object, 403, 'AccessDenied', Bucket=bucket, Key='k')
        self.assertClientError(s3.put_object, 403, 'AccessDenied', Bucket=bucket, Key='k2', Body=b'v')
        self.admin('enable-user', '-e', email)
        self.assertEqual(self.get_body(bucket, 'k', client=s3), b'v')


if __name__ == '__main__':
    unittest.main(verbosity=2)
