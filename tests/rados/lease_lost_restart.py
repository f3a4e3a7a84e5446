#!/usr/bin/env python3
"""A gateway whose lease on a RADOS volume is lost starts again by itself.

Run through run_with_cluster.sh (it exports OSTOR_TEST_VOLUME and
OSTOR_TEST_CEPH_DIR):
    lease_lost_restart.py GATEWAY

An instance whose lease ended under it (here: its lease object removed, as
an adopter does once it has taken the instance over) refuses every change
for good. The gateway notices within a renewal period, stops as on SIGTERM
and starts again in the same process as a new instance, on the same port:
objects written before read back, new writes are accepted, and once the
lost instance's entry has expired a sweep removes it: the leases index then
lists the new instance only.
"""
import os
import re
import secrets
import sys
import tempfile
import threading
import time

import boto3
import rados
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway_process import fail, launch_gateway, stop_gateway, wait_listening

# A lease of 6 s is renewed every 2 s; the gateway checks every second;
# then a stop and a start. The sweep runs every second: a lost instance's
# entry goes once it has expired (a lease after its last renewal).
LEASE_S = 6
COLLECT_S = 1
RESTART_TIMEOUT_S = 60
SWEPT_TIMEOUT_S = 60


def cluster_env():
    env = {}
    with open(os.path.join(os.environ["OSTOR_TEST_CEPH_DIR"], "cluster.env")) as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            env[name] = value
    return env


class GatewayOutput:
    """The lines a gateway prints, read on a thread of their own."""

    def __init__(self, proc):
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_for(self, pattern, timeout_s, start=0):
        """Index of the first line at or after `start` matching `pattern`."""
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if re.search(pattern, self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    fail(f"the gateway did not print /{pattern}/ within {timeout_s} s:\n" + "".join(self.lines))
                self.cond.wait(left)


def main():
    if len(sys.argv) != 2:
        fail("usage: lease_lost_restart.py GATEWAY")
    gateway = sys.argv[1]
    volume = os.environ.get("OSTOR_TEST_VOLUME")
    if not volume or not os.environ.get("OSTOR_TEST_CEPH_DIR"):
        fail("OSTOR_TEST_VOLUME is not set: run through tests/rados/run_with_cluster.sh")
    namespace = "lease-lost-" + secrets.token_hex(8)
    spec = volume + "&ns=" + namespace
    env = cluster_env()
    cluster = rados.Rados(conffile=env["CEPH_CONF"], name="client.ostor",
                          conf={"keyring": env["OSTOR_CEPH_KEYRING"]})
    cluster.connect(timeout=10)
    meta = cluster.open_ioctx(env["OSTOR_POOL_PREFIX"] + ".meta")
    meta.set_namespace(namespace)

    def instances():
        with rados.ReadOpCtx() as op:
            entries, _ = meta.get_omap_vals(op, "", "", 100)
            meta.operate_read_op(op, "leases")
            return sorted(key for key, _ in entries)

    with tempfile.TemporaryDirectory(prefix="ostor-lease-lost-") as tmp:
        proc = launch_gateway(gateway, spec, os.path.join(tmp, "state"),
                              ["--test-lease-seconds", str(LEASE_S), "--collect-seconds", str(COLLECT_S)])
        try:
            port, keys = wait_listening(proc)
            out = GatewayOutput(proc)
            s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                              aws_access_key_id=keys["S3AccessKeyId"],
                              aws_secret_access_key=keys["S3SecretAccessKey"], region_name="us-east-1",
                              config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
            s3.create_bucket(Bucket="kept")
            s3.put_object(Bucket="kept", Key="before", Body=b"written before the lease was lost")
            lost = instances()
            if len(lost) != 1:
                fail(f"one gateway on the volume, but the leases index lists {lost}")

            # What an adopter does last: the lease object goes, and with it
            # the lock the gateway renews.
            meta.remove_object("lease." + lost[0])
            began = time.monotonic()
            at = out.wait_for(r"lease on volume \S+ was lost", RESTART_TIMEOUT_S)
            out.wait_for(rf"^ostor-gateway: listening on http://127\.0\.0\.1:{port} ", RESTART_TIMEOUT_S, at)
            restarted_s = time.monotonic() - began
            if proc.poll() is not None:
                fail(f"the gateway exited ({proc.returncode}) instead of starting again:\n" + "".join(out.lines))

            body = s3.get_object(Bucket="kept", Key="before")["Body"].read()
            if body != b"written before the lease was lost":
                fail(f"after the restart, the object written before reads back as {body!r}")
            s3.put_object(Bucket="kept", Key="after", Body=b"written by the new instance")
            if s3.get_object(Bucket="kept", Key="after")["Body"].read() != b"written by the new instance":
                fail("after the restart, a new object does not read back")
            deadline = time.monotonic() + SWEPT_TIMEOUT_S
            while (now := instances()) != [] and (len(now) != 1 or now[0] == lost[0]):
                if time.monotonic() > deadline:
                    fail(f"{SWEPT_TIMEOUT_S} s after the restart the leases index lists {now}: expected the new "
                         f"instance only, the lost {lost[0]} swept")
                time.sleep(0.5)
            if len(now) != 1:
                fail(f"after the restart the leases index lists {now}: the new instance is not there")
            if any("created the system user" in line for line in out.lines):
                fail("the gateway started again made a second system user:\n" + "".join(out.lines))
        except (BotoCoreError, ClientError) as e:
            fail(f"an S3 request failed: {e}\n" + "".join(out.lines if "out" in locals() else []))
        finally:
            status = stop_gateway(proc)
        if status != 0:
            fail(f"the restarted gateway stopped on SIGTERM with status {status}")
    print(f"lease lost: the gateway started again as a new instance on the same port {restarted_s:.1f} s after "
          f"its lease object was removed; objects read back, new writes land, the lost entry was swept: OK")


if __name__ == "__main__":
    main()
