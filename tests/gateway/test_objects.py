#!/usr/bin/env python3
"""Objects: put/get/head/delete, metadata and standard headers, Content-MD5,
ranged GET, conditional GET/HEAD, odd keys, empty and large objects."""

import base64
import datetime
import email.utils
import hashlib
import os

from harness import (GatewayTestCase, MiB, http_date, main, md5_b64, md5_hex, quote_key, query,
                     unique_bucket)


class ObjectTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('obj')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_put_get_head_delete(self):
        body = b'hello, ostor\n' * 100
        r = self.put(self.bucket, 'greeting.txt', body, ContentType='text/plain')
        self.assertEqual(r['ETag'], f'"{md5_hex(body)}"')

        g = self.s3.get_object(Bucket=self.bucket, Key='greeting.txt')
        self.assertEqual(g['Body'].read(), body)
        self.assertEqual(g['ETag'], f'"{md5_hex(body)}"')
        self.assertEqual(g['ContentLength'], len(body))
        self.assertEqual(g['ContentType'], 'text/plain')
        lm = g['LastModified']
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - lm).total_seconds()), 300)
        self.assertEqual(g['ResponseMetadata']['HTTPHeaders'].get('accept-ranges'), 'bytes')

        h = self.s3.head_object(Bucket=self.bucket, Key='greeting.txt')
        self.assertEqual(h['ContentLength'], len(body))
        self.assertEqual(h['ETag'], f'"{md5_hex(body)}"')
        self.assertEqual(h['LastModified'], lm)
        self.assertEqual(h['ContentType'], 'text/plain')

        # Raw HEAD: Content-Length is the object's size, and no body follows.
        rh = self.gw.request('HEAD', f'/{self.bucket}/greeting.txt')
        self.assertEqual(rh.status, 200)
        self.assertEqual(rh.header('Content-Length'), str(len(body)))
        self.assertEqual(rh.body, b'')
        self.assertIsNotNone(email.utils.parsedate_to_datetime(rh.header('Last-Modified')))

        d = self.s3.delete_object(Bucket=self.bucket, Key='greeting.txt')
        self.assertEqual(d['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.get_object, 404, 'NoSuchKey', Bucket=self.bucket, Key='greeting.txt')
        self.assertNoObject(self.bucket, 'greeting.txt')

    def test_no_such_key_error_body(self):
        r = self.gw.request('GET', f'/{self.bucket}/no/such/key')
        self.assertError(r, 404, 'NoSuchKey')
        self.assertEqual(r.xml().findtext('Key'), 'no/such/key')
        self.assertTrue(r.header('Content-Type', '').startswith('application/xml'), r.header('Content-Type'))
        self.assertTrue(r.header('x-amz-request-id'))
        # HEAD of a missing key: 404 with no body.
        h = self.gw.request('HEAD', f'/{self.bucket}/no/such/key')
        self.assertEqual(h.status, 404)
        self.assertEqual(h.body, b'')

    def test_overwrite(self):
        self.put(self.bucket, 'ow', b'first version')
        self.put(self.bucket, 'ow', b'second')
        self.assertEqual(self.get_body(self.bucket, 'ow'), b'second')
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key='ow')['ContentLength'], 6)

    def test_delete_missing_key(self):
        r = self.s3.delete_object(Bucket=self.bucket, Key='never-existed')
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        raw = self.gw.request('DELETE', f'/{self.bucket}/never-existed')
        self.assertEqual(raw.status, 204, repr(raw))
        self.assertClientError(self.s3.delete_object, 404, 'NoSuchBucket', Bucket=unique_bucket('nb'), Key='k')

    def test_zero_byte_object(self):
        r = self.put(self.bucket, 'empty', b'')
        self.assertEqual(r['ETag'], '"d41d8cd98f00b204e9800998ecf8427e"')
        g = self.s3.get_object(Bucket=self.bucket, Key='empty')
        self.assertEqual(g['ContentLength'], 0)
        self.assertEqual(g['Body'].read(), b'')
        raw = self.gw.request('GET', f'/{self.bucket}/empty')
        self.assertEqual(raw.status, 200)
        self.assertEqual(raw.header('Content-Length'), '0')
        self.assertEqual(raw.body, b'')

    def test_metadata_and_standard_headers(self):
        expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        meta = {'color': 'blue', 'multi-word': 'Value With Spaces', 'empty-ish': '-'}
        self.put(self.bucket, 'meta', b'{}', ContentType='application/json', Metadata=meta,
                 CacheControl='max-age=60', ContentDisposition='attachment; filename="a.json"',
                 ContentEncoding='identity', ContentLanguage='de-DE', Expires=expires)
        for op in (self.s3.get_object, self.s3.head_object):
            with self.subTest(op=op.__name__):
                r = op(Bucket=self.bucket, Key='meta')
                self.assertEqual(r['Metadata'], meta)
                self.assertEqual(r['ContentType'], 'application/json')
                self.assertEqual(r['CacheControl'], 'max-age=60')
                self.assertEqual(r['ContentDisposition'], 'attachment; filename="a.json"')
                self.assertEqual(r['ContentEncoding'], 'identity')
                self.assertEqual(r['ContentLanguage'], 'de-DE')
                hdrs = r['ResponseMetadata']['HTTPHeaders']
                self.assertEqual(email.utils.parsedate_to_datetime(hdrs['expires']), expires)
        # User metadata names are case-insensitive and come back lower-cased.
        raw = self.gw.request('PUT', f'/{self.bucket}/meta2', headers={'X-Amz-Meta-MixedCase': 'v1'}, body=b'x')
        self.assertEqual(raw.status, 200, repr(raw))
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key='meta2')['Metadata'], {'mixedcase': 'v1'})

    def test_non_ascii_metadata_is_rfc2047(self):
        """As S3: encoded-words in x-amz-meta-* values are decoded before
        storing, and a non-ASCII value goes back as =?UTF-8?B?...?=; ASCII
        values pass as sent, encoded-word look-alikes included."""
        b = self.new_bucket()

        def b_words(text):
            """S3's form of a non-ASCII value: B words of whole characters,
            at most 75 characters each (45 bytes of text), a space between."""
            chunks = [b'']
            for ch in text:
                if len(chunks[-1]) + len(ch.encode()) > 45:
                    chunks.append(b'')
                chunks[-1] += ch.encode()
            return ' '.join('=?UTF-8?B?' + base64.b64encode(c).decode() + '?=' for c in chunks)

        text = 'Grüße, 世界 €'
        word = b_words(text)
        self.assertEqual(word, '=?UTF-8?B?' + base64.b64encode(text.encode()).decode() + '?=')
        ascii_meta = {'plain': 'just ascii', 'lookalike': '=?UTF-8?X?abc?='}

        def metadata(key):
            got = {}
            for op in (self.s3.get_object, self.s3.head_object):
                got[op.__name__] = op(Bucket=b, Key=key)['Metadata']
            self.assertEqual(got['get_object'], got['head_object'], key)
            return got['head_object']

        # Raw UTF-8 in the header (botocore refuses non-ASCII Metadata, so
        # the header is set after its check), as sent.
        raw_client = self.gw.client()
        raw_client.meta.events.register('before-call.s3.PutObject', lambda params, **kw: params['headers'].update(
            {'x-amz-meta-text': text}))
        raw_client.put_object(Bucket=b, Key='raw', Body=b'x', Metadata=ascii_meta)
        self.assertEqual(metadata('raw'), {'text': word, **ascii_meta})
        # An encoded-word in B or in Q (words split, lower case) is decoded,
        # then encoded the one way; an ASCII word comes back plain.
        q_words = '=?utf-8?q?Gr=C3=BC=C3=9Fe,_?= =?UTF-8?Q?=E4=B8=96=E7=95=8C_=E2=82=AC?='
        for key, sent in (('b-word', word), ('q-words', q_words)):
            self.put(b, key, b'x', Metadata={'text': sent})
            self.assertEqual(metadata(key), {'text': word}, key)
        self.put(b, 'ascii-word', b'x', Metadata={'text': '=?UTF-8?Q?plain_text?='})
        self.assertEqual(metadata('ascii-word'), {'text': 'plain text'})
        # The 2 KB limit counts what is stored: a long encoding of short text fits.
        short = '€' * 600
        self.assertGreater(len(short.encode()), 1024)
        q_long = '=?UTF-8?Q?' + ''.join('=%02X' % c for c in short.encode()) + '?='
        self.assertGreater(len(q_long), 2048)
        self.put(b, 'long-q', b'x', Metadata={'t': q_long})
        self.assertEqual(metadata('long-q'), {'t': b_words(short)})
        self.assertTrue(all(len(w) <= 75 for w in metadata('long-q')['t'].split(' ')))
        # A copy keeps it (COPY) or decodes what replaces it (REPLACE).
        self.s3.copy_object(Bucket=b, Key='copied', CopySource={'Bucket': b, 'Key': 'q-words'})
        self.assertEqual(metadata('copied'), {'text': word})
        self.s3.copy_object(Bucket=b, Key='replaced', CopySource={'Bucket': b, 'Key': 'raw'},
                            MetadataDirective='REPLACE', Metadata={'other': q_words})
        self.assertEqual(metadata('replaced'), {'other': word})
        # A multipart upload's metadata likewise.
        up = self.s3.create_multipart_upload(Bucket=b, Key='mp', Metadata={'text': q_words})
        part = self.s3.upload_part(Bucket=b, Key='mp', UploadId=up['UploadId'], PartNumber=1, Body=b'x')
        self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up['UploadId'], MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
        self.assertEqual(metadata('mp'), {'text': word})

    def test_response_header_overrides(self):
        self.put(self.bucket, 'override', b'data', ContentType='text/plain')
        r = self.s3.get_object(Bucket=self.bucket, Key='override', ResponseContentType='image/png',
                               ResponseContentDisposition='attachment; filename="x.png"',
                               ResponseCacheControl='no-cache')
        self.assertEqual(r['ContentType'], 'image/png')
        self.assertEqual(r['ContentDisposition'], 'attachment; filename="x.png"')
        self.assertEqual(r['CacheControl'], 'no-cache')
        self.assertEqual(r['Body'].read(), b'data')
        # The stored metadata is unchanged.
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key='override')['ContentType'], 'text/plain')

    def test_content_md5(self):
        body = b'checked body'
        r = self.gw.request('PUT', f'/{self.bucket}/md5-good', headers={'Content-MD5': md5_b64(body)}, body=body)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('ETag'), f'"{md5_hex(body)}"')
        self.assertEqual(self.get_body(self.bucket, 'md5-good'), body)

        r = self.gw.request('PUT', f'/{self.bucket}/md5-bad', headers={'Content-MD5': md5_b64(b'other')}, body=body)
        self.assertError(r, 400, 'BadDigest')
        self.assertNoObject(self.bucket, 'md5-bad')

        r = self.gw.request('PUT', f'/{self.bucket}/md5-invalid', headers={'Content-MD5': 'not-base64-md5!'},
                            body=body)
        self.assertError(r, 400, 'InvalidDigest')
        self.assertNoObject(self.bucket, 'md5-invalid')

        # A bad digest does not replace an existing object.
        r = self.gw.request('PUT', f'/{self.bucket}/md5-good', headers={'Content-MD5': md5_b64(b'other')},
                            body=b'replacement')
        self.assertError(r, 400, 'BadDigest')
        self.assertEqual(self.get_body(self.bucket, 'md5-good'), body)

        # Through boto3 too.
        self.put(self.bucket, 'md5-boto', body, ContentMD5=md5_b64(body))
        self.assertClientError(self.s3.put_object, 400, 'BadDigest', Bucket=self.bucket, Key='md5-boto2',
                               Body=body, ContentMD5=md5_b64(b'nope'))

    def test_odd_keys(self):
        keys = ['dir/sub dir/file name.txt', 'ünïcödé/ключ/键', 'plus+sign', 'percent%20literal', 'q?mark#hash',
                'amp&eq=semi;', 'tilde~star*quote\'', 'a//double//slash', 'trailing/', ' leading space',
                'colon:at@dollar$comma,', 'brackets[]{}()']
        for k in keys:
            with self.subTest(key=k):
                body = k.encode()
                self.put(self.bucket, 'odd/' + k, body)
                self.assertEqual(self.get_body(self.bucket, 'odd/' + k), body)
                raw = self.gw.request('GET', '/' + self.bucket + '/' + quote_key('odd/' + k))
                self.assertEqual(raw.status, 200, repr(raw))
                self.assertEqual(raw.body, body)
        listed = [o['Key'] for o in self.s3.list_objects_v2(Bucket=self.bucket, Prefix='odd/')['Contents']]
        self.assertEqual(listed, sorted('odd/' + k for k in keys))

    def test_long_key(self):
        key = 'k' * 1024
        self.put(self.bucket, key, b'long')
        self.assertEqual(self.get_body(self.bucket, key), b'long')
        r = self.gw.request('PUT', f'/{self.bucket}/' + 'k' * 1025, body=b'x')
        self.assertError(r, 400, 'KeyTooLongError')

    def test_large_object_byte_exact(self):
        body = os.urandom(20 * MiB)
        r = self.put(self.bucket, 'big', body)
        self.assertEqual(r['ETag'], f'"{md5_hex(body)}"')
        g = self.s3.get_object(Bucket=self.bucket, Key='big')
        self.assertEqual(g['ContentLength'], len(body))
        got = g['Body'].read()
        self.assertEqual(len(got), len(body))
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(body).hexdigest())
        # A range across the middle.
        start, end = 7 * MiB - 3, 13 * MiB + 5
        part = self.get_body(self.bucket, 'big', Range=f'bytes={start}-{end}')
        self.assertEqual(part, body[start:end + 1])
        self.s3.delete_object(Bucket=self.bucket, Key='big')


class RangeTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('range')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.body = bytes(range(256)) * 4  # 1024 bytes
        cls.s3.put_object(Bucket=cls.bucket, Key='r', Body=cls.body)

    def ranged(self, spec):
        return self.gw.request('GET', f'/{self.bucket}/r', headers={'Range': spec})

    def check(self, spec, first, last):
        r = self.ranged(spec)
        self.assertEqual(r.status, 206, repr(r))
        self.assertEqual(r.body, self.body[first:last + 1])
        self.assertEqual(r.header('Content-Range'), f'bytes {first}-{last}/{len(self.body)}')
        self.assertEqual(r.header('Content-Length'), str(last - first + 1))
        self.assertEqual(r.header('ETag'), f'"{md5_hex(self.body)}"')

    def test_closed_range(self):
        self.check('bytes=0-9', 0, 9)
        self.check('bytes=100-100', 100, 100)
        self.check('bytes=1000-1023', 1000, 1023)

    def test_open_range(self):
        self.check('bytes=1000-', 1000, 1023)
        self.check('bytes=0-', 0, 1023)

    def test_suffix_range(self):
        self.check('bytes=-24', 1000, 1023)
        self.check('bytes=-5000', 0, 1023)  # longer than the object: all of it

    def test_end_past_size_is_clipped(self):
        self.check('bytes=1020-999999', 1020, 1023)

    def test_unsatisfiable(self):
        for spec in ('bytes=1024-', 'bytes=2000-3000'):
            with self.subTest(spec=spec):
                r = self.ranged(spec)
                self.assertError(r, 416, 'InvalidRange')
        self.assertClientError(self.s3.get_object, 416, 'InvalidRange', Bucket=self.bucket, Key='r',
                               Range='bytes=5000-')

    def test_boto3_range(self):
        r = self.s3.get_object(Bucket=self.bucket, Key='r', Range='bytes=10-19')
        self.assertEqual(r['Body'].read(), self.body[10:20])
        self.assertEqual(r['ContentRange'], 'bytes 10-19/1024')
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 206)

    def test_head_with_range(self):
        r = self.gw.request('HEAD', f'/{self.bucket}/r', headers={'Range': 'bytes=0-9'})
        self.assertEqual(r.status, 206, repr(r))
        self.assertEqual(r.header('Content-Length'), '10')
        self.assertEqual(r.header('Content-Range'), 'bytes 0-9/1024')
        self.assertEqual(r.body, b'')


class ConditionalTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('cond')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.body = b'conditional body'
        cls.s3.put_object(Bucket=cls.bucket, Key='c', Body=cls.body)
        h = cls.s3.head_object(Bucket=cls.bucket, Key='c')
        cls.etag = h['ETag']
        cls.lm = h['LastModified']

    def req(self, method, **headers):
        return self.gw.request(method, f'/{self.bucket}/c', headers={k.replace('_', '-'): v
                                                                     for k, v in headers.items()})

    def assert_ok(self, r, method):
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, self.body if method == 'GET' else b'')

    def assert_not_modified(self, r):
        self.assertEqual(r.status, 304, repr(r))
        self.assertEqual(r.body, b'')
        self.assertEqual(r.header('ETag'), self.etag)

    def assert_failed(self, r, method):
        self.assertEqual(r.status, 412, repr(r))
        if method == 'GET':
            self.assertEqual(r.error_code, 'PreconditionFailed')

    def test_if_match(self):
        for m in ('GET', 'HEAD'):
            with self.subTest(method=m):
                self.assert_ok(self.req(m, If_Match=self.etag), m)
                self.assert_failed(self.req(m, If_Match='"00000000000000000000000000000000"'), m)

    def test_if_none_match(self):
        for m in ('GET', 'HEAD'):
            with self.subTest(method=m):
                self.assert_not_modified(self.req(m, If_None_Match=self.etag))
                self.assert_ok(self.req(m, If_None_Match='"00000000000000000000000000000000"'), m)

    def test_if_modified_since(self):
        for m in ('GET', 'HEAD'):
            with self.subTest(method=m):
                self.assert_not_modified(self.req(m, If_Modified_Since=http_date(self.lm)))
                self.assert_ok(self.req(m, If_Modified_Since=http_date(self.lm - datetime.timedelta(days=1))), m)

    def test_if_unmodified_since(self):
        for m in ('GET', 'HEAD'):
            with self.subTest(method=m):
                self.assert_ok(self.req(m, If_Unmodified_Since=http_date(self.lm)), m)
                self.assert_ok(self.req(m, If_Unmodified_Since=http_date(self.lm + datetime.timedelta(days=1))), m)
                self.assert_failed(self.req(m, If_Unmodified_Since=http_date(self.lm - datetime.timedelta(days=1))),
                                   m)

    def test_combinations(self):
        # If-Match true wins over a false If-Unmodified-Since (RFC 7232 / S3 docs).
        self.assert_ok(self.req('GET', If_Match=self.etag,
                                If_Unmodified_Since=http_date(self.lm - datetime.timedelta(days=1))), 'GET')
        # If-None-Match false (it matches) with a true If-Modified-Since: 304.
        self.assert_not_modified(self.req('GET', If_None_Match=self.etag,
                                          If_Modified_Since=http_date(self.lm - datetime.timedelta(days=1))))
        # If-None-Match true (no match) makes If-Modified-Since irrelevant: 200.
        self.assert_ok(self.req('GET', If_None_Match='"0000"', If_Modified_Since=http_date(self.lm)), 'GET')

    def test_boto3_conditions(self):
        self.assertClientError(self.s3.get_object, 412, 'PreconditionFailed', Bucket=self.bucket, Key='c',
                               IfMatch='"deadbeef"')
        e = self.assertClientError(self.s3.get_object, 304, None, Bucket=self.bucket, Key='c',
                                   IfNoneMatch=self.etag)
        self.assertEqual(e.response['Error']['Code'], '304')
        r = self.s3.get_object(Bucket=self.bucket, Key='c', IfMatch=self.etag)
        self.assertEqual(r['Body'].read(), self.body)

    def test_conditions_with_range(self):
        r = self.gw.request('GET', f'/{self.bucket}/c', headers={'If-Match': self.etag, 'Range': 'bytes=0-3'})
        self.assertEqual(r.status, 206, repr(r))
        self.assertEqual(r.body, self.body[:4])
        r = self.gw.request('GET', f'/{self.bucket}/c', headers={'If-Match': '"0000"', 'Range': 'bytes=0-3'})
        self.assertEqual(r.status, 412, repr(r))


