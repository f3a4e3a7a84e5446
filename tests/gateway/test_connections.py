#!/usr/bin/env python3
"""Connections: idle keep-alive connections wait in epoll, not in a thread,
so thousands of them (more than the worker threads) never lock busy clients
out; one client address holds at most --max-connections-per-client of them;
idle ones close at --idle-timeout; transfer codings other than chunked are
refused as RFC 9112 says (501; 400 when chunked is not the last)."""

import socket
import time

from harness import GatewayTestCase, main, read_first_response, read_response, unique_bucket

IDLE_TIMEOUT_S = 3


def keep_alive_connection(gw, source, timeout=10):
    """A connection from `source` (an address of 127/8) that has been served
    one request and stays open: a client's idle keep-alive connection."""
    s = socket.create_connection((gw.host, gw.port), timeout=timeout, source_address=(source, 0))
    s.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    status, headers, _ = read_response(s, timeout)
    assert status == 403 and headers.get('connection', '').lower() != 'close', (status, headers)
    return s


def still_served(sock):
    """The idle connection still serves a request."""
    sock.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    status, _, _ = read_response(sock, 10)
    return status == 403


class ManyIdleConnections(GatewayTestCase):
    gateway_args = ('--idle-timeout', '120')

    def test_thousands_of_idle_connections_leave_other_clients_served(self):
        # 2,100 idle connections from three addresses: twice the worker
        # threads (1,024), which is all the old gateway could hold at once.
        idle = []
        try:
            for source in ('127.0.0.2', '127.0.0.3', '127.0.0.4'):
                for _ in range(700):
                    idle.append(keep_alive_connection(self.gw, source))
            bucket = unique_bucket('idle')
            self.s3.create_bucket(Bucket=bucket)
            start = time.monotonic()
            for i in range(20):
                self.put(bucket, f'k{i}', b'x' * 100)
                self.assertEqual(self.get_body(bucket, f'k{i}'), b'x' * 100)
            self.assertLess(time.monotonic() - start, 10)
            # Every idle connection is still there and served at once.
            for s in idle[::100]:
                self.assertTrue(still_served(s))
        finally:
            for s in idle:
                s.close()
        self.assertServing()

    def test_half_sent_requests_do_not_hold_out_others(self):
        socks = []
        try:
            for _ in range(500):
                socks.append(socket.create_connection((self.gw.host, self.gw.port), timeout=10,
                                                      source_address=('127.0.0.5', 0)))
            # Half of them have started a request and stalled.
            for s in socks[::2]:
                s.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            start = time.monotonic()
            r = self.gw.request('GET', '/', timeout=20)
            self.assertEqual(r.status, 200, repr(r))
            self.assertLess(time.monotonic() - start, 5)
        finally:
            for s in socks:
                s.close()


class SlowClients(GatewayTestCase):
    gateway_args = ('--header-timeout', '20')

    def test_slow_clients_get_at_most_their_share_of_the_workers(self):
        # 1,100 connections that each send one byte of a header and stall
        # would hold every one of the 1,024 workers until the header timeout;
        # one address keeps at most an eighth of them busy.
        slow = []
        try:
            for source, count in (('127.0.0.2', 1000), ('127.0.0.3', 100)):
                for _ in range(count):
                    s = socket.create_connection((self.gw.host, self.gw.port), timeout=30, source_address=(source, 0))
                    s.sendall(b'G')
                    slow.append(s)
            time.sleep(1)
            start = time.monotonic()
            r = self.gw.request('GET', '/', timeout=30)
            self.assertEqual(r.status, 200, repr(r))
            self.assertLess(time.monotonic() - start, 5)
        finally:
            for s in slow:
                s.close()


class PerClientCap(GatewayTestCase):
    gateway_args = ('--max-connections-per-client', '50')

    def test_one_address_holds_at_most_its_share(self):
        held, refused = [], 0
        try:
            for _ in range(50):
                held.append(keep_alive_connection(self.gw, '127.0.0.2'))
            # The 51st from that address is answered 503 SlowDown and closed.
            for _ in range(5):
                answer = self.gw_exchange_from('127.0.0.2')
                self.assertIn(b' 503 ', answer.split(b'\r\n', 1)[0], answer[:300])
                self.assertIn(b'<Code>SlowDown</Code>', answer)
                refused += 1
            # Another address is not affected.
            self.assertServing()
            other = keep_alive_connection(self.gw, '127.0.0.3')
            other.close()
            # Closing one makes room for one more.
            held.pop().close()
            time.sleep(0.3)
            held.append(keep_alive_connection(self.gw, '127.0.0.2'))
        finally:
            for s in held:
                s.close()
        self.assertEqual(refused, 5)

    def gw_exchange_from(self, source):
        s = socket.create_connection((self.gw.host, self.gw.port), timeout=10, source_address=(source, 0))
        try:
            try:
                s.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
            except (BrokenPipeError, ConnectionResetError):
                pass
            return read_first_response(s, 10)
        finally:
            s.close()


