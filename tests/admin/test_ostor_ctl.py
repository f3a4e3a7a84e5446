#!/usr/bin/env python3
"""ostor-ctl, as the vendor guide runs it before the admin CLI (000_*.txt:
"obtain the volume ID with the `ostor-ctl get-config` command", and
`ostor-ctl add-acc -V <vol> -s <path>` before setting quotas).

  * get-config prints the guide's volume table, the header as the guide
    prints it and one row for a local volume: its id, OBJ, READY; the id is
    the one ostor-s3-admin's -V accepts;
  * -n naming this machine (loopback, its host name) works; naming another
    machine is refused with a message, nothing on stdout;
  * add-acc -V <the volume> -s <its directory> says accounting is on; a
    wrong -V, a missing -V, a path that is no volume are refused (non-zero,
    a message on stderr, nothing on stdout) and change nothing.

Real processes on a temporary data directory made by the engine.
Environment: OSTOR_CTL, OSTOR_CLI, OSTOR_CREATE_USER (default to build/).
"""

import os
import re
import socket
import subprocess
import tempfile
import unittest

from admin_common import REPO, cli_path, volume_id

HEADER = 'VOL_ID          TYPE      STATE'  # as in the guide's first example
ROW = re.compile(r'^([0-9a-f]{16})  OBJ      READY$')  # as in its third


def ctl_path():
    return os.environ.get('OSTOR_CTL') or os.path.join(REPO, 'build', 'cli', 'ostor-ctl')


def create_user_path():
    return os.environ.get('OSTOR_CREATE_USER') or os.path.join(REPO, 'build', 'tests', 'create-user-for-tests')


def run(*args, env=None):
    return subprocess.run([ctl_path(), *args], capture_output=True, text=True, timeout=60, env=env)


def tree(path):
    return sorted((d, sorted(f)) for d, _, f in os.walk(path))


class OstorCtlTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = os.path.join(cls.tmp.name, 'volume')
        subprocess.run([create_user_path(), cls.data, 'user@example.com'], check=True, capture_output=True,
                       timeout=60)
        cls.volume = volume_id(cls.data)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assertRefused(self, p, message):
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout, '')
        self.assertIn(message, p.stderr)

    def test_get_config_prints_the_volume_table(self):
        p = run('get-config', '-n', '127.0.0.1', '--data', self.data)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], HEADER)
        self.assertEqual(len(lines), 2, p.stdout)
        row = ROW.match(lines[1])
        self.assertIsNotNone(row, lines[1])
        self.assertEqual(row.group(1), self.volume)

    def test_the_volume_id_is_the_one_the_admin_cli_takes(self):
        vol = ROW.match(run('get-config', '--data', self.data).stdout.splitlines()[1]).group(1)
        p = subprocess.run([cli_path(), 'query-users', '-V', vol, '--data', self.data], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('user@example.com', p.stdout)

    def test_data_comes_from_OSTOR_DATA_and_node_may_be_this_host(self):
        env = dict(os.environ, OSTOR_DATA=self.data)
        for node in ('localhost', socket.gethostname(), socket.gethostname().upper(), '127.0.1.1'):
            p = run('get-config', '-n', node, env=env)
            self.assertEqual(p.returncode, 0, node + ': ' + p.stderr)
            self.assertRegex(p.stdout.splitlines()[1], ROW)

    def test_another_node_is_refused(self):
        p = run('get-config', '-n', '192.0.2.1', '--data', self.data)  # TEST-NET-1: never this machine
        self.assertRefused(p, 'node 192.0.2.1 is not this machine')

    def test_add_acc_reports_accounting_on(self):
        before = tree(self.data)
        p = run('add-acc', '-V', self.volume, '-s', self.data)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, f'Accounting is on for volume {self.volume} ({self.data}).\n')
        self.assertEqual(tree(self.data), before)

    def test_add_acc_refusals(self):
        before = tree(self.data)
        self.assertRefused(run('add-acc', '-V', '0100000000000002', '-s', self.data),
                           f'volume 0100000000000002 is not the volume of {self.data}')
        self.assertRefused(run('add-acc', '-s', self.data), 'add-acc needs -V VOL_ID')
        missing = os.path.join(self.tmp.name, 'missing')
        self.assertRefused(run('add-acc', '-V', self.volume, '-s', missing), 'not an ostor data directory')
        self.assertFalse(os.path.exists(missing))
        self.assertEqual(tree(self.data), before)

    def test_a_volume_whose_id_file_is_not_its_metadatas_is_reported_as_such(self):
        copy = os.path.join(self.tmp.name, 'copy')
        subprocess.run(['cp', '-a', self.data, copy], check=True)
        other = '0123456789abcdef'
        with open(os.path.join(copy, 'volume.id'), 'w') as f:
            f.write(other + '\n')
        p = run('get-config', '--data', copy)
        self.assertRefused(p, 'metadata belongs to volume ' + self.volume)
        self.assertNotIn('is not the volume of', p.stderr)

    def test_usage_errors(self):
        self.assertRefused(run('frobnicate'), "unknown command 'frobnicate'")
        self.assertRefused(run('get-config', '-x', '--data', self.data), 'unknown option -x')
        self.assertRefused(run('get-config', '-V', self.volume, '--data', self.data), 'get-config takes only -n NODE')
        self.assertEqual(run('--help').returncode, 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
