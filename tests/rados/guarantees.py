#!/usr/bin/python3
"""The guarantees of ostor on RADOS, each shown with three gateways on one
volume of the throwaway cluster (docs/rados.md, "Guarantees, as tested").

    guarantees.py GATEWAY OSTOR_S3_ADMIN [CASE...]

CASEs (default: all but osd-restart): sigkill, read-after-write, quota,
admin-changes, osd-restart. Run through run_with_cluster.sh with
OSTOR_CEPH_OSD_STORE=bluestore (the quota case stores 1 GiB, more than the
memstore's cap; osd-restart needs a store that survives a restart). Each case
has a volume (namespace) and gateways of its own.
"""
import os
import random
import subprocess
import sys
import threading
import time

from botocore.exceptions import ClientError

from guarantees_lib import (GiB, KiB, MiB, Failure, all_objects, check, create_user, error_code, fail,
                            http_status, log, md5, quote, start_gateways, wait_until, Volume)
from guarantees_fuse import fuse_changes
from guarantees_osd import osd_restart_case

# The SIGKILL case: short leases so that the dead gateway's are reclaimed
# within the test; the collector (and sweep) every second.
KILL_LEASE_S = 10
KILL_COLLECT_S = 1
# The dead gateway's lease expires KILL_LEASE_S after its last renewal; a
# survivor holding (or taking over, 3 intervals after the holder died) the
# collector lock sweeps it within seconds after.
RECLAIM_TIMEOUT_S = 180


def lease_instance(volume, gateway):
    """The instance id a gateway holds its lease as (the leases index lists it by address)."""
    def find():
        for instance, value in volume.omap("meta", "leases").items():
            # "since renewed duration [client=<connection>] address"
            fields = [f for f in value.split(" ")[3:] if not f.startswith("client=")]
            if fields[:1] == [f"127.0.0.1:{gateway.port}"]:
                return instance
        return None
    return wait_until(f"gateway {gateway.name} in the leases index", find, 30)


# ---- 1. SIGKILL --------------------------------------------------------------------


