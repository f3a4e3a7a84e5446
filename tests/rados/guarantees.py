#!/usr/bin/python3
"""The guarantees of ostor on RADOS, each shown with three gateways on one
volume of the throwaway cluster (docs/rados.md, "Guarantees, as tested").

    guarantees.py GATEWAY OSTOR_S3_ADMIN [CASE...]

CASEs (default: all but osd-restart): sigkill, sigkill-versions,
read-after-write, quota, admin-changes (with the admin plane's object-lock
refusals, guarantees_lock.py), osd-restart. Run through run_with_cluster.sh with
OSTOR_CEPH_OSD_STORE=bluestore (the quota case stores 1 GiB, more than the
memstore's cap; osd-restart needs a store that survives a restart). Each case
has a volume (namespace) and gateways of its own.
"""
import itertools
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from xml.etree import ElementTree

from botocore.exceptions import ClientError

from guarantees_lib import (GiB, KiB, MiB, Failure, all_objects, check, create_user, error_code, fail,
                            http_status, log, md5, quote, start_gateways, wait_until, Volume)
from guarantees_fuse import fuse_changes
from guarantees_lock import LockedOwner, admin_refusals, tree_refusals
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


def victim_reservations(volume, user_id, victim, size=None):
    """The victim gateway's reservations on the user's ledger (of `size` bytes
    only, when given: a reservation's value starts with its bytes)."""
    return {k for k, v in volume.omap("meta", f"ledger.user.{user_id}").items()
            if k.startswith(f"r.{victim}.") and (size is None or v.split(" ", 1)[0] == str(size))}


def wait_for_stalled_reservation(volume, user_id, victim, size, before):
    """Until the stalled PUT's reservation is there: one of `size` bytes, not
    among `before` (taken before that PUT began), lasting a second (the
    stalled PUT's never ends; one of the other PUTs the victim serves ends
    within it: taken for the stalled one, the kill could find none)."""
    def lasting():
        seen = victim_reservations(volume, user_id, victim, size) - before
        if not seen:
            return set()
        time.sleep(1)
        return seen & victim_reservations(volume, user_id, victim, size)

    wait_until("the stalled PUT's reservation on the user's ledger", lasting, 60, 0.1)


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
        before = victim_reservations(volume, user_id, victim)
        stalled = c.partial_put(keys, "kill", stalled_key, large, len(large) // 2)
        wait_for_stalled_reservation(volume, user_id, victim, len(large), before)
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


# ---- 1b. SIGKILL on a versioned bucket ---------------------------------------------


def all_versions(s3, bucket):
    """{key: [entry, ...] as listed} by ListObjectVersions, every page (37
    entries a page); an entry is {"id", "marker", "etag", "size", "latest"}.
    boto3 parses versions and markers apart, so the entries are read from
    each page's XML in document order, the order a key's versions and markers
    must interleave in (newest first)."""
    out = {}

    def parse(http_response, **_):
        if http_response.status_code != 200:
            return
        for entry in ElementTree.fromstring(http_response.content):
            kind = entry.tag.rsplit("}", 1)[-1]
            if kind not in ("Version", "DeleteMarker"):
                continue
            field = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in entry}
            marker = kind == "DeleteMarker"
            out.setdefault(field["Key"], []).append({
                "id": field["VersionId"], "marker": marker, "etag": None if marker else field["ETag"].strip('"'),
                "size": 0 if marker else int(field["Size"]), "latest": field["IsLatest"] == "true"})

    event = "after-call.s3.ListObjectVersions"  # the final response of each page
    s3.meta.events.register(event, parse, unique_id="all_versions")
    try:
        parsed = sum(len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
                     for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, MaxKeys=37))
    finally:
        s3.meta.events.unregister(event, unique_id="all_versions")
    check(parsed == sum(len(entries) for entries in out.values()),
          f"ListObjectVersions: boto3 parsed {parsed} entries, the XML read in order has {out}")
    return out


