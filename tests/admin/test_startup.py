"""Safe starts: what the gateway, the CLI and the admin tree do with the data
directory they are given, and what a failed start leaves behind.

  * a gateway that cannot start (S3 port or --admin-listen port in use, TLS
    files or --admin-token-file missing) exits non-zero with its message and creates nothing: no
    data directory, no system user;
  * --data naming a non-empty directory that is not an ostor volume is
    refused by all three (gateway, ostor-s3-admin --data / OSTOR_DATA,
    ostor-fuse --data), which leave it exactly as it was; a file is refused
    with "not a directory";
  * a missing or empty directory, or one holding only gw.conf, becomes a
    volume; an existing volume opens again;
  * scripts/quickstart.sh then exits non-zero, the gateway's message last,
    after saying how to pick other ports;
  * the system user's keys printed at the first start are shown again by
    `ostor-s3-admin query-user-info -e admin@localhost`, in the guide's format,
    and the start message says so.

Real processes on temporary directories and loopback ports; ostor-fuse
refuses before mounting, so no /dev/fuse is needed here.
Environment: OSTOR_GATEWAY, OSTOR_CLI, OSTOR_FUSE (default to the build/ tree).
"""

import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import unittest

from admin_common import REPO, cli_path, volume_id
from harness import Gateway, gateway_path, main

START_TIMEOUT_S = 30
# quickstart also checks the packages and that its three programs are built.
QUICKSTART_TIMEOUT_S = 240
SYSTEM_EMAIL = 'admin@localhost'


def fuse_path():
    return os.environ.get('OSTOR_FUSE') or os.path.join(REPO, 'build', 'fusefs', 'ostor-fuse')