class ConditionalWriteTests(GatewayTestCase):
    """PutObject with If-None-Match: * (create only) and If-Match (replace
    only that version): 412 PreconditionFailed otherwise, nothing changed."""

    def put_raw(self, bucket, key, body, **headers):
        return self.gw.request('PUT', f'/{bucket}/{key}', body=body,
                               headers={k.replace('_', '-'): v for k, v in headers.items()})

    def test_if_none_match_star_creates_only(self):
        b = self.new_bucket()
        r = self.put_raw(b, 'k', b'first', If_None_Match='*')
        self.assertEqual(r.status, 200, repr(r))
        self.assertError(self.put_raw(b, 'k', b'second', If_None_Match='*'), 412, 'PreconditionFailed')
        self.assertEqual(self.get_body(b, 'k'), b'first')
        # Only '*' is defined for writes.
        self.assertError(self.put_raw(b, 'k', b'third', If_None_Match='"abc"'), 501, 'NotImplemented')
        self.assertEqual(self.get_body(b, 'k'), b'first')

    def test_if_match_replaces_only_that_version(self):
        b = self.new_bucket()
        etag = self.s3.put_object(Bucket=b, Key='k', Body=b'v1')['ETag']
        r = self.put_raw(b, 'k', b'v2', If_Match=etag)
        self.assertEqual(r.status, 200, repr(r))
        self.assertError(self.put_raw(b, 'k', b'v3', If_Match=etag), 412, 'PreconditionFailed')
        self.assertEqual(self.get_body(b, 'k'), b'v2')
        self.assertError(self.put_raw(b, 'missing', b'v', If_Match=etag), 404, 'NoSuchKey')
        self.assertNoObject(b, 'missing')

    def test_copy_and_complete_take_the_same_conditions(self):
        b = self.new_bucket()
        self.put(b, 'src', b'source')
        self.put(b, 'dst', b'taken')
        r = self.gw.request('PUT', f'/{b}/dst', headers={'x-amz-copy-source': f'/{b}/src', 'If-None-Match': '*'})
        self.assertError(r, 412, 'PreconditionFailed')
        self.assertEqual(self.get_body(b, 'dst'), b'taken')

        upload_id = self.s3.create_multipart_upload(Bucket=b, Key='dst')['UploadId']
        etag = self.s3.upload_part(Bucket=b, Key='dst', UploadId=upload_id, PartNumber=1, Body=b'part')['ETag']
        xml = (f'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>'
               '</CompleteMultipartUpload>').encode()
        r = self.gw.request('POST', f'/{b}/dst', query=f'uploadId={upload_id}', body=xml, headers={'If-None-Match': '*'})
        self.assertError(r, 412, 'PreconditionFailed')
        self.assertEqual(self.get_body(b, 'dst'), b'taken')
        # The upload is still there: with the right If-Match it completes.
        taken = self.s3.head_object(Bucket=b, Key='dst')['ETag']
        r = self.gw.request('POST', f'/{b}/dst', query=f'uploadId={upload_id}', body=xml, headers={'If-Match': taken})
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.get_body(b, 'dst'), b'part')

    def test_boto3_if_none_match(self):
        b = self.new_bucket()
        try:
            self.s3.put_object(Bucket=b, Key='k', Body=b'one', IfNoneMatch='*')
        except Exception as e:  # botocore older than the parameter (Debian 12's)
            if 'IfNoneMatch' not in str(e):
                raise
            self.skipTest('this botocore has no IfNoneMatch')
        self.assertClientError(self.s3.put_object, 412, 'PreconditionFailed', Bucket=b, Key='k', Body=b'two',
                               IfNoneMatch='*')


