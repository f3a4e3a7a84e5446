#!/usr/bin/env python3
"""Streaming uploads: aws-chunked bodies with STREAMING-AWS4-HMAC-SHA256-PAYLOAD
chunk signatures built by hand per the AWS spec (valid, tampered data,
tampered signature), STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer,
HTTP chunked transfer encoding, and Expect: 100-continue; the memory bodies
are received in (--body-memory-mib) shared by concurrent uploads."""

import base64
import hashlib
import io
import os
import re
import socket
import subprocess
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor

from harness import (STREAMING_PAYLOAD, AWSRequest, GatewayTestCase, SigV4, aws_chunked_body, gateway_path, main,
                     md5_hex, read_response, read_responses, unique_bucket)

CHUNK = 64 * 1024


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()


class StreamingTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('stream')
        cls.s3.create_bucket(Bucket=cls.bucket)

    # ---- signed aws-chunked ------------------------------------------------
    def chunked_put(self, key, data, chunk=CHUNK, tamper=None, tamper_encoded=None, extra_headers=None):
        chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        # Chunk signatures are 64 hex digits, so the encoded length is known before signing.
        encoded_len = sum(len(f'{len(c):x};chunk-signature='.encode()) + 64 + 2 + len(c) + 2
                          for c in chunks + [b''])
        target = f'/{self.bucket}/{key}'
        headers = {'Host': self.gw.hostport, 'Content-Encoding': 'aws-chunked',
                   'x-amz-decoded-content-length': str(len(data)), 'Content-Length': str(encoded_len)}
        headers.update(extra_headers or {})
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target, headers=headers)
        signer = SigV4(self.gw.credentials, payload_hash=STREAMING_PAYLOAD)
        signer.add_auth(req)
        body = aws_chunked_body(chunks, self.gw.secret_key, signer.timestamp, signer.seed_signature, tamper=tamper)
        self.assertEqual(len(body), encoded_len)
        if tamper_encoded:
            body = tamper_encoded(body)
        return self.gw.send('PUT', target, list(req.headers.items()), body)

    def test_signed_chunks(self):
        data = os.urandom(3 * CHUNK + 12345)
        r = self.chunked_put('chunked', data, extra_headers={'Content-Type': 'text/x-chunked',
                                                             'x-amz-meta-kind': 'chunked'})
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('ETag'), f'"{md5_hex(data)}"')
        g = self.s3.get_object(Bucket=self.bucket, Key='chunked')
        self.assertEqual(g['ContentLength'], len(data))
        self.assertEqual(g['Body'].read(), data)
        self.assertEqual(g['ContentType'], 'text/x-chunked')
        self.assertEqual(g['Metadata'], {'kind': 'chunked'})
        # aws-chunked is a transfer detail, not the object's encoding.
        self.assertNotIn('aws-chunked', g.get('ContentEncoding', ''))

    def test_aws_chunked_leaves_the_other_encodings_byte_for_byte(self):
        for sent, stored in (('aws-chunked, gzip', 'gzip'), ('deflate, aws-chunked, gzip', 'deflate, gzip'),
                             ('gzip,aws-chunked', 'gzip'), ('AWS-CHUNKED', None),
                             # Empty items left beside it leave no stray comma.
                             ('gzip, aws-chunked, ', 'gzip'), ('gzip, , aws-chunked', 'gzip'), (', aws-chunked', None)):
            with self.subTest(sent=sent):
                r = self.chunked_put('encoded', b'body', extra_headers={'Content-Encoding': sent})
                self.assertEqual(r.status, 200, repr(r))
                h = self.s3.head_object(Bucket=self.bucket, Key='encoded')
                self.assertEqual(h.get('ContentEncoding'), stored)
        # Without aws-chunked the header is the object's, as sent.
        self.put(self.bucket, 'plain-encoded', b'x', ContentEncoding='deflate,  gzip')
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key='plain-encoded')['ContentEncoding'],
                         'deflate,  gzip')

    def test_signed_chunks_single_small_chunk(self):
        r = self.chunked_put('small-chunked', b'tiny')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.get_body(self.bucket, 'small-chunked'), b'tiny')

    def test_signed_chunks_empty_body(self):
        r = self.chunked_put('empty-chunked', b'')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key='empty-chunked')['ContentLength'], 0)

    def test_tampered_chunk_data(self):
        data = os.urandom(3 * CHUNK)

        def flip(i, chunk):
            if i == 1:
                return bytes([chunk[0] ^ 1]) + chunk[1:]
            return chunk

        r = self.chunked_put('tampered', data, tamper=flip)
        self.assertError(r, 403, 'SignatureDoesNotMatch')
        self.assertNoObject(self.bucket, 'tampered')

    def test_tampered_last_chunk_signature(self):
        data = os.urandom(2 * CHUNK)

        def bad_final_signature(body):
            i = body.rindex(b'0;chunk-signature=') + len(b'0;chunk-signature=')
            return body[:i] + (b'0' if body[i:i + 1] != b'0' else b'1') + body[i + 1:]

        r = self.chunked_put('tampered-final', data, tamper_encoded=bad_final_signature)
        self.assertError(r, 403, 'SignatureDoesNotMatch')
        self.assertNoObject(self.bucket, 'tampered-final')

    def test_tampered_upload_keeps_old_object(self):
        self.put(self.bucket, 'keep', b'original')
        r = self.chunked_put('keep', os.urandom(2 * CHUNK),
                             tamper=lambda i, c: c[:-1] + bytes([c[-1] ^ 0xff]) if i == 0 else c)
        self.assertError(r, 403, 'SignatureDoesNotMatch')
        self.assertEqual(self.get_body(self.bucket, 'keep'), b'original')

    def test_chunk_signature_chain_is_per_request(self):
        # Chunks signed for one request (another seed) are refused in another.
        data = os.urandom(CHUNK + 10)
        chunks = [data[:CHUNK], data[CHUNK:]]
        target = f'/{self.bucket}/replayed'
        encoded_len = sum(len(f'{len(c):x};chunk-signature='.encode()) + 64 + 4 + len(c) for c in chunks + [b''])
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target, headers={
            'Host': self.gw.hostport, 'Content-Encoding': 'aws-chunked',
            'x-amz-decoded-content-length': str(len(data)), 'Content-Length': str(encoded_len)})
        signer = SigV4(self.gw.credentials, payload_hash=STREAMING_PAYLOAD)
        signer.add_auth(req)
        body = aws_chunked_body(chunks, self.gw.secret_key, signer.timestamp, 'f' * 64)
        r = self.gw.send('PUT', target, list(req.headers.items()), body)
        self.assertError(r, 403, 'SignatureDoesNotMatch')
        self.assertNoObject(self.bucket, 'replayed')

    # ---- unsigned payload with a checksum trailer --------------------------
    def trailer_put(self, key, data, checksum):
        chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
        body = b''.join(f'{len(c):x}\r\n'.encode() + c + b'\r\n' for c in chunks)
        body += b'0\r\n' + f'x-amz-checksum-crc32:{checksum}\r\n\r\n'.encode()
        return self.gw.request('PUT', f'/{self.bucket}/{key}', body=body,
                               payload_hash='STREAMING-UNSIGNED-PAYLOAD-TRAILER',
                               headers={'Content-Encoding': 'aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32',
                                        'x-amz-decoded-content-length': str(len(data)),
                                        'x-amz-sdk-checksum-algorithm': 'CRC32'})

    def test_unsigned_payload_trailer(self):
        data = os.urandom(2 * CHUNK + 99)
        r = self.trailer_put('trailer', data, crc32_b64(data))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('x-amz-checksum-crc32'), crc32_b64(data))
        self.assertEqual(self.get_body(self.bucket, 'trailer'), data)
        h = self.s3.head_object(Bucket=self.bucket, Key='trailer', ChecksumMode='ENABLED')
        self.assertEqual(h.get('ChecksumCRC32'), crc32_b64(data))

    def test_unsigned_payload_trailer_bad_checksum(self):
        data = os.urandom(CHUNK + 5)
        r = self.trailer_put('trailer-bad', data, crc32_b64(data + b'x'))
        self.assertError(r, 400, 'BadDigest')
        self.assertNoObject(self.bucket, 'trailer-bad')

    # ---- HTTP/1.1 chunked transfer encoding --------------------------------
    def test_transfer_encoding_chunked(self):
        data = os.urandom(100000)
        body = b''.join(f'{len(c):x}\r\n'.encode() + c + b'\r\n'
                        for c in (data[:30000], data[30000:90000], data[90000:])) + b'0\r\n\r\n'
        r = self.gw.request('PUT', f'/{self.bucket}/te-chunked', body=body, payload_hash='UNSIGNED-PAYLOAD',
                            headers={'Transfer-Encoding': 'chunked'}, content_length=False)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.get_body(self.bucket, 'te-chunked'), data)

    # ---- bodies of a known length --------------------------------------------
    def signed_request(self, method, target, body=b''):
        """The bytes of one signed request (payload hash included)."""
        headers = {'Host': self.gw.hostport}
        if method == 'PUT':
            headers['Content-Length'] = str(len(body))
        req = AWSRequest(method=method, url=self.gw.endpoint + target, headers=headers, data=body)
        SigV4(self.gw.credentials).add_auth(req)
        head = f'{method} {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        return head.encode() + body

    def test_pipelined_requests_after_bodies_of_known_length(self):
        # A body of known length is received past the HTTP parser, straight
        # into the object's buffers: not a byte of the requests behind it may
        # be taken for body, however the bytes arrive.
        small, large = os.urandom(5000), os.urandom(1024 * 1024 + 300 * 1024 + 7)
        stream = (self.signed_request('PUT', f'/{self.bucket}/piped-small', small)
                  + self.signed_request('PUT', f'/{self.bucket}/piped-large', large)
                  + self.signed_request('GET', f'/{self.bucket}/piped-small'))
        s = self.gw.raw_socket(timeout=10)
        try:
            s.sendall(stream)  # all at once: the first read takes the next requests' bytes along
            answers = read_responses(s, 3)
        finally:
            s.close()
        self.assertEqual([status for status, _, _ in answers], [200, 200, 200], answers)
        self.assertEqual(answers[0][1].get('etag'), f'"{md5_hex(small)}"')
        self.assertEqual(answers[1][1].get('etag'), f'"{md5_hex(large)}"')
        self.assertEqual(answers[2][2], small)
        self.assertEqual(self.get_body(self.bucket, 'piped-large'), large)
        # Sent in pieces that cut across bodies and heads alike.
        s = self.gw.raw_socket(timeout=10)
        try:
            for at in range(0, len(stream), 65521):
                s.sendall(stream[at:at + 65521])
            answers = read_responses(s, 3)
        finally:
            s.close()
        self.assertEqual([status for status, _, _ in answers], [200, 200, 200], answers)
        self.assertEqual(answers[2][2], small)

    # ---- Expect: 100-continue ----------------------------------------------
    def expect_put(self, target, body, headers=None):
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target,
                         headers=dict({'Host': self.gw.hostport, 'Expect': '100-continue',
                                       'Content-Length': str(len(body))}, **(headers or {})), data=body)
        SigV4(self.gw.credentials).add_auth(req)
        head = f'PUT {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        s = self.gw.raw_socket(timeout=10)
        try:
            s.sendall(head.encode())
            # Wait for the interim answer before sending any of the body, as SDKs do.
            buf = b''
            s.settimeout(5)
            while b'\r\n' not in buf:
                b = s.recv(1)
                if not b:
                    break
                buf += b
            first = buf.split(b'\r\n', 1)[0]
            got_continue = first.startswith(b'HTTP/1.1 100')
            if got_continue:
                while not buf.endswith(b'\r\n\r\n'):
                    b = s.recv(1)
                    if not b:
                        break
                    buf += b
                s.sendall(body)
                status, hdrs, resp_body = read_response(s)
            else:
                # A final answer straight away: parse it from what we have plus the rest.
                rest = b''
                try:
                    while True:
                        b = s.recv(65536)
                        if not b:
                            break
                        rest += b
                        if b'\r\n\r\n' in buf + rest:
                            break
                except socket.timeout:
                    pass
                status = int(first.split()[1]) if first.startswith(b'HTTP/1.') else None
                hdrs, resp_body = {}, b''
            return got_continue, status, hdrs, resp_body
        finally:
            s.close()

    def test_expect_100_continue(self):
        data = os.urandom(200000)
        got_continue, status, hdrs, _ = self.expect_put(f'/{self.bucket}/expect', data)
        self.assertTrue(got_continue, 'no "100 Continue" before the body was sent')
        self.assertEqual(status, 200)
        self.assertEqual(hdrs.get('etag'), f'"{md5_hex(data)}"')
        self.assertEqual(self.get_body(self.bucket, 'expect'), data)

    def test_expect_100_continue_refused_request(self):
        # A request that will be refused may be answered at once (no 100); either
        # way the final answer is the error, and nothing is stored.
        got_continue, status, _, _ = self.expect_put(f'/{unique_bucket("nb")}/k', b'x' * 1000)
        self.assertEqual(status, 404)
        self.assertServing()

    def test_expect_with_empty_body_on_keep_alive(self):
        # What botocore needs (see the next test): an Expect: 100-continue request
        # answered without "100 Continue" must not leave the connection open for
        # another request. Either 100 precedes the final answer, or the
        # connection is closed after it.
        target = f'/{self.bucket}/expect-empty'
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target,
                         headers={'Host': self.gw.hostport, 'Expect': '100-continue', 'Content-Length': '0'})
        SigV4(self.gw.credentials).add_auth(req)
        head = f'PUT {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        s = self.gw.raw_socket(timeout=10)
        try:
            s.sendall(head.encode())
            # Everything the gateway sends within 2 s, and whether it closed.
            data, closed = b'', False
            s.settimeout(2)
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        closed = True
                        break
                    data += b
            except socket.timeout:
                pass
            statuses = re.findall(rb'HTTP/1\.1 (\d{3}) ', data)
            if statuses[:1] == [b'100']:
                self.assertEqual(statuses, [b'100', b'200'], data)
            else:
                self.assertEqual(statuses, [b'200'], data)
                self.assertTrue(closed, 'final answer to an Expect: 100-continue request without "100 Continue", '
                                        'and the connection stays open: botocore then misreads the next answer on it')
        finally:
            s.close()
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key='expect-empty')['ContentLength'], 0)

    def test_boto3_keep_alive_after_empty_expect_put(self):
        # botocore sends Expect: 100-continue even for an empty body. If the final
        # answer comes without "100 Continue" on a connection that stays open,
        # botocore misreads the next answer on that connection.
        c = self.gw.client(read_timeout=5)
        for i in range(3):
            c.put_object(Bucket=self.bucket, Key=f'empty-{i}', Body=b'')
            c.put_object(Bucket=self.bucket, Key=f'after-empty-{i}', Body=b'data')
        for i in range(3):
            self.assertEqual(c.get_object(Bucket=self.bucket, Key=f'after-empty-{i}')['Body'].read(), b'data')
            self.assertEqual(c.head_object(Bucket=self.bucket, Key=f'empty-{i}')['ContentLength'], 0)

    def test_boto3_keep_alive_after_refused_expect_put(self):
        # The same after a refusal (no such bucket): the next requests must work.
        c = self.gw.client(read_timeout=5)
        for i in range(3):
            self.assertClientError(c.put_object, 404, 'NoSuchBucket', Bucket=unique_bucket('nb'), Key='k',
                                   Body=b'refused body')
            c.put_object(Bucket=self.bucket, Key=f'after-refusal-{i}', Body=b'ok')
            self.assertEqual(c.get_object(Bucket=self.bucket, Key=f'after-refusal-{i}')['Body'].read(), b'ok')

    def test_boto3_expect_header(self):
        # botocore sends Expect: 100-continue for file-like bodies and waits for it.
        data = os.urandom(3 * 1024 * 1024)
        self.s3.put_object(Bucket=self.bucket, Key='boto-expect', Body=io.BytesIO(data))
        got = self.get_body(self.bucket, 'boto-expect')
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest())


