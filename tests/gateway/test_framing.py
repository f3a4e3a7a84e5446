#!/usr/bin/env python3
"""Broken body framing found by an adversarial run: oversized or garbage
HTTP chunked trailers, aws-chunked chunk headers, chunk signatures and
trailers. Each is a properly signed PUT whose body framing is wrong: the
answer must be a 4xx S3 error (never a 500), nothing may be stored (an older
object of the key is kept), and the gateway keeps serving."""

import base64
import os
import zlib

import xml.etree.ElementTree as ET

from harness import (AWSRequest, GatewayTestCase, SigV4, STREAMING_PAYLOAD, aws_chunked_body, main, read_first_response,
                     unique_bucket)

UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()


def parse_answer(raw):
    """(status, S3 error code or None) of a raw HTTP answer; (None, None) when
    the server closed without answering."""
    if not raw:
        return None, None
    status = int(raw.split(b'\r\n', 1)[0].split()[1])
    body = raw.split(b'\r\n\r\n', 1)[1] if b'\r\n\r\n' in raw else b''
    code = None
    if body.strip():
        try:
            root = ET.fromstring(body)
            code = root.findtext('Code')
        except ET.ParseError:
            pass
    return status, code


class FramingTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('framing')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def tearDown(self):
        self.assertServing()

    def raw_put(self, key, body, payload_hash, headers):
        """Signs a PUT with `headers` and sends it with `body` as is; the raw answer."""
        target = f'/{self.bucket}/{key}'
        hdrs = {'Host': self.gw.hostport}
        hdrs.update(headers)
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target, headers=hdrs)
        signer = SigV4(self.gw.credentials, payload_hash=payload_hash)
        signer.add_auth(req)
        self.signer = signer
        if callable(body):
            body = body(signer)
        head = f'PUT {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        s = self.gw.raw_socket(timeout=20)
        try:
            try:
                s.sendall(head.encode() + body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the gateway may refuse before reading everything
            return read_first_response(s, timeout=20)
        finally:
            s.close()

    def assertRefused(self, raw, key, old, want_code=None):
        status, code = parse_answer(raw)
        self.assertIsNotNone(status, 'the gateway closed the connection without answering')
        self.assertGreaterEqual(status, 400, raw[:400])
        self.assertLess(status, 500, raw[:400])
        self.assertIsNotNone(code, raw[:400])
        if want_code:
            self.assertEqual(code, want_code, raw[:400])
        self.assertEqual(self.get_body(self.bucket, key), old)

    def unsigned_trailer_put(self, key, data, trailer_lines):
        """aws-chunked with STREAMING-UNSIGNED-PAYLOAD-TRAILER; `trailer_lines`
        (bytes, each ending in CRLF) after the last chunk."""
        body = f'{len(data):x}\r\n'.encode() + data + b'\r\n0\r\n' + trailer_lines + b'\r\n'
        return self.raw_put(key, body, UNSIGNED_TRAILER, {
            'Content-Encoding': 'aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32',
            'x-amz-decoded-content-length': str(len(data)), 'x-amz-sdk-checksum-algorithm': 'CRC32',
            'Content-Length': str(len(body))})

    # ---- HTTP/1.1 chunked transfer coding ----------------------------------
    def test_http_chunked_trailer_oversized(self):
        # Beast refuses a trailer field over 64 KiB by throwing: that was a 500.
        self.put(self.bucket, 'te-trailer', b'old')
        body = b'5\r\nhello\r\n0\r\nX-Big: ' + b'a' * 70000 + b'\r\n\r\n'
        raw = self.raw_put('te-trailer', body, 'UNSIGNED-PAYLOAD', {'Transfer-Encoding': 'chunked'})
        self.assertRefused(raw, 'te-trailer', b'old', 'MalformedTrailerError')

    def test_http_chunked_trailer_of_many_small_fields(self):
        # Each field is small, but together they pass what a connection may
        # buffer (a header's worth and a read): refused, nothing stored.
        self.put(self.bucket, 'te-fields', b'old')
        fields = b''.join(b'X-F%d: %s\r\n' % (i, b'v' * 40) for i in range(5000))
        body = b'5\r\nhello\r\n0\r\n' + fields + b'\r\n'
        raw = self.raw_put('te-fields', body, 'UNSIGNED-PAYLOAD', {'Transfer-Encoding': 'chunked'})
        self.assertRefused(raw, 'te-fields', b'old')

    def test_http_chunked_trailer_garbage(self):
        self.put(self.bucket, 'te-garbage', b'old')
        body = b'5\r\nhello\r\n0\r\n\x00\x01 no colon here\r\n\r\n'
        raw = self.raw_put('te-garbage', body, 'UNSIGNED-PAYLOAD', {'Transfer-Encoding': 'chunked'})
        self.assertRefused(raw, 'te-garbage', b'old')

    # ---- aws-chunked -------------------------------------------------------
    def test_aws_chunked_trailer_oversized(self):
        self.put(self.bucket, 'aws-trailer', b'old')
        data = os.urandom(1000)
        raw = self.unsigned_trailer_put('aws-trailer', data, b'x-amz-checksum-crc32:' + b'A' * 100000 + b'\r\n')
        self.assertRefused(raw, 'aws-trailer', b'old')

    def test_aws_chunked_trailer_too_many_fields(self):
        self.put(self.bucket, 'aws-fields', b'old')
        data = os.urandom(1000)
        lines = f'x-amz-checksum-crc32:{crc32_b64(data)}\r\n'.encode()
        lines += b''.join(f'x-amz-meta-f{i}:v\r\n'.encode() for i in range(5000))
        raw = self.unsigned_trailer_put('aws-fields', data, lines)
        self.assertRefused(raw, 'aws-fields', b'old', 'MalformedTrailerError')

    def test_aws_chunked_trailer_garbage(self):
        self.put(self.bucket, 'aws-garbage', b'old')
        data = os.urandom(1000)
        for junk in (b'\x00\xff\xfe garbage without a colon\r\n', b':\r\n', b'x-amz-checksum-crc32:not base64!\r\n'):
            with self.subTest(junk=junk):
                raw = self.unsigned_trailer_put('aws-garbage', data, junk)
                self.assertRefused(raw, 'aws-garbage', b'old')

    def test_aws_chunked_trailer_unannounced(self):
        # A trailer the client did not name in x-amz-trailer.
        self.put(self.bucket, 'aws-unannounced', b'old')
        data = os.urandom(1000)
        lines = f'x-amz-checksum-crc32:{crc32_b64(data)}\r\nx-amz-checksum-sha256:AAAA\r\n'.encode()
        raw = self.unsigned_trailer_put('aws-unannounced', data, lines)
        self.assertRefused(raw, 'aws-unannounced', b'old')

    def test_aws_chunked_size_line_oversized(self):
        self.put(self.bucket, 'aws-size', b'old')
        data = os.urandom(1000)
        body = f'{len(data):x};'.encode() + b'x' * 20000 + b'\r\n' + data + b'\r\n0\r\n\r\n'
        raw = self.raw_put('aws-size', body, UNSIGNED_TRAILER, {
            'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(len(data)),
            'Content-Length': str(len(body))})
        self.assertRefused(raw, 'aws-size', b'old')

    def test_aws_chunked_size_oversized_number(self):
        self.put(self.bucket, 'aws-size-num', b'old')
        body = b'f' * 40 + b'\r\n' + b'x' * 100 + b'\r\n0\r\n\r\n'
        raw = self.raw_put('aws-size-num', body, UNSIGNED_TRAILER, {
            'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': '100',
            'Content-Length': str(len(body))})
        self.assertRefused(raw, 'aws-size-num', b'old')

    def test_aws_chunked_signature_oversized(self):
        self.put(self.bucket, 'aws-sig', b'old')
        data = os.urandom(1000)
        body = f'{len(data):x};chunk-signature='.encode() + b'a' * 100000 + b'\r\n' + data + b'\r\n'
        raw = self.raw_put('aws-sig', body, STREAMING_PAYLOAD, {
            'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(len(data)),
            'Content-Length': str(len(body))})
        self.assertRefused(raw, 'aws-sig', b'old')

    def test_aws_chunked_valid_still_works(self):
        # The limits leave real clients alone: a signed multi-chunk upload and a trailer upload.
        data = os.urandom(3 * 65536 + 7)
        chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
        encoded_len = sum(len(f'{len(c):x};chunk-signature='.encode()) + 64 + 4 + len(c) for c in chunks + [b''])
        raw = self.raw_put('aws-ok', lambda signer: aws_chunked_body(chunks, self.gw.secret_key, signer.timestamp,
                                                                      signer.seed_signature),
                           STREAMING_PAYLOAD, {'Content-Encoding': 'aws-chunked',
                                               'x-amz-decoded-content-length': str(len(data)),
                                               'Content-Length': str(encoded_len)})
        self.assertEqual(parse_answer(raw)[0], 200, raw[:400])
        self.assertEqual(self.get_body(self.bucket, 'aws-ok'), data)
        raw = self.unsigned_trailer_put('aws-ok-trailer', data[:5000],
                                        f'x-amz-checksum-crc32:{crc32_b64(data[:5000])}\r\n'.encode())
        self.assertEqual(parse_answer(raw)[0], 200, raw[:400])
        self.assertEqual(self.get_body(self.bucket, 'aws-ok-trailer'), data[:5000])


if __name__ == '__main__':
    main()
