#!/usr/bin/env python3
"""ostor-gateway on a RADOS volume of the throwaway cluster, driven by boto3.

Run through run_with_cluster.sh (it exports OSTOR_TEST_VOLUME):
    gateway_on_rados.py GATEWAY OSTOR_CTL

Checks: --state-dir is required with a rados: spec (with a message saying
so); the gateway starts on a new volume (namespace of its own), makes the
system user and prints its keys; a bucket, a PUT and a GET (whole and a
range) and a listing through boto3; ostor-ctl get-config lists the gateway
by its listening address; SIGTERM stops it with status 0 and leaves its
state directory made.
"""
import os
import re
import secrets
import subprocess
import sys
import tempfile

import boto3
from botocore.config import Config

from gateway_process import fail, launch_gateway, stop_gateway, wait_listening


def main():
    if len(sys.argv) != 3:
        fail("usage: gateway_on_rados.py GATEWAY OSTOR_CTL")
    gateway, ctl = sys.argv[1], sys.argv[2]
    volume = os.environ.get("OSTOR_TEST_VOLUME")
    if not volume:
        fail("OSTOR_TEST_VOLUME is not set: run through tests/rados/run_with_cluster.sh")
    spec = volume + "&ns=gateway-" + secrets.token_hex(8)

    refused = subprocess.run([gateway, "--data", spec, "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                             timeout=30)
    if refused.returncode != 2 or "--state-dir" not in refused.stderr:
        fail("a rados: spec without --state-dir: status %d, %r" % (refused.returncode, refused.stderr))

    with tempfile.TemporaryDirectory(prefix="ostor-gw-state-") as tmp:
        state = os.path.join(tmp, "state")
        proc = launch_gateway(gateway, spec, state)
        try:
            port, keys = wait_listening(proc)
            key_id, secret = keys.get("S3AccessKeyId"), keys.get("S3SecretAccessKey")
            if not (key_id and secret):
                fail("the first gateway on a new volume printed no system keys")

            s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, aws_access_key_id=key_id,
                              aws_secret_access_key=secret, region_name="us-east-1",
                              config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
            s3.create_bucket(Bucket="on-rados")
            body = os.urandom(3 * 1024 * 1024 + 17)
            put = s3.put_object(Bucket="on-rados", Key="dir/object", Body=body)
            got = s3.get_object(Bucket="on-rados", Key="dir/object")
            if got["Body"].read() != body:
                fail("GET returned other bytes than the PUT's")
            if got["ETag"] != put["ETag"]:
                fail("ETags differ: %s %s" % (put["ETag"], got["ETag"]))
            ranged = s3.get_object(Bucket="on-rados", Key="dir/object", Range="bytes=1048570-1048590")
            if ranged["Body"].read() != body[1048570:1048591]:
                fail("a ranged GET returned other bytes")
            listed = s3.list_objects_v2(Bucket="on-rados")
            if [o["Key"] for o in listed.get("Contents", [])] != ["dir/object"]:
                fail("listing: %r" % listed.get("Contents"))

            config = subprocess.run([ctl, "get-config", "--data", spec], capture_output=True, text=True, timeout=30)
            if config.returncode != 0 or not re.search(r"^127\.0\.0\.1:%d\s+[0-9a-f]{16}\s" % port, config.stdout, re.M):
                fail("ostor-ctl get-config: status %d\n%s%s" % (config.returncode, config.stdout, config.stderr))
        finally:
            status = stop_gateway(proc)
        if status != 0:
            fail("the gateway stopped with status %d" % status)
        if not os.path.isdir(state):
            fail("the state directory was not made")
    print("gateway on RADOS: PUT/GET/range/list through boto3, get-config, clean stop: OK")


if __name__ == "__main__":
    main()
