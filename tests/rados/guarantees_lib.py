"""What the guarantee tests (guarantees.py) share: the throwaway cluster's
volume, ostor-gateway processes on it, the admin REST API (signed with the
system user's key), boto3 clients, and a look at the volume's objects through
python3-rados (Debian's /usr/bin/python3 has both boto3 and rados).

Run through run_with_cluster.sh: it exports OSTOR_TEST_VOLUME (the spec of
the cluster's pools) and OSTOR_TEST_CEPH_DIR.
"""
import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import rados
from botocore.config import Config

REGION = "us-east-1"
KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
# A gateway prints its address within this after its start (a loaded
# 2-core machine: generous).
GATEWAY_START_TIMEOUT_S = 60
GATEWAY_STOP_TIMEOUT_S = 60
ADMIN_TIMEOUT_S = 60


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def log(message):
    print(time.strftime("%H:%M:%S ") + message, flush=True)


def md5(data):
    return hashlib.md5(data).hexdigest()


def wait_until(what, predicate, timeout_s, poll_s=0.2):
    """predicate() until it returns a true value (returned), else Failure."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"{what}: not within {timeout_s} s")
        time.sleep(poll_s)


def error_code(exc):
    return exc.response.get("Error", {}).get("Code")


def http_status(exc):
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


class Volume:
    """A new volume (a RADOS namespace of its own) on the cluster's pools."""

    def __init__(self):
        base = os.environ.get("OSTOR_TEST_VOLUME")
        if not base:
            raise Failure("OSTOR_TEST_VOLUME is not set: run through tests/rados/run_with_cluster.sh")
        self.namespace = "guarantees-" + secrets.token_hex(6)
        self.spec = base + "&ns=" + self.namespace
        parsed = urllib.parse.urlparse(base)
        self.prefix = base[len("rados:"):].split("?", 1)[0]
        params = dict(urllib.parse.parse_qsl(parsed.query))
        self.cluster = rados.Rados(conffile=params["conf"], name="client." + params.get("id", "ostor"),
                                   conf={"keyring": params["keyring"]} if "keyring" in params else {})
        self.cluster.connect(timeout=30)

    def ioctx(self, pool):
        io = self.cluster.open_ioctx(f"{self.prefix}.{pool}")
        io.set_namespace(self.namespace)
        return io

    def omap(self, pool, oid):
        """The whole omap of an object, {} when it does not exist."""
        with self.ioctx(pool) as io:
            out = {}
            start = ""
            while True:
                with rados.ReadOpCtx() as op:
                    it, ret = io.get_omap_vals(op, start, "", 1000)
                    try:
                        io.operate_read_op(op, oid)
                    except rados.ObjectNotFound:
                        return {}
                    page = [(k, v) for k, v in it]
                if not page:
                    return out
                for k, v in page:
                    out[k] = v.decode() if isinstance(v, bytes) else v
                start = page[-1][0]

    def exists(self, pool, oid):
        with self.ioctx(pool) as io:
            try:
                io.stat(oid)
                return True
            except rados.ObjectNotFound:
                return False

    def xattrs(self, pool, prefix, name):
        """{object: its xattr `name` (None when it has none)} of the objects
        whose name starts with prefix (one removed meanwhile left out)."""
        out = {}
        with self.ioctx(pool) as io:
            for oid in self.objects(pool, prefix):
                try:
                    out[oid] = io.get_xattr(oid, name)
                except rados.NoData:
                    out[oid] = None
                except rados.ObjectNotFound:
                    pass
        return out

    def objects(self, pool, prefix=""):
        with self.ioctx(pool) as io:
            return sorted(o.key for o in io.list_objects() if o.key.startswith(prefix))

    def close(self):
        self.cluster.shutdown()


