"""The admin tree (ostor-fuse) on a RADOS volume, standing for another
machine: a daemon of its own with a connection of its own, no gateway. A
user's limits and state written there are enforced by the gateways on their
next requests. Needs /dev/fuse and fusermount3; OSTOR_FUSE names the binary.
"""
import os
import subprocess
import tempfile

from botocore.exceptions import ClientError

from guarantees_lib import Failure, check, http_status, error_code, log, wait_until

MOUNT_TIMEOUT_S = 60


def fuse_unusable_reason():
    if not os.environ.get("OSTOR_FUSE"):
        return "OSTOR_FUSE is not set"
    try:
        with open("/dev/fuse", "rb+", buffering=0):
            pass
    except OSError as e:
        return f"/dev/fuse cannot be opened: {e}"
    if subprocess.run(["which", "fusermount3"], capture_output=True).returncode != 0:
        return "fusermount3 is not installed"
    return None


def is_mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


def live_daemons(mountpoint):
    """Pids of live (not zombie) ostor-fuse processes naming `mountpoint`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and argv[0].endswith(b"ostor-fuse") and mountpoint.encode() in argv:
            pids.append(int(pid))
    return pids


class AdminTree:
    """ostor-fuse --data SPEC MOUNTPOINT, as the README starts it: a daemon
    (no -f; the daemon forks after its probe of the volume, which must not
    have left librados behind in it), unmounted by close()."""

    def __init__(self, spec):
        self.tmp = tempfile.TemporaryDirectory(prefix="ostor-guarantees-fuse-")
        self.mountpoint = os.path.join(self.tmp.name, "mnt")
        os.mkdir(self.mountpoint)
        started = subprocess.run([os.environ["OSTOR_FUSE"], "--data", spec, self.mountpoint],
                                 capture_output=True, text=True, timeout=MOUNT_TIMEOUT_S)
        if started.returncode != 0 or not is_mounted(self.mountpoint):
            self.close()
            raise Failure(f"ostor-fuse did not mount a rados: spec as a daemon (exit {started.returncode}): "
                          f"{started.stderr}")
        check(live_daemons(self.mountpoint), "ostor-fuse mounted, but no daemon serves the tree")

    def write(self, relative, text):
        with open(os.path.join(self.mountpoint, relative), "w") as f:
            f.write(text)

    def read(self, relative):
        with open(os.path.join(self.mountpoint, relative)) as f:
            return f.read()

    def close(self):
        if is_mounted(self.mountpoint):
            subprocess.run(["fusermount3", "-u", self.mountpoint], capture_output=True, timeout=30)
        try:
            wait_until("the ostor-fuse daemon exited after its unmount", lambda: not live_daemons(self.mountpoint),
                       30)
        finally:
            for pid in live_daemons(self.mountpoint):
                os.kill(pid, 9)
            if is_mounted(self.mountpoint):
                subprocess.run(["fusermount3", "-u", "-z", self.mountpoint], capture_output=True, timeout=30)
            self.tmp.cleanup()


def fuse_changes(volume, email, s3_by_name, burst, more_checks=None):
    """Limits and state written in the admin tree, seen by the gateways at
    once; then more_checks(tree), on the same mount, when given."""
    reason = fuse_unusable_reason()
    if reason:
        log(f"admin-changes: the admin tree is not tried: {reason}")
        return
    tree = AdminTree(volume.spec)
    try:
        check(email in os.listdir(os.path.join(tree.mountpoint, "users")), "the admin tree does not list the user")
        tree.write(f"users/{email}/limits", "ops:get=2\n")
        served, throttled = burst(s3_by_name["C"], 30)
        check(throttled > 0, f"a limit written in the admin tree: 30 GETs through C, {served} served, none throttled")
        tree.write(f"users/{email}/limits", "")
        served_after, throttled_after = burst(s3_by_name["C"], 30)
        check(throttled_after == 0, f"limits emptied in the admin tree: {throttled_after} of 30 GETs throttled")
        tree.write(f"users/{email}/state", "disabled\n")
        for name, s3 in s3_by_name.items():
            try:
                s3.get_object(Bucket="admin", Key="k")
                raise Failure(f"disabled in the admin tree: a GET through {name} was served")
            except ClientError as e:
                check(http_status(e) == 403 and error_code(e) == "AccessDenied",
                      f"disabled in the admin tree: GET through {name}: {e.response}")
        tree.write(f"users/{email}/state", "enabled\n")
        for name, s3 in s3_by_name.items():
            check(s3.get_object(Bucket="admin", Key="k")["Body"].read() == b"v", f"enabled again: GET through {name}")
        log(f"admin-changes: the admin tree (ostor-fuse on the rados: spec, a daemon of its own): ops:get=2 written "
            f"to users/<email>/limits: {throttled} of 30 GETs through C throttled; emptied: all served; state "
            f"disabled: 403 AccessDenied through A, B and C; enabled: served")
        if more_checks:
            more_checks(tree)
    finally:
        tree.close()
