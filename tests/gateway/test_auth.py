#!/usr/bin/env python3
"""Authentication: SigV4 header (signed and UNSIGNED-PAYLOAD), presigned
SigV4 URLs, SigV2 header and query string, and every refusal a client sees:
SignatureDoesNotMatch, InvalidAccessKeyId, RequestTimeTooSkewed, expired
URLs, anonymous AccessDenied, payload hash mismatch."""

import datetime
import hashlib
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import (AWSRequest, Config, Credentials, GatewayTestCase, SigV4, boto3, main, md5_b64, md5_hex,
                     parse_xml, query, unique_bucket)


def fetch(url, method='GET', data=None, headers=None):
    """urllib, as a browser or curl would use a presigned URL: (status, headers, body)."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def xml_code(body):
    return parse_xml(body).findtext('Code')


class AuthTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('auth')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key='obj', Body=b'protected content')

    def now(self):
        return datetime.datetime.now(datetime.timezone.utc)

    # ---- SigV4 header ----------------------------------------------------
    def test_sigv4_header_signed_payload(self):
        body = b'signed payload body'
        r = self.gw.request('PUT', f'/{self.bucket}/v4-signed', body=body)
        self.assertEqual(r.status, 200, repr(r))
        r = self.gw.request('GET', f'/{self.bucket}/v4-signed')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, body)

    def test_sigv4_unsigned_payload(self):
        body = b'unsigned payload body'
        r = self.gw.request('PUT', f'/{self.bucket}/v4-unsigned', body=body, payload_hash='UNSIGNED-PAYLOAD')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.get_body(self.bucket, 'v4-unsigned'), body)

    def test_sigv4_payload_hash_mismatch(self):
        r = self.gw.request('PUT', f'/{self.bucket}/v4-mismatch', body=b'actual body',
                            payload_hash=hashlib.sha256(b'another body').hexdigest())
        self.assertError(r, 400, 'XAmzContentSHA256Mismatch')
        self.assertNoObject(self.bucket, 'v4-mismatch')

    def test_sigv4_any_region(self):
        # Any region in the credential scope is accepted (s3cmd signs with "US").
        for region in ('US', 'eu-central-1', 'us-west-2'):
            with self.subTest(region=region):
                r = self.gw.request('GET', f'/{self.bucket}/obj', region=region)
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.body, b'protected content')
        c = boto3.session.Session().client(
            's3', endpoint_url=self.gw.endpoint, region_name='eu-central-1',
            aws_access_key_id=self.gw.access_key, aws_secret_access_key=self.gw.secret_key,
            config=Config(signature_version='s3v4', s3={'addressing_style': 'path'},
                          retries={'total_max_attempts': 1}))
        self.assertEqual(c.get_object(Bucket=self.bucket, Key='obj')['Body'].read(), b'protected content')

    def signed_headers(self, method, target, headers=None):
        req = AWSRequest(method=method, url=self.gw.endpoint + target,
                         headers=dict({'Host': self.gw.hostport}, **(headers or {})))
        SigV4(self.gw.credentials).add_auth(req)
        return list(req.headers.items())

    def test_sigv4_tampered_after_signing(self):
        target = f'/{self.bucket}/obj'
        # Untampered, the same construction works.
        r = self.gw.send('GET', target, self.signed_headers('GET', target, {'Range': 'bytes=0-3'}))
        self.assertEqual(r.status, 206, repr(r))
        # A signed header changed after signing.
        hdrs = [(k, 'bytes=0-4' if k == 'Range' else v)
                for k, v in self.signed_headers('GET', target, {'Range': 'bytes=0-3'})]
        self.assertError(self.gw.send('GET', target, hdrs), 403, 'SignatureDoesNotMatch')
        # The path changed after signing.
        hdrs = self.signed_headers('GET', target)
        self.assertError(self.gw.send('GET', target + '2', hdrs), 403, 'SignatureDoesNotMatch')
        # A query parameter added after signing.
        self.assertError(self.gw.send('GET', target + '?response-content-type=text%2Fhtml', hdrs), 403,
                         'SignatureDoesNotMatch')
        # The method changed after signing.
        self.assertError(self.gw.send('DELETE', target, hdrs), 403, 'SignatureDoesNotMatch')
        self.assertEqual(self.get_body(self.bucket, 'obj'), b'protected content')

    def test_malformed_authorization(self):
        for value in ('AWS4-HMAC-SHA256 garbage', 'AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=',
                      'Bearer abc', 'AWS nocolon'):
            with self.subTest(value=value):
                r = self.gw.send('GET', f'/{self.bucket}/obj', [('Host', self.gw.hostport), ('Authorization', value),
                                                                ('x-amz-date', self.now().strftime('%Y%m%dT%H%M%SZ')),
                                                                ('x-amz-content-sha256', 'UNSIGNED-PAYLOAD')])
                self.assertIn(r.status, (400, 403), repr(r))
                self.assertTrue(r.error_code, repr(r))
                if value == 'AWS nocolon':  # s3-tests' test_*_create_bad_authorization_invalid_aws2
                    self.assertError(r, 400, 'InvalidArgument')
        self.assertServing()

    # ---- refusals ----------------------------------------------------------
    def test_wrong_secret(self):
        bad = self.gw.client(Credentials(self.gw.access_key, 'x' * 40))
        self.assertClientError(bad.list_buckets, 403, 'SignatureDoesNotMatch')
        self.assertClientError(bad.get_object, 403, 'SignatureDoesNotMatch', Bucket=self.bucket, Key='obj')
        self.assertClientError(bad.put_object, 403, 'SignatureDoesNotMatch', Bucket=self.bucket, Key='bad-secret',
                               Body=b'x')
        self.assertNoObject(self.bucket, 'bad-secret')
        r = self.gw.request('GET', f'/{self.bucket}/obj', credentials=Credentials(self.gw.access_key, 'y' * 40),
                            auth='v2')
        self.assertError(r, 403, 'SignatureDoesNotMatch')

    def test_unknown_access_key(self):
        bad = self.gw.client(Credentials('AKIDUNKNOWN000000000', 'x' * 40))
        self.assertClientError(bad.list_buckets, 403, 'InvalidAccessKeyId')
        self.assertClientError(bad.get_object, 403, 'InvalidAccessKeyId', Bucket=self.bucket, Key='obj')
        r = self.gw.request('GET', f'/{self.bucket}/obj', credentials=Credentials('AKIDUNKNOWN000000000', 'x' * 40),
                            auth='v2')
        self.assertError(r, 403, 'InvalidAccessKeyId')

    def test_clock_skew(self):
        for minutes in (-20, 20, -60 * 24):
            with self.subTest(minutes=minutes):
                when = self.now() + datetime.timedelta(minutes=minutes)
                r = self.gw.request('GET', f'/{self.bucket}/obj', when=when)
                self.assertError(r, 403, 'RequestTimeTooSkewed')
                r = self.gw.request('PUT', f'/{self.bucket}/skewed', when=when, body=b'x')
                self.assertError(r, 403, 'RequestTimeTooSkewed')
                r = self.gw.request('GET', f'/{self.bucket}/obj', when=when, auth='v2')
                self.assertError(r, 403, 'RequestTimeTooSkewed')
        self.assertNoObject(self.bucket, 'skewed')
        # Inside the 15-minute window is fine (clients' clocks drift).
        for minutes in (-10, 10):
            with self.subTest(minutes=minutes):
                when = self.now() + datetime.timedelta(minutes=minutes)
                self.assertEqual(self.gw.request('GET', f'/{self.bucket}/obj', when=when).status, 200)
                self.assertEqual(self.gw.request('GET', f'/{self.bucket}/obj', when=when, auth='v2').status, 200)

    def test_anonymous_denied(self):
        r = self.gw.request('GET', '/', auth=None)
        self.assertError(r, 403, 'AccessDenied')
        r = self.gw.request('GET', f'/{self.bucket}', auth=None)
        self.assertError(r, 403, 'AccessDenied')
        r = self.gw.request('GET', f'/{self.bucket}/obj', auth=None)
        self.assertError(r, 403, 'AccessDenied')
        r = self.gw.request('PUT', f'/{self.bucket}/anon', auth=None, body=b'x')
        self.assertError(r, 403, 'AccessDenied')
        r = self.gw.request('DELETE', f'/{self.bucket}/obj', auth=None)
        self.assertError(r, 403, 'AccessDenied')
        self.assertNoObject(self.bucket, 'anon')
        self.assertEqual(self.get_body(self.bucket, 'obj'), b'protected content')
        anon = self.gw.anonymous_client()
        self.assertClientError(anon.get_object, 403, 'AccessDenied', Bucket=self.bucket, Key='obj')

    # ---- presigned SigV4 -------------------------------------------------
    def test_presigned_get(self):
        url = self.s3.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'},
                                             ExpiresIn=300)
        self.assertIn('X-Amz-Signature=', url)
        status, headers, body = fetch(url)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b'protected content')
        self.assertEqual(headers['ETag'], f'"{md5_hex(b"protected content")}"')
        # HEAD through a presigned URL for HEAD.
        url = self.s3.generate_presigned_url('head_object', Params={'Bucket': self.bucket, 'Key': 'obj'},
                                             ExpiresIn=300)
        status, headers, body = fetch(url, method='HEAD')
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Length'], str(len(b'protected content')))

    def test_presigned_get_with_response_overrides(self):
        url = self.s3.generate_presigned_url('get_object', Params={
            'Bucket': self.bucket, 'Key': 'obj', 'ResponseContentDisposition': 'attachment; filename="dl.txt"',
            'ResponseContentType': 'text/plain'}, ExpiresIn=300)
        status, headers, body = fetch(url)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers['Content-Disposition'], 'attachment; filename="dl.txt"')
        self.assertEqual(headers['Content-Type'], 'text/plain')

    def test_presigned_put(self):
        data = b'uploaded through a presigned URL'
        url = self.s3.generate_presigned_url('put_object', Params={'Bucket': self.bucket, 'Key': 'presigned-put'},
                                             ExpiresIn=300)
        status, _, body = fetch(url, method='PUT', data=data, headers={'Content-Type': 'application/octet-stream'})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.get_body(self.bucket, 'presigned-put'), data)

    def test_presigned_tampered(self):
        url = self.s3.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'},
                                             ExpiresIn=300)
        parts = urllib.parse.urlsplit(url)
        q = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        sig = dict(q)['X-Amz-Signature']
        flipped = ('0' if sig[0] != '0' else '1') + sig[1:]
        bad = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(
            [(k, flipped if k == 'X-Amz-Signature' else v) for k, v in q])))
        status, _, body = fetch(bad)
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'SignatureDoesNotMatch')
        # Same signature, another key.
        other = urllib.parse.urlunsplit(parts._replace(path=parts.path + '2'))
        status, _, body = fetch(other)
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'SignatureDoesNotMatch')
        # A presigned GET URL used for a PUT.
        status, _, body = fetch(url, method='PUT', data=b'overwrite')
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'SignatureDoesNotMatch')
        self.assertEqual(self.get_body(self.bucket, 'obj'), b'protected content')

    def test_presigned_expired(self):
        url = self.s3.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'},
                                             ExpiresIn=1)
        time.sleep(2.2)
        status, _, body = fetch(url)
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'AccessDenied')

    def test_presigned_unknown_key(self):
        c = self.gw.client(Credentials('AKIDUNKNOWN000000000', 'x' * 40))
        url = c.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'}, ExpiresIn=300)
        status, _, body = fetch(url)
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'InvalidAccessKeyId')

    # ---- SigV2 -------------------------------------------------------------
    def test_sigv2_header(self):
        body = b'v2 body'
        r = self.gw.request('PUT', f'/{self.bucket}/v2-obj', auth='v2', body=body,
                            headers={'Content-Type': 'text/plain', 'Content-MD5': md5_b64(body),
                                     'x-amz-meta-sig': 'two'})
        self.assertEqual(r.status, 200, repr(r))
        r = self.gw.request('GET', f'/{self.bucket}/v2-obj', auth='v2')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, body)
        self.assertEqual(r.header('x-amz-meta-sig'), 'two')
        # Sub-resources are part of the V2 string to sign.
        r = self.gw.request('GET', f'/{self.bucket}', 'acl', auth='v2')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.xml().tag, 'AccessControlPolicy')
        r = self.gw.request('GET', f'/{self.bucket}', query({'prefix': 'v2-', 'delimiter': '/'}), auth='v2')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual([c.findtext('Key') for c in r.xml().findall('Contents')], ['v2-obj'])
        r = self.gw.request('GET', '/', auth='v2')
        self.assertEqual(r.status, 200, repr(r))
        r = self.gw.request('DELETE', f'/{self.bucket}/v2-obj', auth='v2')
        self.assertEqual(r.status, 204, repr(r))

    def test_sigv2_with_boto3(self):
        c = self.gw.client(signature_version='s3')
        self.assertEqual(c.get_object(Bucket=self.bucket, Key='obj')['Body'].read(), b'protected content')
        c.put_object(Bucket=self.bucket, Key='v2-boto', Body=b'abc')
        self.assertEqual(self.get_body(self.bucket, 'v2-boto'), b'abc')

    def test_sigv2_query_presign(self):
        c = self.gw.client(signature_version='s3')
        url = c.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'}, ExpiresIn=300)
        self.assertIn('AWSAccessKeyId=', url)
        self.assertIn('Signature=', url)
        status, _, body = fetch(url)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b'protected content')
        # Presigned V2 PUT: the Content-Type the uploader will send is part of the signature.
        url = c.generate_presigned_url('put_object', Params={'Bucket': self.bucket, 'Key': 'v2-presigned',
                                                             'ContentType': 'text/plain'}, ExpiresIn=300)
        status, _, body = fetch(url, method='PUT', data=b'v2 put', headers={'Content-Type': 'text/plain'})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.get_body(self.bucket, 'v2-presigned'), b'v2 put')
        status, _, body = fetch(url, method='PUT', data=b'v2 put 2', headers={'Content-Type': 'text/html'})
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'SignatureDoesNotMatch')
        self.assertEqual(self.get_body(self.bucket, 'v2-presigned'), b'v2 put')
        # Expired.
        url = c.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'}, ExpiresIn=-60)
        status, _, body = fetch(url)
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'AccessDenied')
        # Tampered.
        url = c.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'obj'}, ExpiresIn=300)
        status, _, body = fetch(url.replace(f'/{self.bucket}/obj', f'/{self.bucket}/obj-other'))
        self.assertEqual(status, 403)
        self.assertEqual(xml_code(body), 'SignatureDoesNotMatch')

    # ---- ignored query parameters -----------------------------------------
    def test_unknown_query_parameters_ignored(self):
        r = self.gw.request('PUT', f'/{self.bucket}/xid', query({'x-id': 'PutObject'}), body=b'xid')
        self.assertEqual(r.status, 200, repr(r))
        r = self.gw.request('GET', f'/{self.bucket}/xid', query({'x-id': 'GetObject'}))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'xid')
        r = self.gw.request('GET', f'/{self.bucket}/xid', query({'x-id': 'GetObject'}), auth='v2')
        self.assertEqual(r.status, 200, repr(r))


if __name__ == '__main__':
    main()
