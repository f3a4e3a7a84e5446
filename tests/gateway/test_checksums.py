#!/usr/bin/env python3
"""Additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) sent as
headers or aws-chunked trailers: verified (BadDigest otherwise, nothing
stored), stored, and returned with their type (FULL_OBJECT, COMPOSITE) only
when the request says x-amz-checksum-mode: ENABLED, never for ranges; the
checksums of multipart uploads."""

import base64
import hashlib
import zlib

from harness import GatewayTestCase, main, unique_bucket


def _table(poly, bits):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & ((1 << bits) - 1))
    return table


_CRC32C = _table(0x82F63B78, 32)
_CRC64NVME = _table(0x9A6C9329AC4BC9B5, 64)


def _reflected_crc(table, bits, data):
    mask = (1 << bits) - 1
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ mask


def crc32c(data):
    return _reflected_crc(_CRC32C, 32, data)


def crc64nvme(data):
    return _reflected_crc(_CRC64NVME, 64, data)


def checksum(algo, data):
    if algo == 'crc32':
        raw = zlib.crc32(data).to_bytes(4, 'big')
    elif algo == 'crc32c':
        raw = crc32c(data).to_bytes(4, 'big')
    elif algo == 'crc64nvme':
        raw = crc64nvme(data).to_bytes(8, 'big')
    elif algo == 'sha1':
        raw = hashlib.sha1(data).digest()
    elif algo == 'sha256':
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algo)
    return base64.b64encode(raw).decode()


ALGOS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256']


def trailer_put(gw, path, query, data, algo, value):
    """A PUT of `data` in aws-chunked with `value` as its x-amz-checksum-<algo> trailer."""
    body = f'{len(data):x}\r\n'.encode() + data + b'\r\n0\r\n' + f'x-amz-checksum-{algo}:{value}\r\n\r\n'.encode()
    return gw.request('PUT', path, query, body=body, payload_hash='STREAMING-UNSIGNED-PAYLOAD-TRAILER',
                      headers={'Content-Encoding': 'aws-chunked', 'x-amz-trailer': f'x-amz-checksum-{algo}',
                               'x-amz-decoded-content-length': str(len(data)),
                               'x-amz-sdk-checksum-algorithm': algo.upper()})


class ChecksumTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('cksum')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_reference_vectors(self):
        # The helpers themselves against the published check values.
        self.assertEqual(crc32c(b'123456789'), 0xE3069283)
        self.assertEqual(crc64nvme(b'123456789'), 0xAE8B14860A799888)

    def checksum_headers(self, r):
        return {k.lower(): v for k, v in r.headers.items() if k.lower().startswith('x-amz-checksum-')
                and k.lower() not in ('x-amz-checksum-type',)}

    def test_header_checksums(self):
        data = b'checksummed body ' * 100
        for algo in ALGOS:
            with self.subTest(algo=algo):
                key = f'ck-{algo}'
                value = checksum(algo, data)
                r = self.gw.request('PUT', f'/{self.bucket}/{key}', body=data,
                                    headers={f'x-amz-checksum-{algo}': value,
                                             'x-amz-sdk-checksum-algorithm': algo.upper()})
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.header(f'x-amz-checksum-{algo}'), value)

                for method in ('GET', 'HEAD'):
                    # Asked for: returned.
                    r = self.gw.request(method, f'/{self.bucket}/{key}', headers={'x-amz-checksum-mode': 'ENABLED'})
                    self.assertEqual(r.status, 200, repr(r))
                    self.assertEqual(r.header(f'x-amz-checksum-{algo}'), value, f'{method} {r.headers}')
                    # Not asked for: not returned.
                    r = self.gw.request(method, f'/{self.bucket}/{key}')
                    self.assertEqual(r.status, 200, repr(r))
                    self.assertEqual(self.checksum_headers(r), {}, method)
                # Never for a range (it would not match the partial body).
                r = self.gw.request('GET', f'/{self.bucket}/{key}',
                                    headers={'x-amz-checksum-mode': 'ENABLED', 'Range': 'bytes=0-9'})
                self.assertEqual(r.status, 206, repr(r))
                self.assertEqual(self.checksum_headers(r), {})

    def test_wrong_checksum(self):
        data = b'the real body'
        for algo in ALGOS:
            with self.subTest(algo=algo):
                key = f'bad-{algo}'
                r = self.gw.request('PUT', f'/{self.bucket}/{key}', body=data,
                                    headers={f'x-amz-checksum-{algo}': checksum(algo, b'another body'),
                                             'x-amz-sdk-checksum-algorithm': algo.upper()})
                self.assertError(r, 400, 'BadDigest')
                self.assertNoObject(self.bucket, key)

    def test_boto3_checksum_algorithm(self):
        data = b'boto3 computes this one'
        for algo, field in (('SHA256', 'ChecksumSHA256'), ('SHA1', 'ChecksumSHA1'), ('CRC32', 'ChecksumCRC32')):
            with self.subTest(algo=algo):
                key = f'boto-{algo}'
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ChecksumAlgorithm=algo)
                h = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                self.assertEqual(h.get(field), checksum(algo.lower(), data))
                g = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                self.assertEqual(g['Body'].read(), data)
                self.assertEqual(g.get(field), checksum(algo.lower(), data))

    def test_copy_keeps_checksum(self):
        data = b'copy my checksum'
        value = checksum('sha256', data)
        r = self.gw.request('PUT', f'/{self.bucket}/cs-src', body=data, headers={'x-amz-checksum-sha256': value})
        self.assertEqual(r.status, 200, repr(r))
        self.s3.copy_object(Bucket=self.bucket, Key='cs-dst', CopySource={'Bucket': self.bucket, 'Key': 'cs-src'})
        self.assertEqual(self.get_body(self.bucket, 'cs-dst'), data)
        h = self.s3.head_object(Bucket=self.bucket, Key='cs-dst', ChecksumMode='ENABLED')
        # A copy either keeps the source's checksum or reports none; never a wrong one.
        if 'ChecksumSHA256' in h:
            self.assertEqual(h['ChecksumSHA256'], value)


    def test_wrong_checksum_names_the_algorithm(self):
        # AWS's message, which SDKs show as is.
        for algo in ALGOS:
            with self.subTest(algo=algo):
                r = self.gw.request('PUT', f'/{self.bucket}/msg-{algo}', body=b'the body',
                                    headers={f'x-amz-checksum-{algo}': checksum(algo, b'not the body')})
                self.assertError(r, 400, 'BadDigest')
                self.assertEqual(r.xml().findtext('Message'),
                                 f'The {algo.upper()} you specified did not match the calculated checksum.')
                self.assertNoObject(self.bucket, f'msg-{algo}')

    def test_wrong_checksum_trailer(self):
        data = b'sent in aws-chunked with a trailer'
        for algo in ALGOS:
            with self.subTest(algo=algo):
                key = f'trailer-{algo}'
                r = trailer_put(self.gw, f'/{self.bucket}/{key}', '', data, algo, checksum(algo, data + b'!'))
                self.assertError(r, 400, 'BadDigest')
                self.assertEqual(r.xml().findtext('Message'),
                                 f'The {algo.upper()} you specified did not match the calculated checksum.')
                self.assertNoObject(self.bucket, key)
                r = trailer_put(self.gw, f'/{self.bucket}/{key}', '', data, algo, checksum(algo, data))
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(self.get_body(self.bucket, key), data)

    def test_checksum_type_of_a_single_put(self):
        data = b'one piece'
        for algo in ('crc32', 'sha256'):
            with self.subTest(algo=algo):
                key = f'type-{algo}'
                r = self.gw.request('PUT', f'/{self.bucket}/{key}', body=data,
                                    headers={f'x-amz-checksum-{algo}': checksum(algo, data)})
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.header('x-amz-checksum-type'), 'FULL_OBJECT')
                for method in ('GET', 'HEAD'):
                    r = self.gw.request(method, f'/{self.bucket}/{key}', headers={'x-amz-checksum-mode': 'ENABLED'})
                    self.assertEqual(r.status, 200, repr(r))
                    self.assertEqual(r.header('x-amz-checksum-type'), 'FULL_OBJECT', method)
                    # Without a checksum, no type either.
                    r = self.gw.request(method, f'/{self.bucket}/{key}')
                    self.assertIsNone(r.header('x-amz-checksum-type'), method)
                r = self.gw.request('GET', f'/{self.bucket}/{key}', 'attributes',
                                    headers={'x-amz-object-attributes': 'Checksum'})
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.xml().findtext(f'Checksum/Checksum{algo.upper()}'), checksum(algo, data))
                self.assertEqual(r.xml().findtext('Checksum/ChecksumType'), 'FULL_OBJECT')
        # An object stored without one (raw: boto3 may add a CRC32) answers no type.
        self.assertEqual(self.gw.request('PUT', f'/{self.bucket}/no-checksum', body=data).status, 200)
        r = self.gw.request('HEAD', f'/{self.bucket}/no-checksum', headers={'x-amz-checksum-mode': 'ENABLED'})
        self.assertEqual(r.status, 200, repr(r))
        self.assertIsNone(r.header('x-amz-checksum-type'))