def sigkill_case(gateway_bin, cli):
    volume = Volume()
    gws = start_gateways(gateway_bin, volume, 3, ["--test-lease-seconds", str(KILL_LEASE_S),
                                                  "--collect-seconds", str(KILL_COLLECT_S)])
    a, b, c = gws
    try:
        system = a.keys
        email, user_id, keys = create_user(a, system, "kill")
        # A quota far above what the case writes: writes reserve space only
        # under a quota, and the sweep must drop the dead gateway's reservations.
        a.admin_ok("PUT", f"ostor-quotas&emailAddress={quote(email)}&quota-size=100", system)
        a.client(keys).create_bucket(Bucket="kill")
        victim = lease_instance(volume, c)
        small, large = os.urandom(4 * KiB), os.urandom(3 * MiB)
        sent = {}      # key -> md5 of the body sent (every PUT started)
        acked = {}     # key -> md5, once the gateway acknowledged it
        in_flight_on_victim = set()
        unexpected = []
        lock = threading.Lock()
        stop = threading.Event()
        victim_dead = threading.Event()

        def writer(i):
            gw = gws[i % 3]
            s3 = gw.client(keys, read_timeout=60)
            n = 0
            while not stop.is_set():
                # Each body a different one of the two sizes' bytes: a torn
                # object would show as another MD5.
                base = large if random.random() < 0.3 else small
                body = base[:-8] + os.urandom(8)
                key = f"w{i:02d}/{n:05d}"
                n += 1
                with lock:
                    sent[key] = md5(body)
                    if gw is c:
                        in_flight_on_victim.add(key)
                try:
                    s3.put_object(Bucket="kill", Key=key, Body=body)
                    with lock:
                        acked[key] = md5(body)
                        in_flight_on_victim.discard(key)
                except Exception as e:  # noqa: BLE001: the killed gateway's requests fail in many ways
                    if gw is c and victim_dead.is_set():
                        return  # the PUT in flight at the kill: may or may not have committed
                    with lock:
                        unexpected.append(f"{gw.name} {key}: {e!r}")
                    return

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        wait_until("40 acknowledged PUTs", lambda: len(acked) >= 40 or unexpected, 120, 0.05)
        # And a PUT through C whose body stops half way: C holds its
        # reservation when it dies.
        stalled_key = "stalled/3MiB"
        sent[stalled_key] = md5(large)
        in_flight_on_victim.add(stalled_key)
        stalled = c.partial_put(keys, "kill", stalled_key, large, len(large) // 2)
        wait_until("the stalled PUT's reservation on the user's ledger",
                   lambda: any(k.startswith(f"r.{victim}.") for k in volume.omap("meta", f"ledger.user.{user_id}")),
                   60, 0.1)
        with lock:
            victim_dead.set()
            c.kill()
            at_kill = len(acked)
        # The survivors go on a while after the kill.
        wait_until("40 more acknowledged PUTs", lambda: len(acked) >= at_kill + 40 or unexpected, 120, 0.05)
        stop.set()
        for t in threads:
            t.join()
        check(not unexpected, "PUTs through the survivors failed: " + "; ".join(unexpected[:5]))
        log(f"sigkill: {len(acked)} PUTs acknowledged ({at_kill} before the kill), "
            f"{len(in_flight_on_victim)} in flight on the killed gateway")

        # Every acknowledged object reads back byte-exact through a survivor;
        # every visible one is whole: the body of a PUT that was sent.
        s3a, s3b = a.client(keys), b.client(keys)
        listed = all_objects(s3b, "kill")
        missing = sorted(set(acked) - set(listed))
        check(not missing, f"acknowledged but not listed: {missing[:5]}")
        unknown = sorted(set(listed) - set(sent))
        check(not unknown, f"listed but never sent: {unknown[:5]}")
        for key in listed:
            got = s3a.get_object(Bucket="kill", Key=key)["Body"].read()
            check(md5(got) == sent[key], f"{key}: the body read back is not the one sent ({len(got)} bytes)")
        unacked_visible = sorted(set(listed) - set(acked))
        check(set(unacked_visible) <= in_flight_on_victim,
              f"visible, not acknowledged, and not in flight at the kill: {unacked_visible[:5]}")
        log(f"sigkill: all {len(listed)} visible objects read back whole through A "
            f"({len(unacked_visible)} of the in-flight ones committed)")

        stalled.close()
        held = [k for k in volume.omap("meta", f"ledger.user.{user_id}") if k.startswith(f"r.{victim}.")]
        check(held, "the killed gateway held no reservation: the sweep would have nothing to drop")
        # What the adopter will read: the ledgers the dead instance's pending
        # object names (a ledger missing there is one the sweep cannot clean).
        pending_ledgers = sorted(volume.omap("meta", f"pending.{victim}"))
        log(f"sigkill: before the sweep, the killed gateway holds {len(held)} reservations on the user's ledger "
            f"({', '.join(held)}); its pending object names {pending_ledgers}; its pending blob list "
            f"{'exists' if volume.exists('meta', f'blobs.pending.{victim}') else 'is gone'}")
        check(f"ledger.user.{user_id}" in pending_ledgers,
              "the dead instance's pending object does not name the user's ledger, where it holds reservations")
        # After the lease: a survivor's sweep adopts the dead instance and
        # drops its reservations and unfinished blob objects.
        started = time.monotonic()
        wait_until("the killed gateway's lease swept",
                   lambda: victim not in volume.omap("meta", "leases") and not volume.exists("meta", f"lease.{victim}"),
                   RECLAIM_TIMEOUT_S, 0.5)
        log(f"sigkill: the killed gateway's lease was swept {time.monotonic() - started:.1f} s after the checks "
            f"(lease {KILL_LEASE_S} s, collector every {KILL_COLLECT_S} s)")
        check(not volume.exists("meta", f"pending.{victim}"), "the dead instance's pending ledgers are still listed")
        check(not volume.exists("meta", f"blobs.pending.{victim}"), "the dead instance's pending blob list remains")
        ledger = volume.omap("meta", f"ledger.user.{user_id}")
        leftovers = [k for k in ledger if k.startswith("r.")]
        check(not leftovers, f"reservations left on the user's ledger: {leftovers}")
        check(int(ledger.get("reserved", "0")) == 0, f"the user's ledger still has {ledger.get('reserved')} bytes reserved")
        listed_bytes = sum(listed.values())
        drift = listed_bytes - int(ledger["bytes"])
        # A commit the kill cut off between the index and the ledger is
        # counted by the adopter (docs/rados.md, Space ledger:
        # reconciliation): the ledger counts exactly what is listed.
        check(drift == 0 and int(ledger["objects"]) == len(listed),
              f"ledger bytes {ledger['bytes']} objects {ledger['objects']}, listed {listed_bytes} in {len(listed)} "
              f"({len(unacked_visible)} visible PUTs unacknowledged)")
        # The sweep took nothing committed: every visible object still reads back whole.
        for key in listed:
            got = s3b.get_object(Bucket="kill", Key=key)["Body"].read()
            check(md5(got) == sent[key], f"{key}: after the sweep, the body read back is not the one sent")
        # A 3 MiB body is one blob object; a 4 KiB one is kept in its
        # record. What is left beyond those: uncommitted bodies of the dead
        # gateway that the sweep did not remove (counted before the kill:
        # leaks for the recount), at most one a PUT in flight.
        blobs = volume.objects("data", "blob.")
        in_blobs = sum(1 for size in listed.values() if size > len(small))
        leaked = len(blobs) - in_blobs
        check(0 <= leaked <= len(in_flight_on_victim),
              f"{len(blobs)} blob objects for {in_blobs} large objects ({len(in_flight_on_victim)} PUTs were in flight)")
        log(f"sigkill: reservations dropped (reserved 0), ledger drift {drift} bytes; {len(blobs)} blob objects for "
            f"{in_blobs} large objects: {leaked} left by PUTs in flight at the kill")
    finally:
        for g in gws:
            g.close()
        volume.close()


# ---- 2. Read-after-write and listing ----------------------------------------------


def read_after_write_case(gateway_bin, cli):
    volume = Volume()
    gws = start_gateways(gateway_bin, volume, 3)
    try:
        email, user_id, keys = create_user(gws[0], gws[0].keys, "raw")
        a, b, c = (g.client(keys) for g in gws)
        a.create_bucket(Bucket="raw")
        for round_ in range(20):
            key = f"k{round_}"
            first, second = os.urandom(1000 + round_), os.urandom(200 * KiB + round_)
            a.put_object(Bucket="raw", Key=key, Body=first)
            results = {}

            def read(name, s3):
                results[name] = (s3.get_object(Bucket="raw", Key=key)["Body"].read(),
                                 [o["Key"] for o in s3.list_objects_v2(Bucket="raw", Prefix=key).get("Contents", [])])

            readers = [threading.Thread(target=read, args=(n, s)) for n, s in (("B", b), ("C", c))]
            for t in readers:
                t.start()
            for t in readers:
                t.join()
            for name in ("B", "C"):
                check(name in results, f"round {round_}: the read through {name} failed")
                check(results[name][0] == first, f"round {round_}: GET through {name} right after the PUT through A")
                check(key in results[name][1], f"round {round_}: the listing through {name} lacks {key}")
            b.put_object(Bucket="raw", Key=key, Body=second)
            check(a.get_object(Bucket="raw", Key=key)["Body"].read() == second,
                  f"round {round_}: GET through A after the overwrite through B")
            c.delete_object(Bucket="raw", Key=key)
            try:
                a.head_object(Bucket="raw", Key=key)
                raise Failure(f"round {round_}: HEAD through A found the object deleted through C")
            except ClientError as e:
                check(http_status(e) == 404, f"round {round_}: HEAD after the delete: {e.response}")
        log("read-after-write: 20 rounds of PUT A, GET+list B and C at once, overwrite B, GET A, DELETE C, HEAD A 404")
        for g in gws:
            g.stop()
    finally:
        for g in gws:
            g.close()
        volume.close()


# ---- 3. Quota ---------------------------------------------------------------------------


def quota_case(gateway_bin, cli):
    volume = Volume()
    gws = start_gateways(gateway_bin, volume, 3)
    try:
        email, user_id, keys = create_user(gws[0], gws[0].keys, "quota")
        gws[0].admin_ok("PUT", f"ostor-quotas&emailAddress={quote(email)}&quota-size=1", gws[0].keys)
        gws[1].client(keys).create_bucket(Bucket="quota")
        body = os.urandom(64 * MiB)
        outcomes, unexpected = [], []
        lock = threading.Lock()

        def writer(i):
            s3 = gws[i % 3].client(keys, read_timeout=300)
            for n in range(64):
                try:
                    s3.put_object(Bucket="quota", Key=f"w{i:02d}-{n}", Body=body)
                    with lock:
                        outcomes.append("ok")
                except ClientError as e:
                    with lock:
                        if http_status(e) == 403 and error_code(e) == "QuotaExceeded":
                            outcomes.append("refused")
                        else:
                            unexpected.append(f"{gws[i % 3].name}: {e.response.get('Error')} "
                                              f"{http_status(e)}")
                    return
                except Exception as e:  # noqa: BLE001
                    with lock:
                        unexpected.append(f"{gws[i % 3].name}: {e!r}")
                    return

        started = time.monotonic()
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(not unexpected, "PUTs failed other than with 403 QuotaExceeded: " + "; ".join(unexpected[:5]))
        stored = sum(all_objects(gws[2].client(keys), "quota").values())
        ok = outcomes.count("ok")
        check(stored <= GiB, f"{stored} bytes stored past the 1 GiB quota")
        check(stored == ok * len(body), f"stored {stored} bytes, acknowledged {ok} PUTs of 64 MiB")
        check(ok == GiB // len(body), f"{ok} PUTs of 64 MiB acknowledged: the quota holds 16")
        check(outcomes.count("refused") == 32, f"{outcomes.count('refused')} refusals, one a writer expected")
        ledger = volume.omap("meta", f"ledger.user.{user_id}")
        check(int(ledger["bytes"]) == stored and int(ledger.get("reserved", "0")) == 0,
              f"the user's ledger: {ledger.get('bytes')} bytes, {ledger.get('reserved')} reserved; stored {stored}")
        log(f"quota: 32 writers over 3 gateways: {ok} PUTs of 64 MiB stored ({stored} bytes), 32 refused with "
            f"403 QuotaExceeded, in {time.monotonic() - started:.1f} s")
        for g in gws:
            g.stop()
    finally:
        for g in gws:
            g.close()
        volume.close()


# ---- 4. Admin changes seen at once ---------------------------------------------------


def expect_error(call, status, code, what):
    try:
        call()
    except ClientError as e:
        check(http_status(e) == status and error_code(e) == code,
              f"{what}: {http_status(e)} {error_code(e)}, expected {status} {code}")
        return
    raise Failure(f"{what}: succeeded, expected {status} {code}")


def admin_changes_case(gateway_bin, cli):
    volume = Volume()
    gws = start_gateways(gateway_bin, volume, 3)
    try:
        a, b, c = gws
        system = a.keys
        email, user_id, keys = create_user(a, system, "admin")
        s3b, s3c = b.client(keys), c.client(keys)
        s3b.create_bucket(Bucket="admin")
        s3b.put_object(Bucket="admin", Key="k", Body=b"v")

        # Disabled through A: refused by B and C on their next request.
        a.admin_ok("POST", f"ostor-users&emailAddress={quote(email)}&disable", system)
        for name, s3 in (("B", s3b), ("C", s3c)):
            expect_error(lambda: s3.get_object(Bucket="admin", Key="k"), 403, "AccessDenied", f"GET through {name} when disabled")
            expect_error(lambda: s3.put_object(Bucket="admin", Key="k2", Body=b"v"), 403, "AccessDenied",
                         f"PUT through {name} when disabled")
        a.admin_ok("POST", f"ostor-users&emailAddress={quote(email)}&enable", system)
        for name, s3 in (("B", s3b), ("C", s3c)):
            check(s3.get_object(Bucket="admin", Key="k")["Body"].read() == b"v", f"GET through {name} once enabled")
        log("admin-changes: disabled through A: 403 AccessDenied through B and C at once; enabled: served again")

        # An ops limit set by the CLI: B throttles a burst at once; removed, B serves it.
        def cli_ok(*args):
            out = subprocess.run([cli, *args, "--data", volume.spec], capture_output=True, text=True, timeout=120)
            check(out.returncode == 0, f"ostor-s3-admin {' '.join(args)}: {out.returncode} {out.stderr}")
            return out.stdout

        def burst(s3, count):
            served = throttled = 0
            for _ in range(count):
                try:
                    s3.get_object(Bucket="admin", Key="k")["Body"].read()
                    served += 1
                except ClientError as e:
                    check(http_status(e) == 503 and error_code(e) == "SlowDown", f"a throttled GET: {e.response}")
                    throttled += 1
            return served, throttled

        cli_ok("set-limits", "-e", email, "-t", "ops", "-L", "get=2")
        served, throttled = burst(s3b, 30)
        check(throttled > 0 and served < 30, f"a burst of 30 GETs through B at 2 GET/s: {served} served, none throttled")
        cli_ok("rm-limits", "-e", email)
        served_after, throttled_after = burst(s3b, 30)
        check(throttled_after == 0, f"after rm-limits: {throttled_after} of 30 GETs still throttled")
        log(f"admin-changes: ops limit get=2 set by ostor-s3-admin: a burst of 30 GETs through B: {served} served, "
            f"{throttled} 503 SlowDown; removed: all 30 served")

        # A key made and revoked through A: refused by B at once.
        doc = a.admin_ok("POST", f"ostor-users&emailAddress={quote(email)}&genKey", system)
        second = (doc["AWSAccessKeys"][0]["AWSAccessKeyId"], doc["AWSAccessKeys"][0]["AWSSecretAccessKey"])
        s3b2 = b.client(second)
        check(s3b2.get_object(Bucket="admin", Key="k")["Body"].read() == b"v", "GET through B with the new key")
        a.admin_ok("POST", f"ostor-users&emailAddress={quote(email)}&revokeKey={quote(second[0])}", system)
        expect_error(lambda: s3b2.get_object(Bucket="admin", Key="k"), 403, "InvalidAccessKeyId",
                     "GET through B with the key revoked through A")
        check(s3b.get_object(Bucket="admin", Key="k")["Body"].read() == b"v", "the first key still works")
        log("admin-changes: a key revoked through A: 403 InvalidAccessKeyId through B at once")

        fuse_changes(volume, email, {"A": a.client(keys), "B": s3b, "C": s3c}, burst)
        for g in gws:
            g.stop()
    finally:
        for g in gws:
            g.close()
        volume.close()


CASES = {
    "sigkill": sigkill_case,
    "read-after-write": read_after_write_case,
    "quota": quota_case,
    "admin-changes": admin_changes_case,
    "osd-restart": osd_restart_case,
}
DEFAULT_CASES = ["read-after-write", "admin-changes", "sigkill", "quota"]


def main():
    if len(sys.argv) < 3:
        fail("usage: guarantees.py GATEWAY OSTOR_S3_ADMIN [CASE...]")
    gateway_bin, cli = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or DEFAULT_CASES
    for name in names:
        if name not in CASES:
            fail(f"unknown case {name}: {', '.join(CASES)}")
    for name in names:
        started = time.monotonic()
        log(f"---- {name}")
        try:
            CASES[name](gateway_bin, cli)
        except Failure as e:
            fail(f"{name}: {e}")
        except Exception as e:  # noqa: BLE001: any other error fails the case, with its trace
            import traceback
            traceback.print_exc()
            fail(f"{name}: {e!r}")
        log(f"{name}: OK in {time.monotonic() - started:.1f} s")
    print("guarantees on RADOS: " + ", ".join(names) + ": OK", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
