#!/usr/bin/env python3
"""Hostile and broken input: garbage request lines, oversized headers and XML
bodies, bodies shorter than announced, bad framing, many idle and slow
connections. Each must get an error or a closed connection, must store
nothing, and must leave the gateway serving (and, at the end, exiting
cleanly with no sanitizer report)."""

import hashlib
import http.client
import os
import socket
import threading
import time

from harness import (AWSRequest, GatewayTestCase, SigV4, STREAMING_PAYLOAD, aws_chunked_body, main, md5_b64,
                     unique_bucket)


def is_error_or_closed(raw):
    """A raw answer is acceptable when the server closed without answering or
    answered with a 4xx/5xx status line (not a success)."""
    if raw == b'':
        return True
    line = raw.split(b'\r\n', 1)[0]
    parts = line.split()
    return len(parts) >= 2 and parts[0].startswith(b'HTTP/1.') and parts[1][:1] in (b'4', b'5')


class HostileTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('hostile')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def tearDown(self):
        # Whatever a test did, the gateway must still be serving.
        self.assertServing()

    # ---- request line and headers ------------------------------------------
    def test_garbage_request_lines(self):
        for raw in [b'GARBAGE\r\n\r\n', b'GET\r\n\r\n', b'\x00\x01\x02\xff\xfe' * 50 + b'\r\n\r\n',
                    b'GET / HTTP/9.9\r\nHost: x\r\n\r\n', b'GET / FOO/1.1\r\n\r\n', b'\r\n\r\n\r\n\r\n',
                    b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\nHost: x\r\n\r\n',
                    b'GET / HTTP/1.1\r\nNo colon header\r\n\r\n']:
            with self.subTest(raw=raw[:40]):
                answer = self.gw.raw_exchange(raw, timeout=10)
                self.assertTrue(is_error_or_closed(answer), answer[:200])
                self.assertTrue(self.gw.alive())
        self.assertServing()

    def test_binary_junk_then_close(self):
        s = self.gw.raw_socket()
        s.sendall(os.urandom(4096))
        s.close()
        self.assertServing()

    def test_huge_header(self):
        for headers in ([('X-Big', 'a' * (100 * 1024))],
                        [(f'X-H{i}', 'v' * 20) for i in range(5000)]):
            with self.subTest(count=len(headers)):
                raw = (b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                       + b''.join(f'{k}: {v}\r\n'.encode() for k, v in headers) + b'\r\n')
                answer = self.gw.raw_exchange(raw, timeout=10)
                self.assertTrue(is_error_or_closed(answer), answer[:200])
                if answer:
                    self.assertIn(answer.split()[1], (b'400', b'431'))
        self.assertServing()

    def test_huge_signed_metadata_header(self):
        # A properly signed request whose header block is over 100 KiB.
        r = None
        try:
            r = self.gw.request('PUT', f'/{self.bucket}/big-meta', headers={'x-amz-meta-big': 'm' * (100 * 1024)},
                                body=b'x')
        except (ConnectionError, http.client.HTTPException, socket.timeout):
            pass
        if r is not None:
            self.assertIn(r.status, (400, 431), repr(r))
        self.assertNoObject(self.bucket, 'big-meta')

    def test_bad_content_length(self):
        for cl in (b'abc', b'-5', b'1, 2', b'99999999999999999999999'):
            with self.subTest(content_length=cl):
                raw = (f'PUT /{self.bucket}/bad-cl HTTP/1.1\r\nHost: 127.0.0.1\r\n'.encode()
                       + b'Content-Length: ' + cl + b'\r\n\r\nxxxxx')
                answer = self.gw.raw_exchange(raw, timeout=10)
                self.assertTrue(is_error_or_closed(answer), answer[:200])
        raw = (f'PUT /{self.bucket}/bad-cl HTTP/1.1\r\nHost: 127.0.0.1\r\n'.encode()
               + b'Content-Length: 5\r\nContent-Length: 6\r\n\r\nxxxxxx')
        self.assertTrue(is_error_or_closed(self.gw.raw_exchange(raw, timeout=10)))
        self.assertNoObject(self.bucket, 'bad-cl')

    def test_unknown_method(self):
        r = self.gw.request('BREW', f'/{self.bucket}/pot')
        self.assertGreaterEqual(r.status, 400, repr(r))
        self.assertLess(r.status, 600, repr(r))

    def test_dot_dot_key_is_just_a_key(self):
        r = self.gw.request('GET', f'/{self.bucket}/../../../../etc/passwd')
        self.assertIn(r.status, (400, 403, 404), repr(r))
        self.assertNotIn(b'root:', r.body)

    # ---- truncated bodies --------------------------------------------------
    def truncated_put(self, key, declared, sent, payload_hash='UNSIGNED-PAYLOAD', extra=None):
        target = f'/{self.bucket}/{key}'
        headers = {'Host': self.gw.hostport, 'Content-Length': str(declared)}
        headers.update(extra or {})
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target, headers=headers)
        SigV4(self.gw.credentials, payload_hash=payload_hash).add_auth(req)
        head = f'PUT {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        s = self.gw.raw_socket()
        try:
            s.sendall(head.encode())
            s.sendall(sent)
            time.sleep(0.2)
        finally:
            s.close()

    def assert_never_stored(self, key, old=None):
        for delay in (0.3, 0.7):
            time.sleep(delay)
            if old is None:
                self.assertNoObject(self.bucket, key)
            else:
                self.assertEqual(self.get_body(self.bucket, key), old)

    def test_short_body_then_close(self):
        self.truncated_put('short', 100000, os.urandom(50000))
        self.assert_never_stored('short')

    def test_short_body_with_payload_hash(self):
        full = os.urandom(100000)
        self.truncated_put('short-hashed', len(full), full[:99999], payload_hash=hashlib.sha256(full).hexdigest())
        self.assert_never_stored('short-hashed')

    def test_short_body_with_content_md5(self):
        full = os.urandom(70000)
        self.truncated_put('short-md5', len(full), full[:10], extra={'Content-MD5': md5_b64(full)})
        self.assert_never_stored('short-md5')

    def test_short_body_keeps_old_object(self):
        self.put(self.bucket, 'survivor', b'old content')
        self.truncated_put('survivor', 200000, b'n' * 150000)
        self.assert_never_stored('survivor', old=b'old content')

    def test_no_body_at_all_then_close(self):
        self.truncated_put('nobody', 1000, b'')
        self.assert_never_stored('nobody')

    def test_truncated_aws_chunked(self):
        data = os.urandom(3 * 65536)
        chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
        target = f'/{self.bucket}/chunked-trunc'
        encoded_len = sum(len(f'{len(c):x};chunk-signature='.encode()) + 64 + 4 + len(c) for c in chunks + [b''])
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target, headers={
            'Host': self.gw.hostport, 'Content-Encoding': 'aws-chunked',
            'x-amz-decoded-content-length': str(len(data)), 'Content-Length': str(encoded_len)})
        signer = SigV4(self.gw.credentials, payload_hash=STREAMING_PAYLOAD)
        signer.add_auth(req)
        body = aws_chunked_body(chunks, self.gw.secret_key, signer.timestamp, signer.seed_signature)
        head = f'PUT {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        s = self.gw.raw_socket()
        try:
            s.sendall(head.encode() + body[:len(body) // 2])
            time.sleep(0.2)
        finally:
            s.close()
        self.assert_never_stored('chunked-trunc')

    def test_truncated_transfer_encoding_chunked(self):
        target = f'/{self.bucket}/te-trunc'
        req = AWSRequest(method='PUT', url=self.gw.endpoint + target,
                         headers={'Host': self.gw.hostport, 'Transfer-Encoding': 'chunked'})
        SigV4(self.gw.credentials, payload_hash='UNSIGNED-PAYLOAD').add_auth(req)
        head = f'PUT {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n'
        s = self.gw.raw_socket()
        try:
            s.sendall(head.encode() + b'1000\r\n' + b'z' * 4096 + b'\r\n' + b'1000\r\nzz')
            time.sleep(0.2)
        finally:
            s.close()
        self.assert_never_stored('te-trunc')

    # ---- oversized XML bodies ---------------------------------------------
    def test_oversized_delete_body(self):
        self.put(self.bucket, 'k', b'v')
        body = b'<Delete>' + b'<Object><Key>k</Key></Object>' * 200000 + b'</Delete>'  # ~5.6 MiB
        try:
            r = self.gw.request('POST', f'/{self.bucket}', 'delete', headers={'Content-MD5': md5_b64(body)},
                                body=body)
            self.assertGreaterEqual(r.status, 400, repr(r))
            self.assertLess(r.status, 500, repr(r))
        except (ConnectionError, http.client.HTTPException):
            pass  # closing the connection is an acceptable refusal
        self.assertEqual(self.get_body(self.bucket, 'k'), b'v')

    def test_oversized_complete_body(self):
        uid = self.s3.create_multipart_upload(Bucket=self.bucket, Key='big-xml')['UploadId']
        body = (b'<CompleteMultipartUpload>'
                + b'<Part><PartNumber>1</PartNumber><ETag>"00"</ETag></Part>' * 150000
                + b'</CompleteMultipartUpload>')
        try:
            r = self.gw.request('POST', f'/{self.bucket}/big-xml', f'uploadId={uid}', body=body)
            self.assertGreaterEqual(r.status, 400, repr(r))
            self.assertLess(r.status, 500, repr(r))
        except (ConnectionError, http.client.HTTPException):
            pass
        self.assertNoObject(self.bucket, 'big-xml')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='big-xml', UploadId=uid)

    def test_xml_entity_expansion(self):
        # "Billion laughs": entities must not be expanded (refusing the body is fine too).
        body = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                + b''.join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'.encode()
                           for i in range(9))
                + b']><Delete><Object><Key>&lol8;</Key></Object></Delete>')
        start = time.monotonic()
        r = self.gw.request('POST', f'/{self.bucket}', 'delete', headers={'Content-MD5': md5_b64(body)}, body=body,
                            timeout=20)
        self.assertIn(r.status, (200, 400), repr(r))
        self.assertNotIn(b'lollol', r.body)
        self.assertLess(len(r.body), 10000)
        self.assertLess(time.monotonic() - start, 5)

    # ---- connection handling -----------------------------------------------
    def test_keep_alive_after_errors(self):
        conn = http.client.HTTPConnection(self.gw.host, self.gw.port, timeout=10)
        try:
            for target, want in [(f'/{self.bucket}/missing-1', 404), (f'/{unique_bucket("nb")}/k', 404),
                                 (f'/{self.bucket}/missing-2', 404)]:
                req = AWSRequest(method='GET', url=self.gw.endpoint + target, headers={'Host': self.gw.hostport})
                SigV4(self.gw.credentials).add_auth(req)
                conn.putrequest('GET', target, skip_host=True, skip_accept_encoding=True)
                for k, v in req.headers.items():
                    conn.putheader(k, v)
                conn.endheaders()
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, want)
        finally:
            conn.close()

    def test_many_idle_connections(self):
        socks = []
        try:
            # From another address than the test's own requests: one address
            # may hold --max-connections-per-client (1000) connections.
            for _ in range(1000):
                socks.append(socket.create_connection((self.gw.host, self.gw.port), timeout=10,
                                                      source_address=('127.0.0.2', 0)))
            # Half of them have started a request and stalled.
            for s in socks[::2]:
                s.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            start = time.monotonic()
            r = self.gw.request('GET', '/', timeout=20)
            self.assertEqual(r.status, 200, repr(r))
            self.assertLess(time.monotonic() - start, 15)
            self.put(self.bucket, 'during-idle', b'ok')
            self.assertEqual(self.get_body(self.bucket, 'during-idle'), b'ok')
        finally:
            for s in socks:
                s.close()

    def test_slowloris(self):
        stop = threading.Event()
        socks = [socket.create_connection((self.gw.host, self.gw.port), timeout=10) for _ in range(50)]

        def dribble():
            header = b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + b'a' * 1000
            i = 0
            while not stop.is_set() and i < len(header):
                for s in socks:
                    try:
                        s.sendall(header[i:i + 1])
                    except OSError:
                        pass
                i += 1
                stop.wait(0.05)

        t = threading.Thread(target=dribble, daemon=True)
        t.start()
        try:
            for n in range(5):
                start = time.monotonic()
                r = self.gw.request('GET', '/', timeout=10)
                self.assertEqual(r.status, 200)
                self.assertLess(time.monotonic() - start, 5)
                time.sleep(0.2)
        finally:
            stop.set()
            t.join()
            for s in socks:
                s.close()

    def test_client_vanishes_mid_download(self):
        data = os.urandom(8 * 1024 * 1024)
        self.put(self.bucket, 'download', data)
        for _ in range(3):
            req = AWSRequest(method='GET', url=f'{self.gw.endpoint}/{self.bucket}/download',
                             headers={'Host': self.gw.hostport})
            SigV4(self.gw.credentials).add_auth(req)
            head = (f'GET /{self.bucket}/download HTTP/1.1\r\n'
                    + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items()) + '\r\n')
            s = self.gw.raw_socket()
            s.sendall(head.encode())
            s.recv(1000)
            s.close()
        self.assertEqual(self.get_body(self.bucket, 'download'), data)

    def test_half_closed_request(self):
        # The client sends a request and shuts down its sending side: the answer still comes.
        req = AWSRequest(method='GET', url=self.gw.endpoint + '/', headers={'Host': self.gw.hostport})
        SigV4(self.gw.credentials).add_auth(req)
        raw = ('GET / HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in req.headers.items())
               + 'Connection: close\r\n\r\n').encode()
        answer = self.gw.raw_exchange(raw, shutdown_write=True)
        self.assertTrue(answer.startswith(b'HTTP/1.1 200'), answer[:200])


if __name__ == '__main__':
    main()