class ObjectAttributesTests(GatewayTestCase):
    """GetObjectAttributes (GET ?attributes): only the attributes asked for."""

    ALL = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']

    def test_a_simple_object(self):
        b = self.new_bucket()
        body = b'attributes of this'
        self.s3.put_object(Bucket=b, Key='k', Body=body, ChecksumAlgorithm='SHA256')
        r = self.s3.get_object_attributes(Bucket=b, Key='k', ObjectAttributes=self.ALL)
        self.assertEqual(r['ETag'], md5_hex(body))  # unquoted, as S3 answers here
        self.assertEqual(r['ObjectSize'], len(body))
        self.assertEqual(r['StorageClass'], 'STANDARD')
        self.assertEqual(r['Checksum']['ChecksumSHA256'],
                         __import__('base64').b64encode(hashlib.sha256(body).digest()).decode())
        self.assertNotIn('ObjectParts', r)  # not a multipart object
        self.assertIsNotNone(r['LastModified'])
        only = self.s3.get_object_attributes(Bucket=b, Key='k', ObjectAttributes=['ObjectSize'])
        self.assertEqual({k for k in only if k != 'ResponseMetadata'} - {'LastModified'}, {'ObjectSize'})

    def test_the_parts_of_a_multipart_object_page(self):
        b = self.new_bucket()
        sizes = [5 * MiB, 5 * MiB, 123]
        upload_id = self.s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
        parts = []
        for n, size in enumerate(sizes, 1):
            r = self.s3.upload_part(Bucket=b, Key='mp', UploadId=upload_id, PartNumber=n, Body=b'p' * size)
            parts.append({'PartNumber': n, 'ETag': r['ETag']})
        self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=upload_id, MultipartUpload={'Parts': parts})
        r = self.s3.get_object_attributes(Bucket=b, Key='mp', ObjectAttributes=['ObjectParts', 'ObjectSize'], MaxParts=2)
        self.assertEqual(r['ObjectSize'], sum(sizes))
        p = r['ObjectParts']
        self.assertEqual((p['TotalPartsCount'], p['IsTruncated'], p['NextPartNumberMarker']), (3, True, 2))
        self.assertEqual([(x['PartNumber'], x['Size']) for x in p['Parts']], [(1, 5 * MiB), (2, 5 * MiB)])
        r = self.s3.get_object_attributes(Bucket=b, Key='mp', ObjectAttributes=['ObjectParts'], MaxParts=2,
                                          PartNumberMarker=2)
        p = r['ObjectParts']
        self.assertEqual((p['IsTruncated'], [(x['PartNumber'], x['Size']) for x in p['Parts']]), (False, [(3, 123)]))

    def test_refusals(self):
        b = self.new_bucket()
        self.put(b, 'k', b'v')
        r = self.gw.request('GET', f'/{b}/k', 'attributes')
        self.assertError(r, 400, 'InvalidRequest')
        r = self.gw.request('GET', f'/{b}/k', 'attributes', headers={'x-amz-object-attributes': 'ETag,Colour'})
        self.assertError(r, 400, 'InvalidArgument')
        self.assertClientError(self.s3.get_object_attributes, 404, 'NoSuchKey', Bucket=b, Key='missing',
                               ObjectAttributes=['ETag'])
        other = self.gw.client(credentials=self.gw.create_user())
        self.assertClientError(other.get_object_attributes, 403, 'AccessDenied', Bucket=b, Key='k',
                               ObjectAttributes=['ETag'])


