"""An ostor-gateway process on a RADOS volume, for the rados suite's scripts:
started on a loopback port of its choice, read until it listens, stopped
with SIGTERM."""
import re
import signal
import subprocess
import sys


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def launch_gateway(gateway, spec, state, extra_args=()):
    return subprocess.Popen([gateway, "--data", spec, "--state-dir", state, "--listen", "127.0.0.1:0", *extra_args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_listening(proc):
    """Reads a launched gateway's output until it listens; returns (port, printed system keys)."""
    keys = {}
    seen = []
    for line in proc.stdout:
        seen.append(line)
        m = re.match(r"^(S3AccessKeyId|S3SecretAccessKey):\s*(\S+)", line)
        if m:
            keys[m.group(1)] = m.group(2)
        m = re.match(r"^ostor-gateway: listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return int(m.group(1)), keys
    proc.kill()
    fail("a gateway did not start:\n" + "".join(seen))


def stop_gateway(proc):
    """SIGTERM, then its exit status (fails when it does not stop within 60 s)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            fail("a gateway did not stop on SIGTERM")
    return proc.returncode