MiB = 1024 * 1024


class MultipartChecksumTests(GatewayTestCase):
    """An upload created with a checksum algorithm gets an object checksum
    made of its parts': COMPOSITE (checksum of the part checksums, "-N") or
    FULL_OBJECT (the CRC of the whole object, combined from the parts').

    Sent as signed raw requests, as the SDKs send them: Debian's botocore
    predates x-amz-checksum-type and CRC64NVME."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('mpck')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def path(self, key):
        return f'/{self.bucket}/{key}'

    def create(self, key, algo, checksum_type=None):
        headers = {'x-amz-checksum-algorithm': algo.upper()}
        if checksum_type:
            headers['x-amz-checksum-type'] = checksum_type
        return self.gw.request('POST', self.path(key), query='uploads', headers=headers)

    def create_ok(self, key, algo, checksum_type=None):
        r = self.create(key, algo, checksum_type)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('x-amz-checksum-algorithm'), algo.upper())
        if checksum_type:
            self.assertEqual(r.header('x-amz-checksum-type'), checksum_type)
        return r.xml().findtext('UploadId')

    def upload_part(self, key, upload_id, number, body, algo=None):
        headers = {f'x-amz-checksum-{algo}': checksum(algo, body)} if algo else {}
        r = self.gw.request('PUT', self.path(key), query=f'partNumber={number}&uploadId={upload_id}', body=body,
                            headers=headers)
        self.assertEqual(r.status, 200, repr(r))
        if algo:
            self.assertEqual(r.header(f'x-amz-checksum-{algo}'), checksum(algo, body))
        return r.header('ETag')

    def complete(self, key, upload_id, parts, headers=None):
        """parts: (number, etag, {algo: value}) triples."""
        xml = '<CompleteMultipartUpload>'
        for number, etag, sums in parts:
            xml += f'<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag>'
            for algo, value in sums.items():
                xml += f'<Checksum{algo.upper()}>{value}</Checksum{algo.upper()}>'
            xml += '</Part>'
        xml += '</CompleteMultipartUpload>'
        return self.gw.request('POST', self.path(key), query=f'uploadId={upload_id}', body=xml.encode(),
                               headers=headers or {})

    def upload(self, key, algo, parts, checksum_type=None, send_part_checksums=True, list_in_complete=True):
        """The whole upload; returns CompleteMultipartUploadResult as {tag: text}."""
        upload_id = self.create_ok(key, algo, checksum_type)
        listed = []
        for n, body in enumerate(parts, 1):
            etag = self.upload_part(key, upload_id, n, body, algo if send_part_checksums else None)
            listed.append((n, etag, {algo: checksum(algo, body)} if list_in_complete else {}))
        r = self.complete(key, upload_id, listed)
        self.assertEqual(r.status, 200, repr(r))
        root = r.xml()
        self.assertEqual(root.tag, 'CompleteMultipartUploadResult')
        return {child.tag: child.text for child in root}

    def head_checksum(self, key, algo):
        r = self.gw.request('HEAD', self.path(key), headers={'x-amz-checksum-mode': 'ENABLED'})
        self.assertEqual(r.status, 200, repr(r))
        return r.header(f'x-amz-checksum-{algo}'), r.header('x-amz-checksum-type')

    def composite(self, algo, parts):
        raw = b''.join(base64.b64decode(checksum(algo, p)) for p in parts)
        return f'{checksum(algo, raw)}-{len(parts)}'

    def test_composite_checksum_of_parts_is_returned_by_complete_and_head(self):
        parts = [bytes([i]) * (5 * MiB) for i in range(2)] + [b'tail']
        for algo in ('crc32', 'crc32c', 'sha1', 'sha256'):
            with self.subTest(algo=algo):
                done = self.upload('comp-' + algo, algo, parts)
                want = self.composite(algo, parts)
                self.assertEqual(done['Checksum' + algo.upper()], want)
                self.assertEqual(done.get('ChecksumType'), 'COMPOSITE')
                self.assertEqual(self.head_checksum('comp-' + algo, algo), (want, 'COMPOSITE'))

    def test_boto3_reads_the_composite_checksum(self):
        parts = [b'c' * (5 * MiB), b'd']
        self.upload('comp-boto3', 'sha256', parts)
        h = self.s3.head_object(Bucket=self.bucket, Key='comp-boto3', ChecksumMode='ENABLED')
        self.assertEqual(h['ChecksumSHA256'], self.composite('sha256', parts))

    def test_full_object_checksum_is_the_crc_of_the_whole_object(self):
        parts = [bytes([7 + i]) * (5 * MiB + i) for i in range(2)] + [b'end of it']
        whole = b''.join(parts)
        for algo, checksum_type in (('crc32', 'FULL_OBJECT'), ('crc32c', 'FULL_OBJECT'), ('crc64nvme', None)):
            with self.subTest(algo=algo):
                done = self.upload('full-' + algo, algo, parts, checksum_type)
                self.assertEqual(done['Checksum' + algo.upper()], checksum(algo, whole))
                self.assertEqual(done.get('ChecksumType'), 'FULL_OBJECT')
                r = self.gw.request('GET', self.path('full-' + algo), headers={'x-amz-checksum-mode': 'ENABLED'})
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.body, whole)
                self.assertEqual(r.header(f'x-amz-checksum-{algo}'), checksum(algo, whole))
                self.assertEqual(r.header('x-amz-checksum-type'), 'FULL_OBJECT')

    def test_complete_accepts_the_whole_object_checksum_and_refuses_a_wrong_one(self):
        # On CompleteMultipartUpload the x-amz-checksum-* header is the
        # whole object's checksum (not the XML body's).
        parts = [b'p' * (5 * MiB), b'q' * 99]
        whole = b''.join(parts)
        for good in (True, False):
            with self.subTest(good=good):
                key = f'full-header-{good}'
                upload_id = self.create_ok(key, 'crc32', 'FULL_OBJECT')
                listed = [(n, self.upload_part(key, upload_id, n, body, 'crc32'), {'crc32': checksum('crc32', body)})
                          for n, body in enumerate(parts, 1)]
                value = checksum('crc32', whole if good else b'something else')
                r = self.complete(key, upload_id, listed,
                                  headers={'x-amz-checksum-crc32': value, 'x-amz-checksum-type': 'FULL_OBJECT'})
                if good:
                    self.assertEqual(r.status, 200, repr(r))
                    self.assertEqual(r.xml().findtext('ChecksumCRC32'), value)
                    self.assertEqual(self.head_checksum(key, 'crc32'), (value, 'FULL_OBJECT'))
                else:
                    self.assertError(r, 400, 'BadDigest')
                    self.assertNoObject(self.bucket, key)
                    self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def test_a_whole_object_checksum_that_cannot_be_checked_is_refused(self):
        # Another algorithm, another mode, or an upload made without one: the
        # client would believe a checksum was verified that was not.
        body = b'r' * 100
        cases = [('crc32', 'FULL_OBJECT', {'x-amz-checksum-sha256': checksum('sha256', body)}),
                 ('crc32', 'FULL_OBJECT', {'x-amz-checksum-crc32': checksum('crc32', body),
                                           'x-amz-checksum-type': 'COMPOSITE'}),
                 ('sha1', None, {'x-amz-checksum-sha1': checksum('sha1', body), 'x-amz-checksum-type': 'FULL_OBJECT'}),
                 (None, None, {'x-amz-checksum-crc32': checksum('crc32', body)})]
        for n, (algo, checksum_type, headers) in enumerate(cases):
            with self.subTest(algo=algo, headers=headers):
                key = f'unverifiable-{n}'
                if algo:
                    upload_id = self.create_ok(key, algo, checksum_type)
                else:
                    upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)['UploadId']
                etag = self.upload_part(key, upload_id, 1, body, algo)
                self.assertError(self.complete(key, upload_id, [(1, etag, {})], headers=headers), 400,
                                 'InvalidRequest')
                self.assertNoObject(self.bucket, key)
                # The same upload completes once the request is consistent.
                r = self.complete(key, upload_id, [(1, etag, {})])
                self.assertEqual(r.status, 200, repr(r))

    def test_parts_sent_without_checksums_get_them_from_the_server(self):
        parts = [b'a' * (5 * MiB), b'b' * 10]
        done = self.upload('server-side', 'crc32', parts, send_part_checksums=False, list_in_complete=False)
        self.assertEqual(done['ChecksumCRC32'], self.composite('crc32', parts))

    def test_boto3_parts_with_checksums_complete_to_the_composite(self):
        parts = [b'e' * (5 * MiB), b'f' * 3]
        key = 'boto3-parts'
        upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, ChecksumAlgorithm='SHA1')['UploadId']
        listed = []
        for n, body in enumerate(parts, 1):
            r = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=body,
                                    ChecksumAlgorithm='SHA1')
            self.assertEqual(r['ChecksumSHA1'], checksum('sha1', body))
            listed.append({'PartNumber': n, 'ETag': r['ETag'], 'ChecksumSHA1': r['ChecksumSHA1']})
        done = self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                 MultipartUpload={'Parts': listed})
        self.assertEqual(done['ChecksumSHA1'], self.composite('sha1', parts))

    def test_a_wrong_part_checksum_in_complete_is_invalid_part_and_stores_nothing(self):
        key = 'wrong-part'
        upload_id = self.create_ok(key, 'crc32')
        etag = self.upload_part(key, upload_id, 1, b'x' * 100, 'crc32')
        r = self.complete(key, upload_id, [(1, etag, {'crc32': checksum('crc32', b'other')})])
        self.assertError(r, 400, 'InvalidPart')
        self.assertNoObject(self.bucket, key)
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def test_an_unknown_algorithm_is_refused_as_s3_refuses_it(self):
        for algo in ('md5', 'crc16'):
            with self.subTest(algo=algo):
                r = self.create('unknown-algo', algo)
                self.assertError(r, 400, 'InvalidRequest')
                self.assertEqual(r.xml().findtext('Message'),
                                 'Checksum algorithm provided is unsupported. Please try again with any of the '
                                 'valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]')
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix='unknown-algo').get('Uploads', [])
        self.assertEqual(uploads, [])

    def test_full_object_is_refused_for_sha_algorithms(self):
        for algo in ('sha1', 'sha256'):
            with self.subTest(algo=algo):
                self.assertError(self.create('k', algo, 'FULL_OBJECT'), 400, 'InvalidRequest')


    def test_a_wrong_part_checksum_is_bad_digest_and_stores_no_part(self):
        key = 'bad-part'
        upload_id = self.create_ok(key, 'crc32c')
        body = b'g' * 1000
        for how in ('header', 'trailer'):
            with self.subTest(how=how):
                query = f'partNumber=1&uploadId={upload_id}'
                if how == 'header':
                    r = self.gw.request('PUT', self.path(key), query=query, body=body,
                                        headers={'x-amz-checksum-crc32c': checksum('crc32c', b'other')})
                else:
                    r = trailer_put(self.gw, self.path(key), query, body, 'crc32c', checksum('crc32c', b'other'))
                self.assertError(r, 400, 'BadDigest')
                self.assertEqual(r.xml().findtext('Message'),
                                 'The CRC32C you specified did not match the calculated checksum.')
                self.assertEqual(self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id).get('Parts', []),
                                 [])
        etag = self.upload_part(key, upload_id, 1, body, 'crc32c')
        r = self.complete(key, upload_id, [(1, etag, {'crc32c': checksum('crc32c', body)})])
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.get_body(self.bucket, key), body)

    def test_checksum_type_of_a_multipart_object_everywhere(self):
        parts = [b'h' * (5 * MiB), b'i' * 7]
        for algo, checksum_type in (('crc32', 'COMPOSITE'), ('crc32', 'FULL_OBJECT')):
            with self.subTest(checksum_type=checksum_type):
                key = f'everywhere-{checksum_type}'
                upload_id = self.create_ok(key, algo, checksum_type)
                listed = [(n, self.upload_part(key, upload_id, n, body, algo), {algo: checksum(algo, body)})
                          for n, body in enumerate(parts, 1)]
                first = self.complete(key, upload_id, listed)
                self.assertEqual(first.status, 200, repr(first))
                self.assertEqual(first.xml().findtext('ChecksumType'), checksum_type)
                value = first.xml().findtext('ChecksumCRC32')
                # A retried complete answers as the first did.
                again = self.complete(key, upload_id, listed)
                self.assertEqual(again.status, 200, repr(again))
                self.assertEqual({c.tag: c.text for c in again.xml()}, {c.tag: c.text for c in first.xml()})
                for method in ('GET', 'HEAD'):
                    r = self.gw.request(method, self.path(key), headers={'x-amz-checksum-mode': 'ENABLED'})
                    self.assertEqual(r.status, 200, repr(r))
                    self.assertEqual((r.header('x-amz-checksum-crc32'), r.header('x-amz-checksum-type')),
                                     (value, checksum_type), method)
                r = self.gw.request('GET', self.path(key), 'attributes', headers={'x-amz-object-attributes': 'Checksum'})
                self.assertEqual(r.status, 200, repr(r))
                # GetObjectAttributes gives the bare base64, without the "-N"
                # part count GET, HEAD and the completion answer carry.
                bare = value.split('-')[0]
                self.assertEqual(('-' in value), checksum_type == 'COMPOSITE')
                self.assertEqual(r.xml().findtext('Checksum/ChecksumCRC32'), bare)
                self.assertEqual(r.xml().findtext('Checksum/ChecksumType'), checksum_type)


if __name__ == '__main__':
    main()