class PartNumberTests(GatewayTestCase):
    """GetObject / HeadObject with partNumber: one part of a multipart object."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('pn')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.parts = [b'a' * (5 * MiB), b'b' * 1000]
        uid = cls.s3.create_multipart_upload(Bucket=cls.bucket, Key='mp')['UploadId']
        done = []
        for n, body in enumerate(cls.parts, 1):
            r = cls.s3.upload_part(Bucket=cls.bucket, Key='mp', UploadId=uid, PartNumber=n, Body=body)
            done.append({'PartNumber': n, 'ETag': r['ETag']})
        cls.s3.complete_multipart_upload(Bucket=cls.bucket, Key='mp', UploadId=uid, MultipartUpload={'Parts': done})
        cls.s3.put_object(Bucket=cls.bucket, Key='simple', Body=b'simple body')

    def test_a_part_of_a_multipart_object(self):
        total = sum(len(p) for p in self.parts)
        r = self.s3.get_object(Bucket=self.bucket, Key='mp', PartNumber=2)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 206)
        self.assertEqual(r['Body'].read(), self.parts[1])
        self.assertEqual(r['ContentRange'], f'bytes {5 * MiB}-{total - 1}/{total}')
        self.assertEqual(r['PartsCount'], 2)
        h = self.s3.head_object(Bucket=self.bucket, Key='mp', PartNumber=1)
        self.assertEqual(h['ResponseMetadata']['HTTPStatusCode'], 206)
        self.assertEqual((h['ContentLength'], h['PartsCount']), (5 * MiB, 2))

    def test_part_one_of_a_simple_object_is_the_whole_object(self):
        r = self.s3.get_object(Bucket=self.bucket, Key='simple', PartNumber=1)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(r['Body'].read(), b'simple body')
        self.assertNotIn('PartsCount', r)

    def test_a_part_past_the_last_is_invalid_part(self):
        # Issue 14 asks for Ceph RGW's answer (400 InvalidPart; AWS: 416 InvalidPartNumber).
        for key, number in (('mp', 3), ('simple', 2)):
            with self.subTest(key=key):
                self.assertClientError(self.s3.get_object, 400, 'InvalidPart', Bucket=self.bucket, Key=key,
                                       PartNumber=number)
                self.assertClientError(self.s3.head_object, 400, None, Bucket=self.bucket, Key=key,
                                       PartNumber=number)


class UnknownQueryTests(GatewayTestCase):

    def test_unknown_query_parameters_are_ignored(self):
        b = self.new_bucket()
        r = self.gw.request('PUT', f'/{b}/k', query({'x-id': 'PutObject'}), body=b'v')
        self.assertEqual(r.status, 200, repr(r))
        r = self.gw.request('GET', f'/{b}/k', query({'x-id': 'GetObject', 'some-future-thing': 'v'}))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'v')
        r = self.gw.request('GET', f'/{b}', query({'list-type': '2', 'x-id': 'ListObjectsV2'}))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual([c.findtext('Key') for c in r.xml().findall('Contents')], ['k'])


if __name__ == '__main__':
    main()
