#!/usr/bin/env python3
"""The access log (--access-log FILE): one line a request, eleven fields
(time, client, user, method, bucket, key, status, bytes in, bytes out,
duration in ms, request id), written when the answer is done; the key is
percent-encoded so that no field holds a space. A log that cannot be
opened stops the start with a message."""

import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import requests

from harness import GatewayTestCase, fresh_volume, gateway_path, main, on_rados, remove_rados_volume

FIELDS = ('time', 'client', 'user', 'method', 'bucket', 'key', 'status', 'bytes_in', 'bytes_out', 'duration_ms',
          'request_id')


class AccessLogTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        cls.log_dir = tempfile.mkdtemp(prefix='ostor-access-log-')
        cls.addClassCleanup(shutil.rmtree, cls.log_dir, ignore_errors=True)
        cls.log_path = os.path.join(cls.log_dir, 'access.log')
        cls.gateway_args = ('--access-log', cls.log_path)
        super().setUpClass()

    def entries(self, request_id):
        """The log's entry for a request id (waits briefly: the line is written
        after the answer has gone out)."""
        deadline = time.monotonic() + 5
        while True:
            with open(self.log_path) as f:
                for line in f:
                    fields = line.rstrip('\n').split(' ')
                    self.assertEqual(len(fields), len(FIELDS), line)
                    if fields[-1] == request_id:
                        return dict(zip(FIELDS, fields))
            if time.monotonic() > deadline:
                self.fail(f'no access log line for request {request_id}')
            time.sleep(0.05)

    def test_a_put_and_a_get_are_logged_with_user_bucket_key_and_bytes(self):
        bucket = self.new_bucket(prefix='log')
        key = 'a dir/naïve key.txt'
        body = b'x' * 1234
        put = self.put(bucket, key, body)
        entry = self.entries(put['ResponseMetadata']['RequestId'])
        self.assertEqual(entry['client'], '127.0.0.1')
        self.assertEqual(entry['user'], self.gw.access_key[:16])
        self.assertEqual(entry['method'], 'PUT')
        self.assertEqual(entry['bucket'], bucket)
        self.assertEqual(entry['key'], 'a%20dir/na%C3%AFve%20key.txt')
        self.assertEqual(entry['status'], '200')
        self.assertEqual(entry['bytes_in'], '1234')
        self.assertRegex(entry['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
        self.assertGreaterEqual(float(entry['duration_ms']), 0)

        got = self.s3.get_object(Bucket=bucket, Key=key)
        self.assertEqual(got['Body'].read(), body)
        entry = self.entries(got['ResponseMetadata']['RequestId'])
        self.assertEqual((entry['method'], entry['status'], entry['bytes_in'], entry['bytes_out']),
                         ('GET', '200', '0', '1234'))

    def test_a_browser_upload_is_logged_with_its_forms_key(self):
        bucket = self.new_bucket(prefix='log')
        post = self.s3.generate_presigned_post(bucket, 'up/${filename}', ExpiresIn=600)
        r = requests.post(post['url'], data=post['fields'], files={'file': ('c.txt', b'form')}, timeout=30)
        self.assertEqual(r.status_code, 204, r.text)
        entry = self.entries(r.headers['x-amz-request-id'])
        self.assertEqual((entry['method'], entry['bucket'], entry['key']), ('POST', bucket, 'up/c.txt'))

    def test_refusals_and_anonymous_requests_are_logged(self):
        bucket = self.new_bucket(prefix='log')
        r = self.gw.request('GET', f'/{bucket}/missing')
        self.assertEqual(r.status, 404)
        entry = self.entries(r.header('x-amz-request-id'))
        self.assertEqual((entry['status'], entry['bucket'], entry['key']), ('404', bucket, 'missing'))

        r = self.gw.request('GET', '/', auth=None)
        self.assertEqual(r.status, 403)
        entry = self.entries(r.header('x-amz-request-id'))
        self.assertEqual((entry['user'], entry['bucket'], entry['key'], entry['status']), ('-', '-', '-', '403'))

    def test_a_bucket_name_cannot_add_lines_or_fields(self):
        forged = 'x\n2026-12-03T00:00:00.000Z 1.2.3.4 admin DELETE victim key'
        r = self.gw.request('GET', '/' + urllib.parse.quote(forged, safe='') + '/k', auth=None)
        entry = self.entries(r.header('x-amz-request-id'))  # every line has eleven fields
        self.assertEqual(urllib.parse.unquote(entry['bucket']), forged)
        with open(self.log_path) as f:
            self.assertEqual({line.split(' ')[1] for line in f}, {'127.0.0.1'})

    def test_a_log_that_cannot_be_opened_stops_the_start(self):
        data = tempfile.mkdtemp(prefix='ostor-access-log-data-')
        spec, data_args = fresh_volume(data)
        try:
            run = subprocess.run([gateway_path()] + data_args + ['--listen', '127.0.0.1:0',
                                  '--access-log', os.path.join(data, 'no-such-dir', 'access.log')],
                                 capture_output=True, text=True, timeout=30)
            self.assertNotEqual(run.returncode, 0)
            self.assertIn('cannot open the access log', run.stderr)
        finally:
            shutil.rmtree(data, ignore_errors=True)
            if on_rados():
                remove_rados_volume(spec)


if __name__ == '__main__':
    main()