@contextlib.contextmanager
def busy_port():
    """A loopback port another socket is listening on."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        yield s.getsockname()[1]
    finally:
        s.close()


def snapshot(path):
    """Everything observable about a directory tree: names, types, modes, bytes."""
    tree = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            body = None
            if os.path.isfile(p):
                with open(p, 'rb') as f:
                    body = f.read()
            tree[os.path.relpath(p, path)] = (st.st_mode, body)
    return tree


class StartupTest(unittest.TestCase):
    def setUp(self):
        for exe in (gateway_path(), cli_path(), fuse_path()):
            if not os.access(exe, os.X_OK):
                self.fail(f'{exe} not found (build it, or set OSTOR_GATEWAY / OSTOR_CLI / OSTOR_FUSE)')
        self.tmp = tempfile.mkdtemp(prefix='ostor-startup-test-')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.mnt = os.path.join(self.tmp, 'mnt')
        os.mkdir(self.mnt)

    # ---- the three programs, run to completion --------------------------
    def gateway(self, data, *args):
        """A gateway start expected to fail: it must exit by itself."""
        return subprocess.run([gateway_path(), '--data', data, *args], capture_output=True, text=True,
                              timeout=START_TIMEOUT_S, stdin=subprocess.DEVNULL)

    def cli(self, *args, env=None):
        return subprocess.run([cli_path(), *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **(env or {})})

    def fuse(self, data):
        return subprocess.run([fuse_path(), '--data', data, self.mnt, '-f'], capture_output=True, text=True,
                              timeout=60)

    def assertRefused(self, out, message):
        self.assertNotEqual(out.returncode, 0, out)
        self.assertIn(message, out.stderr, out)

    # ---- a failed start creates nothing --------------------------------
    def test_a_busy_s3_port_stops_the_start_and_creates_no_data_directory(self):
        data = os.path.join(self.tmp, 'data')
        with busy_port() as port:
            out = self.gateway(data, '--listen', f'127.0.0.1:{port}')
        self.assertRefused(out, f'cannot listen on 127.0.0.1:{port}')
        self.assertNotIn('S3AccessKeyId', out.stdout)
        self.assertFalse(os.path.exists(data), os.listdir(self.tmp))

    def test_a_busy_admin_port_stops_the_start_and_creates_no_data_directory(self):
        data = os.path.join(self.tmp, 'data')
        with busy_port() as port:
            out = self.gateway(data, '--listen', '127.0.0.1:0', '--admin-listen', str(port))
        self.assertRefused(out, f'admin listener: cannot listen on 127.0.0.1:{port}')
        self.assertNotIn('S3AccessKeyId', out.stdout)
        self.assertFalse(os.path.exists(data), os.listdir(self.tmp))

    def test_missing_tls_files_stop_the_start_and_create_no_data_directory(self):
        data = os.path.join(self.tmp, 'data')
        missing = os.path.join(self.tmp, 'no-such.pem')
        out = self.gateway(data, '--listen', '127.0.0.1:0', '--tls-cert', missing, '--tls-key', missing)
        self.assertRefused(out, 'ostor-gateway: cannot load the TLS certificate or key')
        self.assertFalse(os.path.exists(data), os.listdir(self.tmp))

    def test_a_missing_admin_token_file_stops_the_start_and_creates_no_data_directory(self):
        data = os.path.join(self.tmp, 'data')
        missing = os.path.join(self.tmp, 'no-such-token')
        out = self.gateway(data, '--listen', '127.0.0.1:0', '--admin-listen', '0', '--admin-token-file', missing)
        self.assertRefused(out, f'ostor-gateway: cannot read the admin token file {missing}')
        self.assertFalse(os.path.exists(data), os.listdir(self.tmp))

    def test_a_failed_start_on_an_existing_volume_adds_no_user(self):
        gw = Gateway()
        gw.start()
        gw.stop(keep_dir=True)
        self.addCleanup(shutil.rmtree, gw.root, ignore_errors=True)
        before = self.cli('query-users', '--data', gw.data_dir)
        with busy_port() as port:
            out = self.gateway(gw.data_dir, '--listen', f'127.0.0.1:{port}')
        self.assertRefused(out, 'Address already in use')
        self.assertEqual(self.cli('query-users', '--data', gw.data_dir).stdout, before.stdout)

    def test_quickstart_ends_with_the_gateways_message_and_how_to_pick_other_ports(self):
        data = os.path.join(self.tmp, 'data')
        build_dir = os.path.dirname(os.path.dirname(gateway_path()))  # the build the suite runs from
        with busy_port() as port:
            out = subprocess.run([os.path.join(REPO, 'scripts', 'quickstart.sh')], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=QUICKSTART_TIMEOUT_S,
                                 stdin=subprocess.DEVNULL,
                                 env={**os.environ, 'OSTOR_BUILD_DIR': build_dir, 'OSTOR_DATA': data,
                                      'OSTOR_MOUNT': self.mnt, 'OSTOR_LISTEN': f'127.0.0.1:{port}',
                                      'OSTOR_ADMIN_LISTEN': '127.0.0.1:0'})
        self.assertNotEqual(out.returncode, 0, out.stdout)
        lines = out.stdout.rstrip('\n').split('\n')
        self.assertEqual(lines[-1], f'ostor-gateway: cannot listen on 127.0.0.1:{port}: Address already in use',
                         out.stdout)
        self.assertIn('OSTOR_LISTEN=', lines[-2])
        self.assertIn('OSTOR_ADMIN_LISTEN=', lines[-2])
        self.assertFalse(os.path.exists(data), os.listdir(self.tmp))

    # ---- what --data may name ------------------------------------------
    def foreign_directory(self):
        """A directory of someone else's files (a home directory, say)."""
        d = os.path.join(self.tmp, 'photos')
        os.makedirs(os.path.join(d, '2025'))
        with open(os.path.join(d, 'notes.txt'), 'w') as f:
            f.write('not ostor\n')
        with open(os.path.join(d, '2025', 'cat.jpg'), 'wb') as f:
            f.write(b'\xff\xd8\xff' + bytes(100))
        return d

    def test_a_foreign_non_empty_directory_is_refused_by_all_and_left_unchanged(self):
        d = self.foreign_directory()
        before = snapshot(d)
        message = 'is not empty and is not an ostor data directory'
        self.assertRefused(self.gateway(d, '--listen', '127.0.0.1:0'), message)
        self.assertEqual(snapshot(d), before)
        self.assertRefused(self.cli('query-users', '--data', d), message)
        self.assertRefused(self.cli('create-user', '-e', 'u@example.com', env={'OSTOR_DATA': d}), message)
        self.assertEqual(snapshot(d), before)
        self.assertRefused(self.fuse(d), message)
        self.assertEqual(snapshot(d), before)

    def test_a_file_is_refused_with_not_a_directory_by_all(self):
        f = os.path.join(self.tmp, 'data')
        with open(f, 'w') as out:
            out.write('a file\n')
        self.assertRefused(self.gateway(f, '--listen', '127.0.0.1:0'), f'{f}: not a directory')
        self.assertRefused(self.cli('query-users', '--data', f), f'{f}: not a directory')
        self.assertRefused(self.cli('query-users', env={'OSTOR_DATA': f}), f'{f}: not a directory')
        self.assertRefused(self.fuse(f), f'{f}: not a directory')
        with open(f) as inp:
            self.assertEqual(inp.read(), 'a file\n')

    def test_an_empty_existing_directory_becomes_a_volume(self):
        gw = Gateway()
        os.makedirs(gw.data_dir)
        gw.start()
        try:
            self.assertTrue(os.path.isfile(os.path.join(gw.data_dir, 'volume.id')))
            self.assertEqual(self.cli('query-users', '--data', gw.data_dir).returncode, 0)
        finally:
            gw.stop()

    def test_a_directory_holding_only_the_settings_becomes_a_volume_and_reopens(self):
        gw = Gateway()
        os.makedirs(os.path.join(gw.data_dir, 'local'))
        with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
            f.write('S3_GW_COLLECT_STAT=0\n')
        with open(os.path.join(gw.data_dir, 'local', 'gw.conf'), 'w') as f:
            f.write('S3_GW_COLLECT_STAT=0\n')
        gw.start()
        try:
            volume = volume_id(gw.data_dir)
            gw.restart()  # an existing volume opens as before, keys not shown again
            self.assertEqual(volume_id(gw.data_dir), volume)
        finally:
            gw.stop()

    # ---- the system user's keys ----------------------------------------
    def test_the_system_users_keys_are_shown_again_by_the_cli_as_the_start_message_says(self):
        gw = Gateway()
        gw.start()
        try:
            created = next(line for line in gw.stdout_lines if 'created the system user' in line)
            user_id = re.search(r'\(id ([0-9a-f]{16})\)', created).group(1)
            # The command it prints works as printed, from anywhere.
            hint = next(line for line in gw.stdout_lines if line.startswith('ostor-gateway: to show them again: '))
            command = shlex.split(hint.split(': ', 2)[2])
            self.assertEqual(command[1:], ['query-user-info', '-e', SYSTEM_EMAIL, '--data', gw.data_dir])
            self.assertEqual(os.path.realpath(command[0]), os.path.realpath(cli_path()))
            out = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd='/')
            self.assertEqual(out.returncode, 0, out)
            # The guide's format (its "Key pair" line wraps only in print).
            self.assertEqual(out.stdout,
                             f'Query user: user id={user_id}, user email={SYSTEM_EMAIL}\n'
                             f'Key pair[0]: access key id={gw.access_key}, secret access key={gw.secret_key}\n')
        finally:
            gw.stop()


if __name__ == '__main__':
    main()
