#!/usr/bin/env python3
"""Addressing: virtual-host style (bucket in the Host header) with --domain,
alongside path style, signed with SigV4 and SigV2; and a restart on an
existing data directory (no new keys printed, data kept)."""

import signal

from harness import GatewayTestCase, main, md5_hex, unique_bucket

DOMAIN = 's3.ostor.test'


class VirtualHostTests(GatewayTestCase):
    gateway_args = ('--domain', DOMAIN)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('vhost')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.vhost = f'{cls.bucket}.{DOMAIN}:{cls.gw.port}'

    def test_put_get_virtual_host(self):
        body = b'virtual host body'
        r = self.gw.request('PUT', '/dir/key.txt', host=self.vhost, body=body)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('ETag'), f'"{md5_hex(body)}"')
        r = self.gw.request('GET', '/dir/key.txt', host=self.vhost)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, body)
        # The same object, path style.
        self.assertEqual(self.get_body(self.bucket, 'dir/key.txt'), body)

    def test_list_virtual_host(self):
        self.put(self.bucket, 'listed/a', b'1')
        r = self.gw.request('GET', '/', 'list-type=2&prefix=listed%2F', host=self.vhost)
        self.assertEqual(r.status, 200, repr(r))
        root = r.xml()
        self.assertEqual(root.tag, 'ListBucketResult')
        self.assertEqual(root.findtext('Name'), self.bucket)
        self.assertEqual([c.findtext('Key') for c in root.findall('Contents')], ['listed/a'])

    def test_host_without_port(self):
        self.put(self.bucket, 'noport', b'np')
        r = self.gw.request('GET', '/noport', host=f'{self.bucket}.{DOMAIN}')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'np')

    def test_sigv2_virtual_host(self):
        # SigV2's canonical resource names the bucket even in virtual-host style.
        self.put(self.bucket, 'v2', b'v2 vhost')
        r = self.gw.request('GET', '/v2', host=self.vhost, auth='v2', auth_path=f'/{self.bucket}/v2')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'v2 vhost')

    def test_virtual_host_missing_bucket(self):
        r = self.gw.request('GET', '/k', host=f'{unique_bucket("nb")}.{DOMAIN}:{self.gw.port}')
        self.assertError(r, 404, 'NoSuchBucket')

    def test_service_endpoint_is_path_style(self):
        # The bare domain is the service endpoint: ListBuckets, and path style below it.
        r = self.gw.request('GET', '/', host=f'{DOMAIN}:{self.gw.port}')
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn(self.bucket, [b.findtext('Name') for b in r.xml().iter('Bucket')])
        self.put(self.bucket, 'ps', b'path style')
        r = self.gw.request('GET', f'/{self.bucket}/ps', host=f'{DOMAIN}:{self.gw.port}')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'path style')

    def test_create_bucket_virtual_host(self):
        name = unique_bucket('vcreate')
        r = self.gw.request('PUT', '/', host=f'{name}.{DOMAIN}:{self.gw.port}')
        self.assertEqual(r.status, 200, repr(r))
        self.s3.head_bucket(Bucket=name)


class RestartTests(GatewayTestCase):

    def test_restart_keeps_data_and_keys(self):
        b = self.new_bucket()
        self.put(b, 'persist', b'survives a restart')
        # SIGINT this time (SIGTERM at the end): both stop it cleanly, checked by the harness.
        self.gw.restart(sig=signal.SIGINT)
        self.assertTrue(self.gw.port)
        self.assertFalse([x for x in self.gw.stdout_lines if 'S3SecretAccessKey' in x], self.gw.stdout_lines)
        c = self.gw.client()
        self.assertEqual(c.get_object(Bucket=b, Key='persist')['Body'].read(), b'survives a restart')
        self.assertIn(b, [x['Name'] for x in c.list_buckets()['Buckets']])


if __name__ == '__main__':
    main()
