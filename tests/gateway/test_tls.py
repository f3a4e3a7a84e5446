#!/usr/bin/env python3
"""HTTPS (--tls-cert/--tls-key): S3 clients work over TLS, and the header and
idle timeouts hold on TLS connections as on plain ones (a client that never
finishes its handshake or its header is dropped; the gateway keeps serving)."""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import GatewayTestCase, main, unique_bucket

HEADER_TIMEOUT_S = 2


def self_signed_certificate(directory):
    cert, key = os.path.join(directory, 'cert.pem'), os.path.join(directory, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class TlsTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.mkdtemp(prefix='ostor-tls-test-')
        cls.addClassCleanup(shutil.rmtree, cls.cert_dir, ignore_errors=True)
        cls.cert, key = self_signed_certificate(cls.cert_dir)
        cls.ca_file = cls.cert
        cls.gateway_args = ('--tls-cert', cls.cert, '--tls-key', key, '--header-timeout', str(HEADER_TIMEOUT_S))
        super().setUpClass()
        cls.bucket = unique_bucket('tls')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def tls_socket(self):
        context = ssl.create_default_context(cafile=self.cert)
        raw = socket.create_connection((self.gw.host, self.gw.port), timeout=30)
        return context.wrap_socket(raw, server_hostname='127.0.0.1')

    def test_listens_on_https_and_serves_boto3(self):
        self.assertTrue(self.gw.endpoint.startswith('https://'))
        body = os.urandom(3 * 1024 * 1024 + 5)
        self.put(self.bucket, 'over-tls', body)
        self.assertEqual(self.get_body(self.bucket, 'over-tls'), body)
        self.assertEqual(self.get_body(self.bucket, 'over-tls', Range='bytes=10-19'), body[10:20])

    def test_a_request_record_split_by_a_pause_is_served(self):
        # The record of a request arrives in two pieces, far enough apart
        # that the server has stopped waiting for a next request: it must
        # read on, not drop the connection.
        context = ssl.create_default_context(cafile=self.cert)
        raw = socket.create_connection((self.gw.host, self.gw.port), timeout=30)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname='127.0.0.1')
        try:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    raw.sendall(outgoing.read())
                    incoming.write(raw.recv(65536))
            raw.sendall(outgoing.read())
            tls.write(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
            record = outgoing.read()
            raw.sendall(record[:10])
            time.sleep(1)
            raw.sendall(record[10:])
            answer = b''
            while b'\r\n\r\n' not in answer:
                try:
                    answer += tls.read(65536)
                except ssl.SSLWantReadError:
                    data = raw.recv(65536)
                    if not data:
                        break
                    incoming.write(data)
            self.assertTrue(answer.startswith(b'HTTP/1.1 403 '), answer[:200])
        finally:
            raw.close()

    def test_plain_http_on_the_tls_port_gets_no_answer(self):
        raw = self.gw.raw_exchange(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', timeout=10)
        self.assertFalse(raw.startswith(b'HTTP/1.1 200'), raw[:200])
        self.assertServing()

    def test_a_client_that_never_finishes_its_handshake_is_dropped(self):
        s = socket.create_connection((self.gw.host, self.gw.port), timeout=HEADER_TIMEOUT_S + 10)
        try:
            start = time.monotonic()
            s.sendall(b'\x16\x03\x01\x00')  # the start of a ClientHello, then nothing
            self.assertEqual(s.recv(4096), b'')
            self.assertLess(time.monotonic() - start, HEADER_TIMEOUT_S + 5)
        finally:
            s.close()
        self.assertServing()

    def test_a_handshake_sent_a_byte_at_a_time_is_dropped_at_the_header_timeout(self):
        # Each byte comes well within the idle timeout; the whole record never
        # does, and the header deadline covers the handshake.
        s = socket.create_connection((self.gw.host, self.gw.port), timeout=10)
        s.settimeout(0.5)
        start = time.monotonic()
        closed_after = None
        try:
            s.sendall(b'\x16\x03\x01\x40\x00')  # a handshake record of 16 KiB announced
            while time.monotonic() - start < HEADER_TIMEOUT_S + 10:
                try:
                    s.sendall(b'\x01')
                    if s.recv(4096) == b'':
                        closed_after = time.monotonic() - start
                        break
                except socket.timeout:
                    continue
                except OSError:
                    closed_after = time.monotonic() - start
                    break
        finally:
            s.close()
        self.assertIsNotNone(closed_after, 'a handshake dribbled byte by byte kept its connection')
        self.assertLess(closed_after, HEADER_TIMEOUT_S + 5)
        self.assertServing()

    def test_slowloris_over_tls_is_dropped_at_the_header_timeout(self):
        stop = threading.Event()
        socks = [self.tls_socket() for _ in range(20)]
        closed = []

        def dribble(s):
            header = b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + b'a' * 1000
            start = time.monotonic()
            for i in range(len(header)):
                if stop.is_set():
                    return
                try:
                    s.sendall(header[i:i + 1])
                except OSError:
                    closed.append(time.monotonic() - start)
                    return
                stop.wait(0.1)

        threads = [threading.Thread(target=dribble, args=(s,), daemon=True) for s in socks]
        for t in threads:
            t.start()
        try:
            # The gateway keeps serving others meanwhile.
            for _ in range(3):
                started = time.monotonic()
                self.assertEqual(self.gw.request('GET', '/', timeout=10).status, 200)
                self.assertLess(time.monotonic() - started, 5)
            for t in threads:
                t.join(timeout=HEADER_TIMEOUT_S + 15)
            self.assertEqual(len(closed), len(socks), 'slow TLS clients still connected past the header timeout')
            self.assertLess(max(closed), HEADER_TIMEOUT_S + 8)
        finally:
            stop.set()
            for s in socks:
                s.close()
        self.assertServing()


if __name__ == '__main__':
    main()
