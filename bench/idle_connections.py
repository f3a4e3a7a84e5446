#!/usr/bin/env python3
"""Idle-connection benchmark: what ten thousand idle keep-alive connections
cost ostor-gateway, and whether busy clients still get full speed beside them.

In one run, on one gateway:
  1. 4 KiB GET ops/s with 64 busy connections (wrk, a presigned URL): the reference;
  2. IDLE keep-alive connections opened (each served one request, then left
     idle), spread over source addresses 127.0.0.2, .3, ... so that no address
     passes the gateway's per-client cap (1000 by default);
  3. the same GET run with them held open: the ratio to 1.;
  4. the gateway's RSS (VmRSS, VmHWM) and threads before and after, and a
     sample of the idle connections served again at the end.

    python3 bench/idle_connections.py [--gateway PATH] [--idle N] [--duration S]

Defaults: build/gateway-lite/ostor-gateway, 10000 idle connections, 10 s per
GET run. wrk is installed with apt-get when missing (Debian, as root). The
data directory goes under $TMPDIR (default /var/tmp) and is removed.
"""
import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import boto3
except ImportError:
    sys.path.append('/usr/lib/python3/dist-packages')
    import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PER_ADDRESS = 1000
MEMORY_GOAL_MIB = 200


def status_kib(pid, field):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def threads(pid):
    return len(os.listdir(f'/proc/{pid}/task'))


def wrk_get(url, duration):
    out = subprocess.run(['wrk', '-t2', '-c64', f'-d{duration}s', url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if errors:
        sys.exit(f'idle_connections: {errors.group(1)} GETs failed:\n{out}')
    return rate


def keep_alive(host, port, source):
    s = socket.create_connection((host, port), timeout=30, source_address=(source, 0))
    s.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    answer = b''
    while b'</Error>' not in answer:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError(f'closed by the gateway: {answer[:200]!r}')
        answer += chunk
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gateway', default=os.path.join(ROOT, 'build/gateway-lite/ostor-gateway'))
    parser.add_argument('--idle', type=int, default=10000)
    parser.add_argument('--duration', type=int, default=10)
    args = parser.parse_args()

    if not shutil.which('wrk'):
        if os.geteuid() != 0:
            sys.exit('idle_connections: wrk is missing (apt-get install wrk)')
        subprocess.run(['apt-get', 'install', '-y', '-qq', 'wrk'], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < args.idle + 256:
        sys.exit(f'idle_connections: the open-files hard limit ({hard}) is below {args.idle} connections')
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp(prefix='ostor-idle.', dir=os.environ.get('TMPDIR', '/var/tmp'))
    gw = subprocess.Popen([args.gateway, '--data', os.path.join(tmp, 'data'), '--listen', '127.0.0.1:0'],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    idle = []
    try:
        keys, url = {}, None
        for line in gw.stdout:
            if m := re.match(r'(S3AccessKeyId|S3SecretAccessKey): (\S+)', line):
                keys[m.group(1)] = m.group(2)
            if m := re.search(r'listening on (http://\S+)', line):
                url = m.group(1)
                break
        host, port = url[len('http://'):].rsplit(':', 1)
        port = int(port)
        s3 = boto3.client('s3', endpoint_url=url, region_name='us-east-1',
                          aws_access_key_id=keys['S3AccessKeyId'], aws_secret_access_key=keys['S3SecretAccessKey'],
                          config=botocore.config.Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
        s3.create_bucket(Bucket='bench')
        s3.put_object(Bucket='bench', Key='small-4k', Body=os.urandom(4096))
        get_url = s3.generate_presigned_url('get_object', Params={'Bucket': 'bench', 'Key': 'small-4k'}, ExpiresIn=3600)

        rss_start = status_kib(gw.pid, 'VmRSS')
        reference = wrk_get(get_url, args.duration)
        rss_busy = status_kib(gw.pid, 'VmRSS')

        started = time.monotonic()
        for i in range(args.idle):
            idle.append(keep_alive(host, port, f'127.0.0.{2 + i // PER_ADDRESS}'))
        opened_s = time.monotonic() - started
        time.sleep(1)  # every worker has parked its connection
        rss_idle = status_kib(gw.pid, 'VmRSS')
        threads_idle = threads(gw.pid)

        with_idle = wrk_get(get_url, args.duration)
        for s in idle[::max(1, len(idle) // 100)]:
            s.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
            if not s.recv(4096).startswith(b'HTTP/1.1 403'):
                sys.exit('idle_connections: an idle connection was not served again')
        hwm = status_kib(gw.pid, 'VmHWM')

        print(f'idle keep-alive connections held     {len(idle)} (opened in {opened_s:.1f} s)')
        print(f'gateway RSS at start                 {rss_start / 1024:.1f} MiB')
        print(f'gateway RSS after the busy run       {rss_busy / 1024:.1f} MiB')
        print(f'gateway RSS holding them             {rss_idle / 1024:.1f} MiB   (goal < {MEMORY_GOAL_MIB} MiB)')
        print(f'gateway peak RSS (VmHWM)             {hwm / 1024:.1f} MiB')
        print(f'gateway threads holding them         {threads_idle}')
        print(f'4 KiB GET ops/s, 64 busy connections {reference:.0f}   (no idle connections)')
        print(f'4 KiB GET ops/s, same, beside them   {with_idle:.0f}   ratio {with_idle / reference:.2f}')
        return 0 if hwm / 1024 < MEMORY_GOAL_MIB else 1
    finally:
        for s in idle:
            s.close()
        gw.send_signal(signal.SIGTERM)
        try:
            gw.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gw.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
