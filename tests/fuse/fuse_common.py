"""Shared helpers of the `fuse` test suite (tests/fuse).

The suite mounts ostor-fuse (the admin tree of docs/architecture.md, "The
admin tree") in a temporary directory on a data directory made by a real
ostor-gateway (tests/gateway/harness.py, imported, not copied), and drives the
tree with plain shell commands (`ls`, `cat`, `echo ... >`, `mkdir`, `rmdir`,
`rm`, `stat`) as an admin would, checking their exit status and the message a
shell prints ("Invalid argument", "Permission denied", ...).

Every test class mounts its own tree on its own data directory and always
unmounts it at the end, even after a failure; the ostor-fuse process (run with
-f so its stderr is kept) must then exit with status 0.

The suite needs /dev/fuse: without it every test class fails (it does not
skip) with a message that says so.

Environment: OSTOR_FUSE, OSTOR_GATEWAY, OSTOR_CLI, OSTOR_CREATE_USER (default
to the build/ tree of the checkout); OSTOR_KEEP_TMP=1 keeps temporary
directories.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'tests', 'gateway'))

import harness  # noqa: E402  (tests/gateway/harness.py)
from harness import ClientError, Config, Credentials, Gateway, error_code, http_status  # noqa: E402,F401

DEV_FUSE_MISSING = ('/dev/fuse is missing: the fuse suite needs FUSE '
                    '(modprobe fuse, or run the container with --device /dev/fuse)')

SANITIZER_MARKERS = harness.SANITIZER_MARKERS
USER_ID_RE = re.compile(r'^[0-9a-f]{16}$')
KEY_LINE_RE = re.compile(r'^([0-9a-f]{16}[A-Z0-9]{4}) ([A-Za-z0-9]{40})$')
NO_LIMITS = ('ops:default=0.00ops/s\nops:get=0.00ops/s\nops:put=0.00ops/s\nops:list=0.00ops/s\n'
             'ops:delete=0.00ops/s\nbandwidth:out=0kbs/s\n')
NOBODY = 65534


def fuse_path():
    return os.environ.get('OSTOR_FUSE') or os.path.join(REPO, 'build', 'fusefs', 'ostor-fuse')


def cli_path():
    return os.environ.get('OSTOR_CLI') or os.path.join(REPO, 'build', 'cli', 'ostor-s3-admin')


def require_dev_fuse():
    """The suite cannot run without FUSE: fail (never skip) and say why."""
    if not os.path.exists('/dev/fuse'):
        raise RuntimeError(DEV_FUSE_MISSING)
    if not os.access(fuse_path(), os.X_OK):
        raise RuntimeError(f'ostor-fuse binary {fuse_path()} not found (set OSTOR_FUSE)')


def is_mounted(path):
    """True when `path` is a mount point in /proc/mounts (paths there escape blanks as \\040)."""
    path = os.path.realpath(path)
    with open('/proc/mounts') as f:
        for line in f:
            fields = line.split()
            if len(fields) > 1 and fields[1].replace('\\040', ' ') == path:
                return True
    return False


def mount_entry(path):
    path = os.path.realpath(path)
    with open('/proc/mounts') as f:
        for line in f:
            fields = line.split()
            if len(fields) > 1 and fields[1] == path:
                return fields
    return None


def fuse_pids_for(mountpoint):
    """Live (not zombie) ostor-fuse processes whose arguments name `mountpoint`."""
    mountpoint = os.path.realpath(mountpoint)
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                argv = [a.decode(errors='replace') for a in f.read().split(b'\0') if a]
            with open(f'/proc/{entry}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if state == 'Z' or not argv or not argv[0].endswith('ostor-fuse'):
            continue
        if any(os.path.realpath(a) == mountpoint for a in argv[1:] if a.startswith('/')):
            pids.append(int(entry))
    return pids


def pid_alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def wait_until(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def unmount(mountpoint):
    """fusermount3 -u; returns (returncode, stderr)."""
    out = subprocess.run(['fusermount3', '-u', mountpoint], capture_output=True, text=True, timeout=30)
    return out.returncode, out.stderr


def force_unmount(mountpoint):
    """Last resort in cleanup: a lazy unmount, so no test leaves a mount behind."""
    if is_mounted(mountpoint):
        rc, _ = unmount(mountpoint)
        if rc != 0 and is_mounted(mountpoint):
            subprocess.run(['fusermount3', '-u', '-z', mountpoint], capture_output=True, timeout=30)


def sh(cmd, cwd=None, timeout=30, user=None):
    """Runs `cmd` with bash -c (as uid/gid `user` when given, through
    setpriv); returns the CompletedProcess with text stdout/stderr."""
    argv = ['bash', '-c', cmd]
    if user is not None:
        argv = ['setpriv', f'--reuid={user}', f'--regid={user}', '--clear-groups', '--'] + argv
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def json_ordered(text):
    return json.loads(text, object_pairs_hook=OrderedDict)


class Mount:
    """One ostor-fuse on a data directory, mounted at a fresh temporary directory.

    foreground=True runs `ostor-fuse --data DIR MNT -f` as a child whose stderr
    is kept in a file; foreground=False runs the daemon form and finds the
    daemon by its arguments."""

    def __init__(self, data_dir, extra_args=(), foreground=True):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.foreground = foreground
        self.root = tempfile.mkdtemp(prefix='ostor-fuse-test-')
        # mkdtemp makes 0700 directories: other uids must reach the mount
        # point for the allow_other tests to test the mount, not this directory.
        os.chmod(self.root, 0o755)
        self.path = os.path.join(self.root, 'mnt')
        os.mkdir(self.path)
        self.stderr_path = os.path.join(self.root, 'fuse-stderr.log')
        self.proc = None
        self.daemon_pid = None
        self.exit_status = None

    def start(self, timeout=15):
        argv = [fuse_path(), '--data', self.data_dir, self.path] + self.extra_args
        if self.foreground:
            argv.append('-f')
            self._stderr = open(self.stderr_path, 'ab')
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr,
                                         preexec_fn=harness._die_with_parent)
            ok = wait_until(lambda: is_mounted(self.path) or self.proc.poll() is not None, timeout)
            if not ok or not is_mounted(self.path):
                rc = self.proc.poll()
                self.cleanup()
                raise RuntimeError(f'ostor-fuse -f did not mount {self.path} within {timeout}s (exit status {rc}); '
                                   f'stderr: {self.stderr_text()[-2000:]}')
        else:
            out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
            if out.returncode != 0 or not is_mounted(self.path):
                self.cleanup()
                raise RuntimeError(f'ostor-fuse (daemon) exited {out.returncode}, mounted: {is_mounted(self.path)}; '
                                   f'stderr: {out.stderr[-2000:]}')
            pids = fuse_pids_for(self.path)
            if len(pids) != 1:
                self.cleanup()
                raise RuntimeError(f'expected one ostor-fuse daemon for {self.path}, found {pids}')
            self.daemon_pid = pids[0]
        return self

    def stop(self):
        """fusermount3 -u; the process must exit with status 0 and print no
        sanitizer report. Returns nothing; raises AssertionError on a problem."""
        problems = []
        if is_mounted(self.path):
            rc, err = unmount(self.path)
            # A descriptor a test's process closed is let go by the kernel a
            # moment later (the last reference to a file is dropped after
            # close returns): a busy mount gets a few seconds to settle.
            deadline = time.monotonic() + 5
            while rc != 0 and 'busy' in err and time.monotonic() < deadline:
                time.sleep(0.1)
                rc, err = unmount(self.path)
            if rc != 0:
                problems.append(f'fusermount3 -u failed ({rc}): {err}')
        if self.proc is not None:
            try:
                self.exit_status = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                problems.append('ostor-fuse -f did not exit within 15s of fusermount3 -u')
            else:
                if self.exit_status != 0:
                    problems.append(f'ostor-fuse -f exited with status {self.exit_status} after fusermount3 -u')
        if self.daemon_pid is not None and not wait_until(lambda: not pid_alive(self.daemon_pid), 15):
            problems.append(f'ostor-fuse daemon {self.daemon_pid} did not exit within 15s of fusermount3 -u')
        err = self.stderr_text()
        if any(m in err for m in SANITIZER_MARKERS):
            problems.append('sanitizer report on stderr')
        self.cleanup()
        if problems:
            raise AssertionError('; '.join(problems) + f'\n--- ostor-fuse stderr ---\n{err[-8000:]}')

    def cleanup(self):
        """Never leaves a mount or a process behind, whatever happened."""
        force_unmount(self.path)
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self._stderr.close()
        if self.daemon_pid is not None and pid_alive(self.daemon_pid):
            try:
                os.kill(self.daemon_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not wait_until(lambda: not pid_alive(self.daemon_pid), 10):
                try:
                    os.kill(self.daemon_pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        force_unmount(self.path)
        if not os.environ.get('OSTOR_KEEP_TMP') and not is_mounted(self.path):
            shutil.rmtree(self.root, ignore_errors=True)

    def stderr_text(self):
        try:
            with open(self.stderr_path, 'rb') as f:
                return f.read().decode(errors='replace')
        except OSError:
            return ''


class FuseTestCase(unittest.TestCase):
    """Base class: one gateway (which makes the data directory and keeps
    running beside the tree) and one ostor-fuse -f mount per test class."""

    gw = None
    mount = None
    gw_conf = None          # text of <data>/gw.conf written before the gateway starts
    mount_args = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_dev_fuse()
        gw = Gateway()
        if cls.gw_conf is not None:
            os.makedirs(gw.data_dir)
            with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
                f.write(cls.gw_conf)
        cls.gw = gw.start()
        cls.addClassCleanup(cls._stop_gateway)
        cls.mount = Mount(cls.gw.data_dir, cls.mount_args)
        cls.addClassCleanup(cls._stop_mount)
        cls.mount.start()
        cls.mnt = cls.mount.path

    @classmethod
    def _stop_mount(cls):
        m, cls.mount = cls.mount, None
        if m is not None:
            m.stop()

    @classmethod
    def _stop_gateway(cls):
        gw, cls.gw = cls.gw, None
        if gw is not None:
            gw.stop()

    # ---- shell -------------------------------------------------------------------
    def sh(self, cmd, user=None):
        """`cmd` run by bash in the mount point."""
        return sh(cmd, cwd=self.mnt, user=user)

    def ok(self, cmd, user=None):
        """`cmd` must succeed with nothing on stderr; returns its stdout."""
        out = self.sh(cmd, user=user)
        self.assertEqual(out.returncode, 0, f'`{cmd}` failed ({out.returncode}): {out.stderr}')
        self.assertEqual(out.stderr, '', f'`{cmd}` printed on stderr')
        return out.stdout

    def fails(self, cmd, message, user=None):
        """`cmd` must exit non-zero with `message` (e.g. "Invalid argument") on
        stderr (message None: any message); returns the stderr."""
        out = self.sh(cmd, user=user)
        self.assertNotEqual(out.returncode, 0, f'`{cmd}` succeeded; stdout: {out.stdout!r}')
        if message is not None:
            self.assertIn(message, out.stderr, f'`{cmd}` (exit {out.returncode})')
        else:
            self.assertNotEqual(out.stderr.strip(), '', f'`{cmd}` failed silently')
        return out.stderr

    @staticmethod
    def heredoc(path, text):
        """A command that writes `text` to `path` in one write(2) (cat copies a
        here-document in one go; bash's own echo and printf write line by line)."""
        body = text if text.endswith('\n') else text + '\n'
        return f"cat > {q(path)} <<'OSTOR_EOF'\n{body}OSTOR_EOF"

    def cat(self, path):
        return self.ok(f'cat {q(path)}')

    def mode(self, path):
        return self.ok(f'stat -c %a {q(path)}').strip()

    # ---- CLI and users -----------------------------------------------------------------
    def cli(self, *args, check=True):
        out = subprocess.run([cli_path(), *args, '--data', self.gw.data_dir], capture_output=True, text=True,
                             timeout=60)
        if check:
            self.assertEqual(out.returncode, 0, f'ostor-s3-admin {args}: {out.stderr}')
        return out

    def new_email(self, prefix='u'):
        return f'{prefix}-{os.urandom(4).hex()}@example.com'

    def new_user(self, prefix='u'):
        """A user made through the tree (mkdir users/<email>); returns its email."""
        email = self.new_email(prefix)
        self.ok(f'mkdir users/{email}')
        return email

    def keys_of(self, email):
        """[(access key id, secret)] from users/<email>/keys."""
        pairs = []
        for line in self.cat(f'users/{email}/keys').splitlines():
            m = KEY_LINE_RE.match(line)
            self.assertIsNotNone(m, f'not an "ACCESS_KEY_ID SECRET" line: {line!r}')
            pairs.append((m.group(1), m.group(2)))
        return pairs

    def client_of(self, email, **config):
        key, secret = self.keys_of(email)[0]
        return self.gw.client(credentials=Credentials(key, secret), **config)

    def new_bucket_of(self, email):
        name = harness.unique_bucket('fuse')
        self.client_of(email).create_bucket(Bucket=name)
        return name

    def rest_json(self, query):
        """A GET of the admin REST API as the gateway's system user: parsed JSON, keys in order."""
        resp = self.gw.request('GET', '/', query)
        self.assertEqual(resp.status, 200, resp)
        return json_ordered(resp.body)


def q(path):
    """A path quoted for bash."""
    return "'" + path.replace("'", "'\\''") + "'"


def main():
    unittest.main(verbosity=2)
