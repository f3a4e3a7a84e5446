#!/usr/bin/env python3
"""Multipart uploads: create, upload part, upload part copy (with range),
list parts, list uploads, complete, abort, and their errors."""

import hashlib
import io
import os
import threading

from harness import GatewayTestCase, MiB, main, md5_b64, md5_hex, query, unique_bucket
from boto3.s3.transfer import TransferConfig  # noqa: E402 (after harness, which finds boto3)

PART = 5 * MiB


def multipart_etag(parts):
    return '"' + hashlib.md5(b''.join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f'-{len(parts)}"'


def complete_xml(parts):
    inner = ''.join(f'<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>' for n, e in parts)
    return f'<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>'.encode()


class MultipartTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('mpu')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.p1 = os.urandom(PART)
        cls.p2 = os.urandom(PART)
        cls.p3 = os.urandom(1000)

    def create(self, key, **kw):
        r = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, **kw)
        self.assertEqual(r['Bucket'], self.bucket)
        self.assertEqual(r['Key'], key)
        self.assertTrue(r['UploadId'])
        return r['UploadId']

    def upload(self, key, uid, n, data):
        r = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=uid, PartNumber=n, Body=data)
        self.assertEqual(r['ETag'], f'"{md5_hex(data)}"')
        return {'PartNumber': n, 'ETag': r['ETag']}

    def complete(self, key, uid, parts):
        return self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=uid,
                                                 MultipartUpload={'Parts': parts})

    def test_full_cycle(self):
        key = 'big/object.bin'
        uid = self.create(key, ContentType='application/x-test', Metadata={'purpose': 'mpu'})
        # Not visible before completion.
        self.assertNoObject(self.bucket, key)
        parts = [self.upload(key, uid, 1, self.p1), self.upload(key, uid, 2, self.p2),
                 self.upload(key, uid, 3, self.p3)]

        lp = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=uid)
        self.assertEqual(lp['UploadId'], uid)
        self.assertEqual(lp['Key'], key)
        self.assertFalse(lp['IsTruncated'])
        self.assertEqual([(p['PartNumber'], p['ETag'], p['Size']) for p in lp['Parts']],
                         [(1, parts[0]['ETag'], PART), (2, parts[1]['ETag'], PART), (3, parts[2]['ETag'], 1000)])
        for p in lp['Parts']:
            self.assertIn('LastModified', p)

        ups = self.s3.list_multipart_uploads(Bucket=self.bucket)
        self.assertIn((key, uid), [(u['Key'], u['UploadId']) for u in ups.get('Uploads', [])])
        for u in ups['Uploads']:
            self.assertIn('Initiated', u)

        r = self.complete(key, uid, parts)
        want = multipart_etag([self.p1, self.p2, self.p3])
        self.assertEqual(r['ETag'], want)
        self.assertEqual(r['Key'], key)
        self.assertEqual(r['Bucket'], self.bucket)

        g = self.s3.get_object(Bucket=self.bucket, Key=key)
        self.assertEqual(g['ETag'], want)
        self.assertEqual(g['ContentLength'], 2 * PART + 1000)
        self.assertEqual(g['ContentType'], 'application/x-test')
        self.assertEqual(g['Metadata'], {'purpose': 'mpu'})
        body = g['Body'].read()
        self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(self.p1 + self.p2 + self.p3).digest())
        # A range across the part boundary.
        rg = self.get_body(self.bucket, key, Range=f'bytes={PART - 10}-{PART + 9}')
        self.assertEqual(rg, (self.p1 + self.p2)[PART - 10:PART + 10])
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=self.bucket, Prefix='big/')['Contents']],
                         [key])
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket, Prefix='big/')['Contents'][0]['ETag'], want)
        # The upload is gone.
        ups = self.s3.list_multipart_uploads(Bucket=self.bucket)
        self.assertNotIn(uid, [u['UploadId'] for u in ups.get('Uploads', [])])
        self.assertClientError(self.s3.list_parts, 404, 'NoSuchUpload', Bucket=self.bucket, Key=key, UploadId=uid)

    def test_single_small_part(self):
        uid = self.create('single')
        parts = [self.upload('single', uid, 1, self.p3)]
        r = self.complete('single', uid, parts)
        self.assertEqual(r['ETag'], multipart_etag([self.p3]))
        self.assertEqual(self.get_body(self.bucket, 'single'), self.p3)

    def test_part_reupload_replaces(self):
        uid = self.create('reup')
        self.upload('reup', uid, 1, b'a' * 100)
        p = self.upload('reup', uid, 1, b'b' * 200)
        lp = self.s3.list_parts(Bucket=self.bucket, Key='reup', UploadId=uid)
        self.assertEqual([(x['PartNumber'], x['Size']) for x in lp['Parts']], [(1, 200)])
        self.complete('reup', uid, [p])
        self.assertEqual(self.get_body(self.bucket, 'reup'), b'b' * 200)

    def test_non_consecutive_part_numbers(self):
        uid = self.create('gaps')
        parts = [self.upload('gaps', uid, 2, self.p1), self.upload('gaps', uid, 7, self.p3)]
        r = self.complete('gaps', uid, parts)
        self.assertEqual(r['ETag'], multipart_etag([self.p1, self.p3]))
        self.assertEqual(self.get_body(self.bucket, 'gaps'), self.p1 + self.p3)

    def test_subset_of_uploaded_parts(self):
        uid = self.create('subset')
        p1 = self.upload('subset', uid, 1, self.p1)
        self.upload('subset', uid, 2, self.p2)
        p3 = self.upload('subset', uid, 3, self.p3)
        self.complete('subset', uid, [p1, p3])
        self.assertEqual(self.get_body(self.bucket, 'subset'), self.p1 + self.p3)

    def test_list_parts_pagination(self):
        uid = self.create('lp')
        for n in range(1, 5):
            self.upload('lp', uid, n, bytes([n]) * 10)
        seen, marker, pages = [], 0, 0
        while True:
            r = self.s3.list_parts(Bucket=self.bucket, Key='lp', UploadId=uid, MaxParts=1, PartNumberMarker=marker)
            pages += 1
            self.assertLessEqual(pages, 10)
            seen += [p['PartNumber'] for p in r.get('Parts', [])]
            if not r['IsTruncated']:
                break
            marker = r['NextPartNumberMarker']
        self.assertEqual(seen, [1, 2, 3, 4])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='lp', UploadId=uid)

    def test_list_uploads_prefix(self):
        b = self.new_bucket()
        ids = {}
        for k in ['u/a', 'u/b', 'v/c']:
            ids[k] = self.s3.create_multipart_upload(Bucket=b, Key=k)['UploadId']
        r = self.s3.list_multipart_uploads(Bucket=b, Prefix='u/')
        self.assertEqual([(u['Key'], u['UploadId']) for u in r['Uploads']], [('u/a', ids['u/a']), ('u/b', ids['u/b'])])
        r = self.s3.list_multipart_uploads(Bucket=b, Delimiter='/')
        self.assertEqual([p['Prefix'] for p in r.get('CommonPrefixes', [])], ['u/', 'v/'])
        r = self.s3.list_multipart_uploads(Bucket=b)
        self.assertEqual(sorted(u['Key'] for u in r['Uploads']), ['u/a', 'u/b', 'v/c'])
        for k, uid in ids.items():
            self.s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=uid)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []), [])

    def test_upload_part_copy(self):
        src = os.urandom(PART + 12345)
        self.put(self.bucket, 'copy-src', src)
        uid = self.create('copy-dst')
        source = {'Bucket': self.bucket, 'Key': 'copy-src'}
        # A whole-object part copy, then two ranges of it (the small one last).
        r1 = self.s3.upload_part_copy(Bucket=self.bucket, Key='copy-dst', UploadId=uid, PartNumber=1,
                                      CopySource=source)
        self.assertEqual(r1['CopyPartResult']['ETag'], f'"{md5_hex(src)}"')
        self.assertIn('LastModified', r1['CopyPartResult'])
        r2 = self.s3.upload_part_copy(Bucket=self.bucket, Key='copy-dst', UploadId=uid, PartNumber=2,
                                      CopySource=source, CopySourceRange=f'bytes=0-{PART - 1}')
        self.assertEqual(r2['CopyPartResult']['ETag'], f'"{md5_hex(src[:PART])}"')
        r3 = self.s3.upload_part_copy(Bucket=self.bucket, Key='copy-dst', UploadId=uid, PartNumber=3,
                                      CopySource=source, CopySourceRange=f'bytes={PART}-{len(src) - 1}')
        self.assertEqual(r3['CopyPartResult']['ETag'], f'"{md5_hex(src[PART:])}"')
        lp = self.s3.list_parts(Bucket=self.bucket, Key='copy-dst', UploadId=uid)
        self.assertEqual([p['Size'] for p in lp['Parts']], [len(src), PART, len(src) - PART])
        parts = [{'PartNumber': n, 'ETag': r['CopyPartResult']['ETag']} for n, r in ((1, r1), (2, r2), (3, r3))]
        r = self.complete('copy-dst', uid, parts)
        self.assertEqual(r['ETag'], multipart_etag([src, src[:PART], src[PART:]]))
        got = self.get_body(self.bucket, 'copy-dst')
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(src + src).digest())

    def test_upload_part_copy_bad_range(self):
        # A range outside the source is 416 InvalidRange; nothing is made.
        self.put(self.bucket, 'small-src', b'0123456789')
        uid = self.create('bad-range')
        for bad in ('bytes=5-100', 'bytes=10-12', 'bytes=0-10'):
            with self.subTest(range=bad):
                self.assertClientError(self.s3.upload_part_copy, 416, 'InvalidRange', Bucket=self.bucket,
                                       Key='bad-range', UploadId=uid, PartNumber=1,
                                       CopySource={'Bucket': self.bucket, 'Key': 'small-src'}, CopySourceRange=bad)
        # A malformed range stays InvalidArgument.
        self.assertClientError(self.s3.upload_part_copy, 400, 'InvalidArgument', Bucket=self.bucket, Key='bad-range',
                               UploadId=uid, PartNumber=1, CopySource={'Bucket': self.bucket, 'Key': 'small-src'},
                               CopySourceRange='bytes=5-')
        lp = self.s3.list_parts(Bucket=self.bucket, Key='bad-range', UploadId=uid)
        self.assertEqual(lp.get('Parts', []), [])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='bad-range', UploadId=uid)

    def test_invalid_part(self):
        uid = self.create('ip')
        p1 = self.upload('ip', uid, 1, self.p1)
        p2 = self.upload('ip', uid, 2, self.p3)
        # Wrong ETag for an uploaded part.
        self.assertClientError(self.complete, 400, 'InvalidPart', 'ip', uid,
                               [p1, {'PartNumber': 2, 'ETag': '"' + '0' * 32 + '"'}])
        # A part that was never uploaded.
        self.assertClientError(self.complete, 400, 'InvalidPart', 'ip', uid,
                               [p1, {'PartNumber': 3, 'ETag': p2['ETag']}])
        self.assertNoObject(self.bucket, 'ip')
        # The upload survives a failed completion and can still complete.
        self.complete('ip', uid, [p1, p2])
        self.assertEqual(self.get_body(self.bucket, 'ip'), self.p1 + self.p3)

    def test_invalid_part_order(self):
        uid = self.create('order')
        p1 = self.upload('order', uid, 1, self.p1)
        p2 = self.upload('order', uid, 2, self.p2)
        self.assertClientError(self.complete, 400, 'InvalidPartOrder', 'order', uid, [p2, p1])
        self.assertNoObject(self.bucket, 'order')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='order', UploadId=uid)

    def test_entity_too_small(self):
        uid = self.create('small')
        p1 = self.upload('small', uid, 1, b'x' * 1024)
        p2 = self.upload('small', uid, 2, b'y' * 1024)
        self.assertClientError(self.complete, 400, 'EntityTooSmall', 'small', uid, [p1, p2])
        self.assertNoObject(self.bucket, 'small')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='small', UploadId=uid)

    def test_no_such_upload(self):
        bogus = 'this-upload-id-does-not-exist'
        self.assertClientError(self.s3.upload_part, 404, 'NoSuchUpload', Bucket=self.bucket, Key='n', UploadId=bogus,
                               PartNumber=1, Body=b'x')
        self.assertClientError(self.s3.list_parts, 404, 'NoSuchUpload', Bucket=self.bucket, Key='n', UploadId=bogus)
        self.assertClientError(self.complete, 404, 'NoSuchUpload', 'n', bogus, [{'PartNumber': 1, 'ETag': '"a"'}])
        self.assertClientError(self.s3.abort_multipart_upload, 404, 'NoSuchUpload', Bucket=self.bucket, Key='n',
                               UploadId=bogus)
        # An upload id is bound to its key.
        uid = self.create('bound')
        self.assertClientError(self.s3.upload_part, 404, 'NoSuchUpload', Bucket=self.bucket, Key='other-key',
                               UploadId=uid, PartNumber=1, Body=b'x')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='bound', UploadId=uid)

    def test_abort(self):
        uid = self.create('ab')
        self.upload('ab', uid, 1, self.p3)
        r = self.s3.abort_multipart_upload(Bucket=self.bucket, Key='ab', UploadId=uid)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.list_parts, 404, 'NoSuchUpload', Bucket=self.bucket, Key='ab', UploadId=uid)
        self.assertClientError(self.s3.upload_part, 404, 'NoSuchUpload', Bucket=self.bucket, Key='ab', UploadId=uid,
                               PartNumber=2, Body=b'x')
        self.assertNotIn(uid, [u['UploadId'] for u in self.s3.list_multipart_uploads(Bucket=self.bucket)
                               .get('Uploads', [])])
        self.assertNoObject(self.bucket, 'ab')

    def test_part_number_limits(self):
        uid = self.create('pn')
        for n in (0, 10001):
            with self.subTest(part_number=n):
                r = self.gw.request('PUT', f'/{self.bucket}/pn', query({'partNumber': n, 'uploadId': uid}), body=b'x')
                self.assertError(r, 400, 'InvalidArgument')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='pn', UploadId=uid)

    def test_upload_part_content_md5(self):
        uid = self.create('pmd5')
        data = b'part data'
        r = self.gw.request('PUT', f'/{self.bucket}/pmd5', query({'partNumber': 1, 'uploadId': uid}),
                            headers={'Content-MD5': md5_b64(b'wrong')}, body=data)
        self.assertError(r, 400, 'BadDigest')
        lp = self.s3.list_parts(Bucket=self.bucket, Key='pmd5', UploadId=uid)
        self.assertEqual(lp.get('Parts', []), [])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='pmd5', UploadId=uid)

    def test_malformed_complete(self):
        uid = self.create('mx')
        p1 = self.upload('mx', uid, 1, self.p3)
        for body in [b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', b'garbage',
                     b'<CompleteMultipartUpload></CompleteMultipartUpload>',
                     b'<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part>'
                     b'</CompleteMultipartUpload>']:
            with self.subTest(body=body[:60]):
                r = self.gw.request('POST', f'/{self.bucket}/mx', query({'uploadId': uid}), body=body)
                self.assertError(r, 400, 'MalformedXML')
        self.assertNoObject(self.bucket, 'mx')
        # A well-formed body still completes it, raw and without a namespace.
        r = self.gw.request('POST', f'/{self.bucket}/mx', query({'uploadId': uid}),
                            body=complete_xml([(1, p1['ETag'])]))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.xml().tag, 'CompleteMultipartUploadResult')
        self.assertEqual(r.xml().findtext('ETag'), multipart_etag([self.p3]))
        self.assertEqual(self.get_body(self.bucket, 'mx'), self.p3)

    def test_transfer_manager(self):
        # boto3's managed transfers, as `aws s3 cp` does them: a multipart upload
        # in parallel (with the SDK's default checksums), then parallel ranged GETs.
        cfg = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=4)
        data = self.p1 + self.p2 + self.p3
        self.s3.upload_fileobj(io.BytesIO(data), self.bucket, 'managed', Config=cfg)
        h = self.s3.head_object(Bucket=self.bucket, Key='managed')
        self.assertEqual(h['ContentLength'], len(data))
        self.assertTrue(h['ETag'].endswith('-3"'), h['ETag'])
        out = io.BytesIO()
        self.s3.download_fileobj(self.bucket, 'managed', out, Config=cfg)
        self.assertEqual(hashlib.sha256(out.getvalue()).digest(), hashlib.sha256(data).digest())

    def test_complete_replaces_existing_object(self):
        self.put(self.bucket, 'replace-me', b'old')
        uid = self.create('replace-me')
        p = self.upload('replace-me', uid, 1, self.p3)
        self.assertEqual(self.get_body(self.bucket, 'replace-me'), b'old')
        self.complete('replace-me', uid, [p])
        self.assertEqual(self.get_body(self.bucket, 'replace-me'), self.p3)

    def test_complete_retried_answers_the_same(self):
        # A client whose first answer was lost sends the complete again: it
        # gets the same result while the key holds what that upload made.
        uid = self.create('retried')
        parts = [self.upload('retried', uid, 1, self.p1), self.upload('retried', uid, 2, self.p3)]
        first = self.complete('retried', uid, parts)
        again = self.complete('retried', uid, parts)
        for field in ('Location', 'Bucket', 'Key', 'ETag'):
            self.assertEqual(again[field], first[field], field)
        self.assertEqual(again['ETag'], multipart_etag([self.p1, self.p3]))
        self.assertEqual(self.get_body(self.bucket, 'retried'), self.p1 + self.p3)
        # With a checksum, the same checksum.
        uid = self.create('retried-crc', ChecksumAlgorithm='CRC32')
        parts = [{**self.upload_crc('retried-crc', uid, 1, self.p3), 'PartNumber': 1}]
        first = self.complete('retried-crc', uid, parts)
        again = self.complete('retried-crc', uid, parts)
        self.assertTrue(first.get('ChecksumCRC32'))
        self.assertEqual(again.get('ChecksumCRC32'), first['ChecksumCRC32'])
        self.assertEqual(again['ETag'], first['ETag'])

    def test_overlapping_completes_both_answer_the_same(self):
        # Two identical completes at once (a client retrying before its first
        # answer came): the one that finds the upload closed by the other
        # answers what the other made.
        for round in range(20):
            key = f'overlap-{round}'
            uid = self.create(key)
            parts = [self.upload(key, uid, 1, self.p3)]
            answers = [None, None]

            def complete(i):
                try:
                    answers[i] = self.complete(key, uid, parts)
                except Exception as e:  # noqa: BLE001 (reported below)
                    answers[i] = e
            threads = [threading.Thread(target=complete, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for a in answers:
                self.assertIsInstance(a, dict, f'round {round}: {a!r}')
                self.assertEqual(a['ResponseMetadata']['HTTPStatusCode'], 200)
            self.assertEqual(answers[0]['ETag'], answers[1]['ETag'])
            self.assertEqual(answers[0]['ETag'], multipart_etag([self.p3]))

    def test_complete_retried_reads_the_body_and_needs_read_of_the_object(self):
        uid = self.create('retried-checked')
        parts = [self.upload('retried-checked', uid, 1, self.p3)]
        self.complete('retried-checked', uid, parts)
        # The body is checked as a first complete's is.
        r = self.gw.request('POST', '/' + self.bucket + '/retried-checked', query({'uploadId': uid}),
                            body=b'<CompleteMultipartUpload></CompleteMultipartUpload>')
        self.assertEqual(r.status, 400, repr(r))
        self.assertIn(b'<Code>MalformedXML</Code>', r.body)
        # Another user who may write the bucket but not read the object is
        # told what it would be told without it.
        bucket = unique_bucket('mpu-rw')
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_bucket_acl(Bucket=bucket, ACL='public-read-write')
        uid = self.s3.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
        etag = self.s3.upload_part(Bucket=bucket, Key='k', UploadId=uid, PartNumber=1, Body=self.p3)['ETag']
        parts = {'Parts': [{'PartNumber': 1, 'ETag': etag}]}
        self.s3.complete_multipart_upload(Bucket=bucket, Key='k', UploadId=uid, MultipartUpload=parts)
        other = self.gw.client(self.gw.create_user())
        self.assertClientError(other.complete_multipart_upload, 404, 'NoSuchUpload', Bucket=bucket, Key='k',
                               UploadId=uid, MultipartUpload=parts)
        self.assertEqual(self.get_body(bucket, 'k'), self.p3)

    def upload_crc(self, key, uid, n, data):
        r = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=uid, PartNumber=n, Body=data,
                                ChecksumAlgorithm='CRC32')
        return {'PartNumber': n, 'ETag': r['ETag'], 'ChecksumCRC32': r['ChecksumCRC32']}

    def test_complete_retried_after_overwrite_or_delete_is_no_such_upload(self):
        for change in ('overwrite', 'delete', 'copy'):
            with self.subTest(change=change):
                key = f'retried-{change}'
                uid = self.create(key)
                parts = [self.upload(key, uid, 1, self.p3)]
                self.complete(key, uid, parts)
                if change == 'overwrite':
                    self.put(self.bucket, key, b'newer')
                elif change == 'delete':
                    self.s3.delete_object(Bucket=self.bucket, Key=key)
                else:  # the object replaced by a copy of itself (new metadata)
                    self.s3.copy_object(Bucket=self.bucket, Key=key, CopySource={'Bucket': self.bucket, 'Key': key},
                                        MetadataDirective='REPLACE', Metadata={'x': 'y'})
                self.assertClientError(self.complete, 404, 'NoSuchUpload', key, uid, parts)
        # Another key's object made by the upload does not answer for it.
        uid = self.create('retried-src')
        parts = [self.upload('retried-src', uid, 1, self.p3)]
        self.complete('retried-src', uid, parts)
        self.assertClientError(self.complete, 404, 'NoSuchUpload', 'retried-other', uid, parts)


if __name__ == '__main__':
    main()