def sigkill_versions_case(gateway_bin, cli):
    """The SIGKILL case on a versioned bucket: writers through three gateways
    put new versions of their own few keys, add delete markers and delete
    versions by id; one gateway is SIGKILLed. Every acknowledged version
    lists and reads back by its id, a version whose deletion was acknowledged
    is gone, an operation in flight on the killed gateway shows whole or not
    at all, each key's current is its newest version (404 under a marker), and
    after the sweep the ledgers count exactly the object versions listed."""
    volume = Volume()
    gws = start_gateways(gateway_bin, volume, 3, ["--test-lease-seconds", str(KILL_LEASE_S),
                                                  "--collect-seconds", str(KILL_COLLECT_S)])
    a, b, c = gws
    bucket = "kill-versions"
    try:
        system = a.keys
        email, user_id, keys = create_user(a, system, "killv")
        a.admin_ok("PUT", f"ostor-quotas&emailAddress={quote(email)}&quota-size=100", system)
        s3a = a.client(keys)
        s3a.create_bucket(Bucket=bucket)
        s3a.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        victim = lease_instance(volume, c)
        small, large = os.urandom(4 * KiB), os.urandom(3 * MiB)
        # key -> its acknowledged versions, newest first: {"id", "marker", "md5", "size"}
        acked = {}
        # key -> the operation begun and not acknowledged on it: ("put", md5,
        # size) | ("marker",) | ("delete", id); what stays of a writer on the
        # killed gateway may or may not have taken effect.
        in_flight = {}
        counts = {"put": 0, "marker": 0, "delete": 0}
        unexpected = []
        lock = threading.Lock()
        stop = threading.Event()
        victim_dead = threading.Event()

        def writer(i):
            gw = gws[i % 3]
            s3 = gw.client(keys, read_timeout=60)
            own = [f"w{i:02d}/k{k}" for k in range(3)]  # each key has one writer: its history is sequential
            for key in own:
                acked[key] = []
            while not stop.is_set():
                key = random.choice(own)
                history = acked[key]
                dice = random.random()
                try:
                    if dice < 0.5 or (dice >= 0.7 and not history):
                        base = large if random.random() < 0.3 else small
                        body = base[:-8] + os.urandom(8)
                        with lock:
                            in_flight[key] = ("put", md5(body), len(body))
                        r = s3.put_object(Bucket=bucket, Key=key, Body=body)
                        entry = {"id": r["VersionId"], "marker": False, "md5": md5(body), "size": len(body)}
                        op = "put"
                    elif dice < 0.7:
                        with lock:
                            in_flight[key] = ("marker",)
                        r = s3.delete_object(Bucket=bucket, Key=key)
                        if r.get("DeleteMarker") is not True:
                            raise Failure(f"{key}: a DELETE without an id added no marker: {r}")
                        entry = {"id": r["VersionId"], "marker": True, "md5": None, "size": 0}
                        op = "marker"
                    else:
                        gone = random.choice(history)
                        with lock:
                            in_flight[key] = ("delete", gone["id"])
                        r = s3.delete_object(Bucket=bucket, Key=key, VersionId=gone["id"])
                        if r.get("VersionId") != gone["id"] or bool(r.get("DeleteMarker")) != gone["marker"]:
                            raise Failure(f"{key}: DELETE of {gone} answered {r}")
                        entry = None
                        op = "delete"
                    with lock:
                        if entry is None:
                            history.remove(gone)
                        else:
                            history.insert(0, entry)
                        del in_flight[key]
                        counts[op] += 1
                except Failure as e:  # a wrong answer, from C too: it answered before its kill
                    with lock:
                        unexpected.append(f"{gw.name} {key}: {e}")
                    return
                except Exception as e:  # noqa: BLE001: the killed gateway's requests fail in many ways
                    if gw is c and victim_dead.is_set():
                        return  # the operation in flight at the kill: may or may not have taken effect
                    with lock:
                        unexpected.append(f"{gw.name} {key}: {e!r}")
                    return

        def acknowledged():
            return sum(counts.values())

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        wait_until("80 acknowledged operations", lambda: acknowledged() >= 80 or unexpected, 120, 0.05)
        # A PUT of a new version through C whose body stops half way: C holds
        # its reservation when it dies.
        stalled_key = "stalled/3MiB"
        acked[stalled_key] = []
        in_flight[stalled_key] = ("put", md5(large), len(large))
        before = victim_reservations(volume, user_id, victim)
        stalled = c.partial_put(keys, bucket, stalled_key, large, len(large) // 2)
        wait_for_stalled_reservation(volume, user_id, victim, len(large), before)
        with lock:
            victim_dead.set()
            c.kill()
            at_kill = acknowledged()
        # Read at once: the lease (10 s) must not run out before, on a slow machine.
        held = [k for k in volume.omap("meta", f"ledger.user.{user_id}") if k.startswith(f"r.{victim}.")]
        check(held, "the killed gateway held no reservation: the sweep would have nothing to drop")
        wait_until("80 more acknowledged operations", lambda: acknowledged() >= at_kill + 80 or unexpected, 120, 0.05)
        stop.set()
        for t in threads:
            t.join()
        check(not unexpected, "operations through the survivors failed: " + "; ".join(unexpected[:5]))
        log(f"sigkill-versions: {counts['put']} versions put, {counts['marker']} markers, {counts['delete']} versions "
            f"deleted by id acknowledged ({at_kill} operations before the kill); {len(in_flight)} in flight on the "
            f"killed gateway")

        def check_versions(s3, when):
            """Every key's versions against what was acknowledged; returns the listing."""
            listed = all_versions(s3, bucket)
            unknown = sorted(set(listed) - set(acked))
            check(not unknown, f"{when}: versions of keys never written: {unknown[:5]}")
            done = 0
            for key, history in acked.items():
                found = listed.get(key, [])
                check([e["latest"] for e in found] == [i == 0 for i in range(len(found))],
                      f"{when}, {key}: IsLatest not on the newest alone: {found}")
                want = [(e["id"], e["marker"]) for e in history]
                got = [(e["id"], e["marker"]) for e in found]
                if got != want:
                    pending = in_flight.get(key)
                    fresh = bool(got) and got[0][0] not in [w[0] for w in want]
                    if pending and pending[0] == "delete":
                        ok = got == [w for w in want if w[0] != pending[1]]
                    elif pending and pending[0] == "marker":
                        ok = fresh and got[0][1] and got[1:] == want
                    elif pending:
                        ok = fresh and not got[0][1] and got[1:] == want and found[0]["etag"] == pending[1]
                    else:
                        ok = False
                    check(ok, f"{when}, {key}: lists {got}; acknowledged {want}; in flight {pending}")
                    done += 1
                # By id: each version whole, each marker one (405).
                md5s = {e["id"]: e["md5"] for e in history}
                if pending_put := in_flight.get(key):
                    if pending_put[0] == "put" and found and found[0]["id"] not in md5s:
                        md5s[found[0]["id"]] = pending_put[1]
                for e in found:
                    if e["marker"]:
                        try:
                            s3.head_object(Bucket=bucket, Key=key, VersionId=e["id"])
                            raise Failure(f"{when}, {key}: HEAD of the marker {e['id']} by id found an object")
                        except ClientError as err:
                            check(http_status(err) == 405,
                                  f"{when}, {key}: HEAD of the marker {e['id']}: {err.response}")
                        continue
                    r = s3.get_object(Bucket=bucket, Key=key, VersionId=e["id"])
                    got_body = r["Body"].read()
                    check(r.get("VersionId") == e["id"] and md5(got_body) == md5s[e["id"]] == e["etag"],
                          f"{when}, {key}: version {e['id']} reads back {len(got_body)} other bytes")
                # The current: the newest, or 404 under a marker (or with nothing).
                try:
                    r = s3.get_object(Bucket=bucket, Key=key)
                    body = r["Body"].read()
                    check(found and not found[0]["marker"] and r.get("VersionId") == found[0]["id"] and
                          md5(body) == found[0]["etag"], f"{when}, {key}: GET reads {r.get('VersionId')}, not the "
                          f"newest of {[(e['id'], e['marker']) for e in found]}")
                except ClientError as err:
                    check(http_status(err) == 404 and (not found or found[0]["marker"]),
                          f"{when}, {key}: GET: {err.response['Error']} with the newest "
                          f"{found[0] if found else None}")
                    if found:
                        headers = err.response["ResponseMetadata"]["HTTPHeaders"]
                        check(headers.get("x-amz-delete-marker") == "true" and
                              headers.get("x-amz-version-id") == found[0]["id"],
                              f"{when}, {key}: the 404 under the marker {found[0]['id']} names {headers}")
            # ListObjects: the keys whose newest is an object, each as that version.
            newest = {key: (found[0]["size"], found[0]["etag"]) for key, found in listed.items()
                      if found and not found[0]["marker"]}
            objects = all_objects(s3, bucket, etags=True)
            check(objects == newest, f"{when}: ListObjectsV2 shows {sorted(objects.items())}, the newest versions are "
                  f"{sorted(newest.items())}")
            return listed, done

        s3b = b.client(keys)
        listed, done = check_versions(s3b, "after the kill")
        versions = [e for entries in listed.values() for e in entries if not e["marker"]]
        markers = sum(len(entries) for entries in listed.values()) - len(versions)
        log(f"sigkill-versions: {len(versions)} versions and {markers} markers of {len(listed)} keys list and read "
            f"back by id through B ({done} of the in-flight operations took effect)")
        # What the operations in flight left is the truth from here on: the
        # sweep must neither finish nor undo any of them.
        cut = len(in_flight)
        # A delete by id has no reservation for the adopter to reconcile: cut
        # between its index write and its ledger change (or between the
        # user's ledger and the bucket's) it leaves a ledger high by the
        # version it removed until the bucket's recount (docs/rados.md,
        # "Recount from the index": once quiet for 10 minutes).
        uncounted = []  # (bytes, objects) of each removal by id the kill cut after its index write
        for key, op in in_flight.items():
            if op[0] == "delete" and op[1] not in [e["id"] for e in listed.get(key, [])]:
                gone = next(e for e in acked[key] if e["id"] == op[1])
                if not gone["marker"]:
                    uncounted.append((gone["size"], 1))
        for key in in_flight:
            acked[key] = [{"id": e["id"], "marker": e["marker"], "md5": e["etag"], "size": e["size"]}
                          for e in listed.get(key, [])]
        in_flight.clear()

        stalled.close()
        wait_until("the killed gateway's lease swept",
                   lambda: victim not in volume.omap("meta", "leases") and not volume.exists("meta", f"lease.{victim}"),
                   RECLAIM_TIMEOUT_S, 0.5)
        check(not volume.exists("meta", f"pending.{victim}"), "the dead instance's pending ledgers are still listed")
        ledger = volume.omap("meta", f"ledger.user.{user_id}")
        check(not [k for k in ledger if k.startswith("r.")] and int(ledger.get("reserved", "0")) == 0,
              f"reservations left on the user's ledger: {ledger}")
        # Every object version counts, current or not; markers count nothing.
        listed, _ = check_versions(s3a, "after the sweep")
        versions = [e for entries in listed.values() for e in entries if not e["marker"]]
        listed_bytes = sum(e["size"] for e in versions)
        bucket_ledgers = volume.objects("meta", f"ledger.bucket/{bucket}/")
        check(len(bucket_ledgers) == 1, f"bucket ledgers: {bucket_ledgers}")
        bucket_ledger = volume.omap("meta", bucket_ledgers[0])
        # The adopter queues every bucket the dead instance wrote to for its
        # recount, which is what repairs a ledger a cut delete by id left high
        # (no gateway option shortens its 10-minute quiet window: the recount
        # itself is not awaited here).
        queued = volume.omap("meta", "recount.queue")
        check(bucket_ledgers[0][len("ledger.bucket/"):] in queued,
              f"the killed gateway wrote to {bucket}, and the bucket is not queued for a recount: {queued}")
        for name, counts_ in (("user", ledger), ("bucket", bucket_ledger)):
            high = (int(counts_["bytes"]) - listed_bytes, int(counts_["objects"]) - len(versions))
            allowed = {(sum(b for b, _ in cut_), sum(o for _, o in cut_))
                       for n in range(len(uncounted) + 1) for cut_ in itertools.combinations(uncounted, n)}
            check(high in allowed,
                  f"{name} ledger bytes {counts_['bytes']} objects {counts_['objects']}, listed {listed_bytes} in "
                  f"{len(versions)} versions (deletes by id cut after their index write: {uncounted})")
            if high != (0, 0):
                log(f"sigkill-versions: the {name} ledger counts {high} (bytes, objects) of a delete by id cut after "
                    f"its index write, until the bucket's recount (queued)")
        # A 3 MiB version is one blob object, a 4 KiB one is kept in its
        # record; beyond those, at most one body per operation in flight.
        # Bodies of deleted versions wait (refs 0) for their collection,
        # a grace period after their release.
        blobs = [o for o, refs in volume.xattrs("data", "blob.", "refs").items() if refs != b"0"]
        in_blobs = sum(1 for e in versions if e["size"] > len(small))
        leaked = len(blobs) - in_blobs
        check(0 <= leaked <= cut,
              f"{len(blobs)} blob objects for {in_blobs} large versions ({cut} operations were in flight)")
        log(f"sigkill-versions: after the sweep {len(versions)} versions ({listed_bytes} bytes), the ledgers checked; "
            f"{len(blobs)} blob objects for {in_blobs} large versions")
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

        # Owners of locked versions written through B: refused through A,
        # the CLI, C (the owner's DeleteBucket) and the admin tree.
        started = time.monotonic()
        owners = [LockedOwner(a, system, b, f"locked-{lock}-{secrets.token_hex(3)}", lock)
                  for lock in ("compliance", "hold")]
        admin_refusals(owners, a, c, system, cli, volume.spec)
        log(f"admin-changes: owners of a COMPLIANCE-retained and a legal-hold version written through B: deleting "
            f"them refused through A (409 UserHasBuckets) and by ostor-s3-admin (exit 1), their buckets by the "
            f"system user through A and their owners through C (409 BucketNotEmpty), each naming the lock; all "
            f"unchanged ({time.monotonic() - started:.1f} s)")
        fuse_changes(volume, email, {"A": a.client(keys), "B": s3b, "C": s3c}, burst,
                     lambda tree: tree_refusals(tree, owners, a, system))
        for g in gws:
            g.stop()
    finally:
        for g in gws:
            g.close()
        volume.close()


CASES = {
    "sigkill": sigkill_case,
    "sigkill-versions": sigkill_versions_case,
    "read-after-write": read_after_write_case,
    "quota": quota_case,
    "admin-changes": admin_changes_case,
    "osd-restart": osd_restart_case,
}
DEFAULT_CASES = ["read-after-write", "admin-changes", "sigkill", "sigkill-versions", "quota"]


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
