#!/usr/bin/python3
# The monitor commands and the readiness check of ceph_cluster.sh, in one
# process each: one python3-rados connection is much quicker than one `ceph`
# CLI run (a python start-up and a new session) per command.
#
#   ceph_admin.py CONF osd-new OSD_UUID          create osd.0 in the osdmap
#   ceph_admin.py CONF pools PREFIX              create the three pools
#   ceph_admin.py CONF ready PREFIX KEYRING TIMEOUT_S PIDS_FILE
#                                                wait until client.ostor writes and reads
#                                                an object in each pool; fail at once
#                                                when a daemon of PIDS_FILE died
import json
import os
import sys
import time

import rados

POOLS = ("meta", "index", "data")
# Few placement groups: one OSD, and peering time grows with their number.
PG_NUM = 8
CONNECT_TIMEOUT_S = 10


def fail(message):
    print(f"ceph_admin.py: {message}", file=sys.stderr, flush=True)
    # Not sys.exit: a librados shutdown waits for writes still queued for an
    # OSD that never came up.
    os._exit(1)


def mon_command(cluster, **cmd):
    ret, out, err = cluster.mon_command(json.dumps(cmd), b"", timeout=CONNECT_TIMEOUT_S)
    if ret != 0:
        fail(f"'{cmd['prefix']}' failed ({ret}): {err}")
    return out


def connect(conf, name, keyring=None):
    cluster = rados.Rados(conffile=conf, name=name,
                          conf={"keyring": keyring} if keyring else {})
    # A monitor that is still starting refuses connections for a moment.
    cluster.conf_set("client_mount_timeout", str(CONNECT_TIMEOUT_S))
    cluster.connect(timeout=CONNECT_TIMEOUT_S)
    return cluster


def osd_new(conf, osd_uuid):
    cluster = connect(conf, "client.admin")
    mon_command(cluster, prefix="osd new", uuid=osd_uuid, id=0)
    cluster.shutdown()


def create_pools(conf, prefix):
    cluster = connect(conf, "client.admin")
    for pool in POOLS:
        name = f"{prefix}.{pool}"
        mon_command(cluster, prefix="osd pool create", pool=name, pg_num=PG_NUM, pgp_num=PG_NUM,
                    autoscale_mode="off")
        mon_command(cluster, prefix="osd pool application enable", pool=name, app="ostor")
    cluster.shutdown()


def dead_daemon(pids_file):
    """The pid of PIDS_FILE whose process ended, if any."""
    with open(pids_file) as f:
        for pid in f.read().split():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    # The state follows the parenthesized command name.
                    if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return pid
            except FileNotFoundError:
                return pid
    return None


def ready(conf, prefix, keyring, timeout_s, pids_file):
    deadline = time.monotonic() + timeout_s
    cluster = connect(conf, "client.ostor", keyring)
    try:
        for pool in POOLS:
            with cluster.open_ioctx(f"{prefix}.{pool}") as io:
                # librados queues the write until the placement group has
                # peered, which is after the OSD booted: one write, waited for.
                comp = io.aio_write_full("ceph_cluster.sh-ready", b"ready")
                while not comp.is_complete():
                    pid = dead_daemon(pids_file)
                    if pid:
                        fail(f"the daemon with pid {pid} ended (see its log)")
                    if time.monotonic() > deadline:
                        fail(f"pool {prefix}.{pool}: a write did not complete within {timeout_s} s")
                    time.sleep(0.02)
                if comp.get_return_value() != 0:
                    fail(f"pool {prefix}.{pool}: writing failed ({comp.get_return_value()})")
                if io.read("ceph_cluster.sh-ready") != b"ready":
                    fail(f"pool {prefix}.{pool}: read back something else than written")
                io.remove_object("ceph_cluster.sh-ready")
    finally:
        cluster.shutdown()


def main(argv):
    if len(argv) < 3:
        fail("usage: ceph_admin.py CONF osd-new OSD_UUID | CONF pools PREFIX | CONF ready PREFIX KEYRING TIMEOUT_S PIDS_FILE")
    conf, verb = argv[1], argv[2]
    try:
        if verb == "osd-new" and len(argv) == 4:
            osd_new(conf, argv[3])
        elif verb == "pools" and len(argv) == 4:
            create_pools(conf, argv[3])
        elif verb == "ready" and len(argv) == 7:
            ready(conf, argv[3], argv[4], float(argv[5]), argv[6])
        else:
            fail(f"unknown command or arguments: {argv[2:]}")
    except rados.Error as e:
        fail(f"{verb}: {e}")


if __name__ == "__main__":
    main(sys.argv)