class Gateway:
    """One ostor-gateway process on a volume, with a state directory of its own."""

    def __init__(self, binary, volume, name, extra_args=()):
        self.name = name
        self.binary = binary
        self.volume = volume
        self.tmp = tempfile.TemporaryDirectory(prefix=f"ostor-guarantees-{name}-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.keys = None  # the system user's (key id, secret), printed by the gateway that made the volume
        self.lines = []

    def start(self):
        args = [self.binary, "--data", self.volume.spec, "--state-dir", os.path.join(self.tmp.name, "state"),
                "--listen", "127.0.0.1:0", *self.extra_args]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        key_id = secret = None

        def pump():
            nonlocal key_id, secret
            for line in self.proc.stdout:
                self.lines.append(line)
                m = re.match(r"^S3AccessKeyId:\s*(\S+)", line)
                if m:
                    key_id = m.group(1)
                m = re.match(r"^S3SecretAccessKey:\s*(\S+)", line)
                if m:
                    secret = m.group(1)
                m = re.match(r"^ostor-gateway: listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        ready.wait(GATEWAY_START_TIMEOUT_S)
        if self.port is None:
            self.kill()
            raise Failure(f"gateway {self.name} did not start:\n" + "".join(self.lines))
        if key_id and secret:
            self.keys = (key_id, secret)
        return self

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def client(self, keys, retries=1, read_timeout=120):
        cfg = Config(region_name=REGION, s3={"addressing_style": "path"}, connect_timeout=10,
                     read_timeout=read_timeout, retries={"total_max_attempts": retries, "mode": "standard"},
                     max_pool_connections=4)
        return boto3.session.Session().client("s3", endpoint_url=self.endpoint, region_name=REGION, config=cfg,
                                              aws_access_key_id=keys[0], aws_secret_access_key=keys[1])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=GATEWAY_STOP_TIMEOUT_S)

    def stop(self):
        """SIGTERM; the status must be 0."""
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=GATEWAY_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"gateway {self.name} did not stop on SIGTERM")
        check(status == 0, f"gateway {self.name} stopped with status {status}:\n" + "".join(self.lines[-20:]))

    def admin(self, method, query, keys):
        """One admin REST call (?ostor-...), signed with a system user's keys:
        (status, parsed JSON or None, raw body)."""
        url = f"{self.endpoint}/?{query}"
        request = botocore.awsrequest.AWSRequest(method=method, url=url, data=b"",
                                                 headers={"Host": f"127.0.0.1:{self.port}"})
        botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(*keys), "s3", REGION).add_auth(request)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ADMIN_TIMEOUT_S)
        try:
            headers = dict(request.headers.items())
            headers["Content-Length"] = "0"
            conn.request(method, f"/?{query}", body=b"", headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            doc = None
        return response.status, doc, body

    def admin_ok(self, method, query, keys):
        status, doc, body = self.admin(method, query, keys)
        check(200 <= status < 300, f"gateway {self.name}: {method} ?{query}: {status} {body[:300]!r}")
        return doc

    def partial_put(self, keys, bucket, key, body, sent_bytes):
        """A signed PUT of body whose first sent_bytes only are sent: the open
        socket (the gateway waits for the rest)."""
        path = f"/{bucket}/{urllib.parse.quote(key)}"
        host = f"127.0.0.1:{self.port}"
        request = botocore.awsrequest.AWSRequest(method="PUT", url=f"http://{host}{path}", data=body,
                                                 headers={"Host": host})
        botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(*keys), "s3", REGION).add_auth(request)
        head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(head.encode() + body[:sent_bytes])
        return sock

    def close(self):
        self.kill()
        self.tmp.cleanup()


def quote(value):
    return urllib.parse.quote(value, safe="")


def start_gateways(binary, volume, count, extra_args=()):
    """count gateways on the volume; the first makes it (and the system user)."""
    first = Gateway(binary, volume, "A", extra_args).start()
    if not first.keys:
        first.close()
        raise Failure("the first gateway on a new volume printed no system user keys")
    gateways = [first]
    for i in range(1, count):
        gateways.append(Gateway(binary, volume, "ABCDEFGH"[i], extra_args).start())
    return gateways


def create_user(gateway, system_keys, tag):
    """A user made through a gateway's admin API: (email, user id, (key id, secret))."""
    email = f"{tag}-{secrets.token_hex(4)}@example.com"
    doc = gateway.admin_ok("PUT", f"ostor-users&emailAddress={quote(email)}", system_keys)
    key = doc["AWSAccessKeys"][0]
    return email, doc["UserId"], (key["AWSAccessKeyId"], key["AWSSecretAccessKey"])


def all_objects(s3, bucket, etags=False):
    """{key: size} by ListObjectsV2, every page; with etags, {key: (size,
    ETag unquoted)}."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = (o["Size"], o["ETag"].strip('"')) if etags else o["Size"]
    return out


def fail(message):
    print("FAIL: " + message, file=sys.stderr, flush=True)
    # Not sys.exit: threads of boto3 and librados must not hold up the exit.
    os._exit(1)