class WritersAndReaders(GatewayTestCase):

    def test_writers_keep_their_connections_and_hold_out_no_reader(self):
        # 150 keep-alive connections from three addresses each send a write
        # (to no bucket: answered 404) and fall silent; after a write a worker
        # waits a moment for the connection's next one, so each holds a
        # worker, far more than the few a server of small requests keeps.
        # A reader on another connection is served at once all the same, and
        # every writer's connection serves its next request after the pause.
        writers = []
        try:
            for source in ('127.0.0.2', '127.0.0.3', '127.0.0.4'):
                for _ in range(50):
                    writers.append(socket.create_connection((self.gw.host, self.gw.port), timeout=10,
                                                            source_address=(source, 0)))
            for s in writers:
                s.sendall(b'PUT /no-such-bucket/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n')
            for s in writers:
                status, headers, _ = read_response(s, 10)
                self.assertEqual(status, 404)
                self.assertNotEqual(headers.get('connection', '').lower(), 'close')
            for _ in range(3):
                start = time.monotonic()
                r = self.gw.request('GET', '/', timeout=10)
                self.assertEqual(r.status, 200, repr(r))
                self.assertLess(time.monotonic() - start, 1)
            time.sleep(0.5)
            for s in writers:
                self.assertTrue(still_served(s))
        finally:
            for s in writers:
                s.close()


class IdleTimeout(GatewayTestCase):
    gateway_args = ('--idle-timeout', str(IDLE_TIMEOUT_S))

    def test_idle_connections_close_at_the_idle_timeout(self):
        fresh = socket.create_connection((self.gw.host, self.gw.port), timeout=30)  # never says anything
        served = keep_alive_connection(self.gw, '127.0.0.1', timeout=30)
        try:
            start = time.monotonic()
            for s in (fresh, served):
                s.settimeout(IDLE_TIMEOUT_S + 10)
                self.assertEqual(s.recv(4096), b'')
            waited = time.monotonic() - start
            self.assertGreater(waited, IDLE_TIMEOUT_S - 1)
            self.assertLess(waited, IDLE_TIMEOUT_S + 3)
        finally:
            fresh.close()
            served.close()
        self.assertServing()

    def test_a_connection_active_within_the_timeout_stays_open(self):
        s = keep_alive_connection(self.gw, '127.0.0.1', timeout=30)
        try:
            for _ in range(3):
                time.sleep(IDLE_TIMEOUT_S / 2)
                self.assertTrue(still_served(s))
        finally:
            s.close()


class TransferCodings(GatewayTestCase):

    def test_codings_other_than_chunked_are_not_implemented(self):
        bucket = self.new_bucket(prefix='te')
        body = b'5\r\nhello\r\n0\r\n\r\n'
        for coding, status in ((b'gzip, chunked', 501), (b'deflate,chunked', 501), (b'chunked, chunked', 400),
                               (b'gzip', 400)):
            head = (f'PUT /{bucket}/coded HTTP/1.1\r\nHost: 127.0.0.1\r\n'.encode() +
                    b'Transfer-Encoding: ' + coding + b'\r\n\r\n')
            answer = self.gw.raw_exchange(head + body)
            self.assertTrue(answer.startswith(f'HTTP/1.1 {status} '.encode()), (coding, answer[:300]))
        # The codings of every Transfer-Encoding field count, in order.
        head = (f'PUT /{bucket}/coded HTTP/1.1\r\nHost: 127.0.0.1\r\n'.encode() +
                b'Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n')
        answer = self.gw.raw_exchange(head + body)
        self.assertTrue(answer.startswith(b'HTTP/1.1 501 '), answer[:300])
        self.assertNoObject(bucket, 'coded')
        self.assertServing()


if __name__ == '__main__':
    main()