class BodyMemoryTests(GatewayTestCase):
    """--body-memory-mib 3: three 1 MiB buffers for all bodies being received
    at once; more concurrent uploads than that wait their turn (up to 10 s)
    and are stored exactly; /metrics shows the memory held and the budget."""

    gateway_args = ('--body-memory-mib', '3', '--admin-listen', '127.0.0.1:0')

    def metrics(self):
        base = next(line.split(' on ', 1)[1].strip() for line in self.gw.stdout_lines
                    if line.startswith('ostor-gateway: billing and metrics on '))
        with urllib.request.urlopen(base + '/metrics', timeout=10) as r:
            text = r.read().decode()
        return {m.group(1): int(m.group(2))
                for m in re.finditer(r'^(ostor_body_memory\w*) (\d+)$', text, re.M)}

    def test_concurrent_uploads_share_the_memory_and_are_stored_exactly(self):
        bucket = self.new_bucket(prefix='mem')
        bodies = {f'k{i}': os.urandom(5 * 1024 * 1024 + i) for i in range(5)}

        def put(key):
            return self.s3.put_object(Bucket=bucket, Key=key, Body=bodies[key])['ETag'].strip('"')
        with ThreadPoolExecutor(len(bodies)) as pool:
            etags = dict(zip(bodies, pool.map(put, bodies)))
        for key, body in bodies.items():
            self.assertEqual(etags[key], hashlib.md5(body).hexdigest(), key)
            self.assertEqual(self.get_body(bucket, key), body, key)
        # Parts of one multipart upload at once, too.
        upload = self.s3.create_multipart_upload(Bucket=bucket, Key='mp')['UploadId']
        parts = [os.urandom(5 * 1024 * 1024) for _ in range(5)]

        def part(n):
            return self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=upload, PartNumber=n + 1,
                                       Body=parts[n])['ETag']
        with ThreadPoolExecutor(len(parts)) as pool:
            part_etags = list(pool.map(part, range(len(parts))))
        self.s3.complete_multipart_upload(Bucket=bucket, Key='mp', UploadId=upload, MultipartUpload={
            'Parts': [{'PartNumber': n + 1, 'ETag': e} for n, e in enumerate(part_etags)]})
        self.assertEqual(self.get_body(bucket, 'mp'), b''.join(parts))
        self.assertEqual(self.metrics(), {'ostor_body_memory_bytes': 0,
                                          'ostor_body_memory_budget_bytes': 3 * 1024 * 1024})

    def test_a_budget_out_of_range_is_refused_at_start(self):
        for value in ('0', '-1', 'lots', str(2 ** 20 + 1)):
            out = subprocess.run([gateway_path(), '--data', '/nonexistent-ostor-dir', '--body-memory-mib', value],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn('--body-memory-mib wants a number of MiB from 1 to 1048576', out.stderr)
            self.assertFalse(os.path.exists('/nonexistent-ostor-dir'))


if __name__ == '__main__':
    main()
