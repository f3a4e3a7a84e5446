"""The OSD restart case of guarantees.py: under load from 4 writers over 3
gateways the OSD is SIGKILLed and started again (ceph_cluster.sh
restart-osd; the cluster's OSD on BlueStore, which keeps its objects).
Requests wait, then go on: a writer retries a PUT that failed (500 or 503, or
no answer) until it is acknowledged, and counts what it saw; every
acknowledged object reads back afterwards, byte-exact.
"""
import os
import subprocess
import threading
import time

from botocore.exceptions import ClientError

from guarantees_lib import KiB, MiB, Failure, all_objects, check, create_user, http_status, log, md5, start_gateways, \
    wait_until, Volume

HERE = os.path.dirname(os.path.abspath(__file__))
# How long the OSD stays down before its start (then about 10 s to serve).
OSD_DOWN_S = 3
# A PUT retried for longer than this fails the case.
PUT_RETRY_DEADLINE_S = 120
RETRY_PAUSE_S = 0.5
RESTART_TIMEOUT_S = 180


def osd_restart_case(gateway_bin, cli):
    ceph_dir = os.environ.get("OSTOR_TEST_CEPH_DIR")
    check(ceph_dir, "OSTOR_TEST_CEPH_DIR is not set: run through run_with_cluster.sh")
    volume = Volume()
    # The default lease (60 s): an outage of seconds must not cost a lease.
    gws = start_gateways(gateway_bin, volume, 3, ["--access-log", "-"])
    try:
        email, user_id, keys = create_user(gws[0], gws[0].keys, "osd")
        gws[0].client(keys).create_bucket(Bucket="osd")
        acked = {}
        seen = {}  # what failed attempts answered -> count
        unexpected = []
        lock = threading.Lock()
        stop = threading.Event()
        restart_done = threading.Event()
        acked_after_restart = [0]
        ack_times = []
        longest_put = [0.0]

        def note(what):
            with lock:
                seen[what] = seen.get(what, 0) + 1

        def writer(i):
            gw = gws[i % 3]
            s3 = gw.client(keys, read_timeout=60)
            n = 0
            while not stop.is_set():
                body = os.urandom(256 * KiB if n % 2 else 1 * MiB)
                key = f"w{i}/{n:05d}"
                n += 1
                first_try = time.monotonic()
                deadline = first_try + PUT_RETRY_DEADLINE_S
                while True:
                    try:
                        s3.put_object(Bucket="osd", Key=key, Body=body)
                        with lock:
                            acked[key] = md5(body)
                            ack_times.append(time.monotonic())
                            longest_put[0] = max(longest_put[0], time.monotonic() - first_try)
                            if restart_done.is_set():
                                acked_after_restart[0] += 1
                        break
                    except ClientError as e:
                        status = http_status(e)
                        note(f"{status} {e.response.get('Error', {}).get('Code')}")
                        if status not in (500, 503):
                            with lock:
                                unexpected.append(f"{gw.name} {key}: {e.response.get('Error')}")
                            return
                    except Exception as e:  # noqa: BLE001: no answer (a read timeout, a reset)
                        note(type(e).__name__)
                    if time.monotonic() > deadline:
                        with lock:
                            unexpected.append(f"{gw.name} {key}: not acknowledged within {PUT_RETRY_DEADLINE_S} s")
                        return
                    time.sleep(RETRY_PAUSE_S)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        wait_until("20 acknowledged PUTs", lambda: len(acked) >= 20 or unexpected, 120, 0.05)
        before = len(acked)
        started = time.monotonic()
        restart = subprocess.run([os.path.join(HERE, "ceph_cluster.sh"), "restart-osd", ceph_dir, str(OSD_DOWN_S)],
                                 capture_output=True, text=True, timeout=RESTART_TIMEOUT_S)
        check(restart.returncode == 0, f"restart-osd: {restart.returncode}\n{restart.stdout}{restart.stderr}")
        restart_done.set()
        log("osd-restart: " + restart.stdout.strip())
        restarted_in = time.monotonic() - started
        during = len(acked) - before
        wait_until("20 PUTs acknowledged after the restart", lambda: acked_after_restart[0] >= 20 or unexpected,
                   PUT_RETRY_DEADLINE_S, 0.1)
        stop.set()
        for t in threads:
            t.join()
        if unexpected:
            for g in gws:
                log(f"gateway {g.name}'s last lines:\n" + "".join(g.lines[-15:]))
        check(not unexpected, "; ".join(unexpected[:5]) + f"; failed attempts: {seen}")
        ack_times.sort()
        gap = max(b - a for a, b in zip(ack_times, ack_times[1:]))
        log(f"osd-restart: restart-osd took {restarted_in:.1f} s; {before} PUTs acknowledged before it, {during} "
            f"while it ran, {acked_after_restart[0]} after; no PUT acknowledged for {gap:.1f} s at most, the longest "
            f"PUT (retries included) took {longest_put[0]:.1f} s; failed attempts (each retried until acknowledged): "
            f"{seen or 'none'}")
        # The outage was felt: requests waited for the OSD.
        check(gap >= OSD_DOWN_S, f"the longest pause between acknowledgements ({gap:.1f} s) is shorter than the outage")

        s3 = gws[1].client(keys)
        listed = all_objects(s3, "osd")
        missing = sorted(set(acked) - set(listed))
        check(not missing, f"acknowledged but not listed after the restart: {missing[:5]}")
        for key, digest in acked.items():
            got = s3.get_object(Bucket="osd", Key=key)["Body"].read()
            if md5(got) != digest:
                raise Failure(f"{key}: other bytes read back after the restart")
        log(f"osd-restart: all {len(acked)} acknowledged objects read back through B")
        for g in gws:
            g.stop()
    finally:
        for g in gws:
            g.close()
        volume.close()
