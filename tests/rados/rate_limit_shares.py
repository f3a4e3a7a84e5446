#!/usr/bin/env python3
"""Gateways on one RADOS volume share each rate limit among themselves.

Run through run_with_cluster.sh (it exports OSTOR_TEST_VOLUME):
    rate_limit_shares.py GATEWAY ADMIN_CLI

Two gateways, started at once on a new volume, serve it; a user's ops limit of 6 ops/s is set through
the CLI. Clients hammering one gateway get its share (3 ops/s), not the
whole limit; once the other gateway stops, the one left enforces the whole
limit again.
"""
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway_process import fail, launch_gateway, stop_gateway, wait_listening

LIMIT_OPS = 6
WINDOW_S = 6
THREADS = 8
# RateLimiter::kShareRefresh (5 s), plus time for a request to trigger the count.
SHARE_REFRESH_S = 7


def admitted_in_window(s3, bucket):
    """Requests admitted while THREADS clients send as fast as they can for WINDOW_S (the rest: 503 SlowDown).

    A request on a loaded machine takes long enough that one client alone
    would offer less than the limit; several keep the offered rate above it.
    """
    admitted = []
    errors = []
    deadline = time.monotonic() + WINDOW_S

    def client():
        n = 0
        while time.monotonic() < deadline:
            try:
                s3.head_bucket(Bucket=bucket)
                n += 1
            except ClientError as e:
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                if status != 503:
                    errors.append("a throttled request answered %d, not 503: %r" % (status, e.response.get("Error")))
                    return
        admitted.append(n)

    threads = [threading.Thread(target=client) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        fail(errors[0])
    return sum(admitted)


def main():
    if len(sys.argv) != 3:
        fail("usage: rate_limit_shares.py GATEWAY ADMIN_CLI")
    gateway, cli = sys.argv[1], sys.argv[2]
    volume = os.environ.get("OSTOR_TEST_VOLUME")
    if not volume:
        fail("OSTOR_TEST_VOLUME is not set: run through tests/rados/run_with_cluster.sh")
    spec = volume + "&ns=shares-" + secrets.token_hex(8)

    with tempfile.TemporaryDirectory(prefix="ostor-shares-") as tmp:
        # Both started at once on the new volume: both find it empty, one
        # makes the system user, and both serve.
        a = launch_gateway(gateway, spec, os.path.join(tmp, "a"))
        b = launch_gateway(gateway, spec, os.path.join(tmp, "b"))
        try:
            a_port, a_keys = wait_listening(a)
            _, b_keys = wait_listening(b)
            keys = a_keys if "S3AccessKeyId" in a_keys else b_keys
            if "S3AccessKeyId" not in keys or "S3SecretAccessKey" not in keys:
                fail("neither gateway printed the system user's keys")
            s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % a_port,
                              aws_access_key_id=keys["S3AccessKeyId"],
                              aws_secret_access_key=keys["S3SecretAccessKey"], region_name="us-east-1",
                              config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
            s3.create_bucket(Bucket="shares")
            limit = subprocess.run([cli, "set-limits", "-e", "admin@localhost", "-t", "ops", "-L",
                                    "default=%d" % LIMIT_OPS, "--data", spec],
                                   capture_output=True, text=True, timeout=60)
            if limit.returncode != 0:
                fail("set-limits: status %d\n%s%s" % (limit.returncode, limit.stdout, limit.stderr))

            # Both gateways counted, and the user's rate refilled.
            time.sleep(SHARE_REFRESH_S)
            s3.head_bucket(Bucket="shares")  # may trigger the count
            time.sleep(2)
            shared = admitted_in_window(s3, "shares")
            # Its share, 3 ops/s: a burst of 3, then 3 a second.
            share_expected = 3 + LIMIT_OPS / 2 * WINDOW_S
            if not share_expected * 0.6 <= shared <= share_expected * 1.25:
                fail("with two gateways, one admitted %d requests in %d s: expected about %d (its share, %d/2 "
                     "ops/s), not about %d (the whole limit)" % (shared, WINDOW_S, share_expected, LIMIT_OPS,
                                                                5 + LIMIT_OPS * WINDOW_S))

            stop_gateway(b)  # a clean stop leaves the leases index at once
            b = None
            time.sleep(SHARE_REFRESH_S)
            try:
                s3.head_bucket(Bucket="shares")
            except ClientError:
                pass
            time.sleep(2)
            whole = admitted_in_window(s3, "shares")
            whole_expected = 5 + LIMIT_OPS * WINDOW_S
            if not whole_expected * 0.75 <= whole <= whole_expected * 1.25:
                fail("alone, the gateway admitted %d requests in %d s: expected about %d (the whole limit of %d "
                     "ops/s)" % (whole, WINDOW_S, whole_expected, LIMIT_OPS))
        finally:
            if b is not None:
                stop_gateway(b)
            stop_gateway(a)
    print("rate limit shares: %d requests admitted in %d s through one of two gateways, %d alone: OK"
          % (shared, WINDOW_S, whole))


if __name__ == "__main__":
    main()
