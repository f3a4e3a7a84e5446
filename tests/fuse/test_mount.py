"""Mount hygiene of ostor-fuse: foreground (-f) and daemon modes mount,
`fusermount3 -u` unmounts and the process exits 0, the mount(8)/fstab forms
work, a bad data directory fails with a message and mounts nothing, a mount
point holding files is refused unless -o nonempty, a second mount where the
tree is already mounted is refused (in every form, with the exit status
saying so), and the tree is usable by root only unless -o allow_other (and
even then the modes of its files hold: secrets stay 0600, root's files stay
root's)."""

import os
import signal
import subprocess
import tempfile
import shutil
import unittest

import fuse_common
from fuse_common import (NOBODY, Gateway, Mount, fuse_path, fuse_pids_for, is_mounted, mount_entry, pid_alive,
                         require_dev_fuse, sh, wait_until)

# A refused mount returns at once; a foreground mount that was made does not return.
REFUSAL_TIMEOUT_S = 10
KEPT_NAME, KEPT_TEXT = 'keep.txt', 'the admin\'s own file\n'


def mounts_at(path):
    """How many mounts are stacked at `path` (/proc/mounts)."""
    path = os.path.realpath(path)
    with open('/proc/mounts') as f:
        return sum(1 for line in f if len(line.split()) > 1 and line.split()[1] == path)


def unmount_all(path):
    """Cleanup after a failed test: lazily unmounts every mount stacked at `path`."""
    for _ in range(5):
        if not is_mounted(path):
            return
        subprocess.run(['fusermount3', '-u', '-z', path], capture_output=True, timeout=30)


class MountTest(unittest.TestCase):
    """One gateway's data directory; each test mounts (and unmounts) its own tree."""

    gw = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_dev_fuse()
        cls.gw = Gateway().start()
        cls.addClassCleanup(cls._stop_gateway)
        cls.email = f'mnt-{os.urandom(4).hex()}@example.com'
        out = subprocess.run([fuse_common.cli_path(), 'create-user', '-e', cls.email, '--data', cls.gw.data_dir],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f'create-user: {out.stderr}')

    @classmethod
    def _stop_gateway(cls):
        gw, cls.gw = cls.gw, None
        if gw is not None:
            gw.stop()

    def mount(self, extra_args=(), foreground=True):
        m = Mount(self.gw.data_dir, extra_args, foreground=foreground)
        self.addCleanup(m.cleanup)  # after a failed test: unmount whatever happened
        return m.start()

    def empty_dir(self):
        d = tempfile.mkdtemp(prefix='ostor-fuse-test-')
        os.chmod(d, 0o755)
        self.addCleanup(shutil.rmtree, d, True)
        self.addCleanup(fuse_common.force_unmount, d)
        return d

    def run_fuse(self, *args, timeout=30):
        return subprocess.run([fuse_path(), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def run_refused(self, argv):
        """Runs a mount command that must be refused: a foreground ostor-fuse
        that mounted would not return, so a timeout is a mount that was made."""
        try:
            out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 timeout=REFUSAL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.fail(f'{argv} mounted (still running after {REFUSAL_TIMEOUT_S}s) instead of refusing')
        self.assertNotEqual(out.returncode, 0, f'{argv} succeeded; stderr: {out.stderr}')
        return out

    def nonempty_dir(self):
        d = self.empty_dir()
        self.addCleanup(unmount_all, d)
        with open(os.path.join(d, KEPT_NAME), 'w') as f:
            f.write(KEPT_TEXT)
        return d

    def assert_kept(self, d):
        self.assertEqual(os.listdir(d), [KEPT_NAME])
        with open(os.path.join(d, KEPT_NAME)) as f:
            self.assertEqual(f.read(), KEPT_TEXT)

    # ---- modes -----------------------------------------------------------------------
    def test_foreground_mode_mounts_and_fusermount_u_makes_it_exit_0(self):
        m = self.mount()
        self.assertIsNone(m.proc.poll(), 'ostor-fuse -f returned while mounted')
        self.assertEqual(subprocess.run(['mountpoint', '-q', m.path]).returncode, 0)
        entry = mount_entry(m.path)
        self.assertEqual(entry[2], 'fuse.ostor', entry)
        self.assertIn('README', os.listdir(m.path))
        path = m.path
        m.stop()  # fusermount3 -u; asserts the exit status 0
        self.assertEqual(m.exit_status, 0)
        self.assertFalse(is_mounted(path))

    def test_daemon_mode_returns_at_once_mounted_and_the_daemon_exits_after_fusermount_u(self):
        m = self.mount(foreground=False)
        self.assertTrue(is_mounted(m.path))
        self.assertTrue(pid_alive(m.daemon_pid))
        self.assertEqual(sh(f'cat users/{self.email}/state', cwd=m.path).stdout, 'enabled\n')
        pid, path = m.daemon_pid, m.path
        rc, err = fuse_common.unmount(path)
        self.assertEqual(rc, 0, err)
        self.assertTrue(wait_until(lambda: not pid_alive(pid), 15), 'the daemon is still running after fusermount3 -u')
        self.assertFalse(is_mounted(path))
        m.stop()

    def test_sigterm_to_the_foreground_process_unmounts_and_exits_0(self):
        m = self.mount()
        m.proc.send_signal(signal.SIGTERM)
        status = m.proc.wait(timeout=15)
        self.assertFalse(is_mounted(m.path), 'still mounted after SIGTERM')
        self.assertEqual(status, 0, f'ostor-fuse -f exited {status} after SIGTERM; stderr: {m.stderr_text()}')
        m.stop()

    def test_mount8_argument_form_data_dir_mountpoint_dash_o_mounts(self):
        mnt = self.empty_dir()
        out = self.run_fuse(self.gw.data_dir, mnt, '-o', 'defaults,noauto,_netdev')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(is_mounted(mnt))
        pids = fuse_pids_for(mnt)
        self.assertEqual(len(pids), 1)
        self.assertIn(self.email, os.listdir(os.path.join(mnt, 'users')))
        rc, err = fuse_common.unmount(mnt)
        self.assertEqual(rc, 0, err)
        self.assertTrue(wait_until(lambda: not pid_alive(pids[0]), 15))

    def test_mount_t_fuse_as_from_fstab_mounts(self):
        mnt = self.empty_dir()
        out = subprocess.run(['mount', '-t', 'fuse', f'{fuse_path()}#{self.gw.data_dir}', mnt, '-o', 'defaults'],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(is_mounted(mnt))
        pids = fuse_pids_for(mnt)
        self.assertIn(self.email, os.listdir(os.path.join(mnt, 'users')))
        rc, err = fuse_common.unmount(mnt)
        self.assertEqual(rc, 0, err)
        self.assertTrue(all(wait_until(lambda: not pid_alive(p), 15) for p in pids))

    # ---- refusals ----------------------------------------------------------------------
    def check_bad_data_dir(self, data, expect_in_message):
        for foreground in (True, False):
            with self.subTest(foreground=foreground):
                mnt = self.empty_dir()
                args = ['--data', data, mnt] + (['-f'] if foreground else [])
                out = self.run_fuse(*args)
                self.assertNotEqual(out.returncode, 0, out.stderr)
                self.assertTrue(out.stderr.startswith('ostor-fuse: '), out.stderr)
                self.assertIn(expect_in_message, out.stderr)
                self.assertFalse(is_mounted(mnt))
                self.assertEqual(fuse_pids_for(mnt), [])

    def test_a_missing_data_directory_fails_with_a_message_and_mounts_nothing(self):
        missing = os.path.join(self.empty_dir(), 'no-such-data')
        self.check_bad_data_dir(missing, '')
        self.assertFalse(os.path.exists(missing), 'ostor-fuse created the missing data directory')

    def test_a_directory_that_is_not_a_data_directory_fails_and_is_left_untouched(self):
        not_data = self.empty_dir()
        self.check_bad_data_dir(not_data, '')
        self.assertEqual(os.listdir(not_data), [], 'ostor-fuse wrote into a directory that is not a data directory')

    def test_no_data_option_prints_the_usage_and_fails(self):
        mnt = self.empty_dir()
        out = self.run_fuse(mnt)
        self.assertEqual(out.returncode, 2)
        self.assertIn('--data DIR is required', out.stderr)
        self.assertIn('usage: ostor-fuse', out.stderr)
        self.assertFalse(is_mounted(mnt))

    def test_a_missing_mountpoint_fails_and_mounts_nothing(self):
        mnt = os.path.join(self.empty_dir(), 'no-such-mountpoint')
        out = self.run_fuse('--data', self.gw.data_dir, mnt, '-f')
        self.assertNotEqual(out.returncode, 0)
        self.assertNotEqual(out.stderr.strip(), '')
        self.assertFalse(is_mounted(mnt))

    # ---- the mount point ---------------------------------------------------------------
    def test_a_mount_point_holding_files_is_refused_with_a_message_and_mounts_nothing(self):
        for foreground in (True, False):
            with self.subTest(foreground=foreground):
                mnt = self.nonempty_dir()
                out = self.run_refused([fuse_path(), '--data', self.gw.data_dir, mnt] + (['-f'] if foreground else []))
                self.assertTrue(out.stderr.startswith('ostor-fuse: '), out.stderr)
                self.assertIn('not empty', out.stderr)
                self.assertIn('-o nonempty', out.stderr)
                self.assertFalse(is_mounted(mnt))
                self.assertEqual(fuse_pids_for(mnt), [])
                self.assert_kept(mnt)

    def test_o_nonempty_mounts_over_files_that_come_back_after_unmounting(self):
        for foreground, options in ((True, 'nonempty'), (False, 'allow_other,nonempty')):
            with self.subTest(foreground=foreground, options=options):
                m = Mount(self.gw.data_dir, ['-o', options], foreground=foreground)
                self.addCleanup(m.cleanup)
                with open(os.path.join(m.path, KEPT_NAME), 'w') as f:
                    f.write(KEPT_TEXT)
                m.start()
                self.assertIn('README', os.listdir(m.path))
                self.assertNotIn(KEPT_NAME, os.listdir(m.path))
                self.assertEqual(sh(f'cat users/{self.email}/state', cwd=m.path).stdout, 'enabled\n')
                rc, err = fuse_common.unmount(m.path)
                self.assertEqual(rc, 0, err)
                self.assert_kept(m.path)
                m.stop()  # the process exits 0

    def test_the_mount8_forms_refuse_a_mount_point_holding_files_and_take_nonempty(self):
        mnt = self.nonempty_dir()
        out = self.run_refused([fuse_path(), self.gw.data_dir, mnt, '-o', 'defaults'])
        self.assertIn('not empty', out.stderr)
        out = self.run_refused(['mount', '-t', 'fuse', f'{fuse_path()}#{self.gw.data_dir}', mnt, '-o', 'defaults'])
        self.assertIn('not empty', out.stderr)
        self.assertFalse(is_mounted(mnt))
        self.assert_kept(mnt)
        for argv in ([fuse_path(), self.gw.data_dir, mnt, '-o', 'defaults,nonempty'],
                     ['mount', '-t', 'fuse', f'{fuse_path()}#{self.gw.data_dir}', mnt, '-o', 'nonempty']):
            with self.subTest(argv=argv):
                out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn(self.email, os.listdir(os.path.join(mnt, 'users')))
                pids = fuse_pids_for(mnt)
                rc, err = fuse_common.unmount(mnt)
                self.assertEqual(rc, 0, err)
                self.assertTrue(all(wait_until(lambda: not pid_alive(p), 15) for p in pids))
                self.assert_kept(mnt)

    def check_second_mount_refused(self, m, argv):
        pids = fuse_pids_for(m.path)
        out = self.run_refused(argv)
        self.assertIn('already mounted', out.stderr)
        self.assertIn(f'fusermount3 -u {m.path}', out.stderr)
        self.assertEqual(mounts_at(m.path), 1, 'a second tree is mounted over the first')
        self.assertEqual(sorted(fuse_pids_for(m.path)), sorted(pids))
        self.assertEqual(sh(f'cat users/{self.email}/state', cwd=m.path).stdout, 'enabled\n')

    def test_a_second_mount_where_the_tree_is_mounted_is_refused_and_the_first_keeps_serving(self):
        m = self.mount()
        self.addCleanup(unmount_all, m.path)
        for args in (['-f'], [], ['-o', 'nonempty', '-f'], ['-o', 'nonempty']):
            with self.subTest(args=args):
                self.check_second_mount_refused(m, [fuse_path(), '--data', self.gw.data_dir, m.path] + args)
        m.stop()

    def test_a_second_mount_in_the_mount8_forms_is_refused(self):
        m = self.mount(foreground=False)
        self.addCleanup(unmount_all, m.path)
        for argv in ([fuse_path(), self.gw.data_dir, m.path, '-o', 'defaults,nonempty'],
                     ['mount', '-t', 'fuse', f'{fuse_path()}#{self.gw.data_dir}', m.path, '-o', 'nonempty']):
            with self.subTest(argv=argv):
                self.check_second_mount_refused(m, argv)
        m.stop()

    def test_a_mount_point_whose_tree_process_died_is_refused_with_how_to_clear_it(self):
        m = self.mount()
        self.addCleanup(unmount_all, m.path)
        m.proc.kill()
        m.proc.wait(timeout=15)
        self.assertTrue(is_mounted(m.path), 'the kernel dropped the dead mount: nothing to test')
        out = self.run_refused([fuse_path(), '--data', self.gw.data_dir, m.path, '-f'])
        self.assertIn('Transport endpoint is not connected', out.stderr)
        self.assertIn(f'fusermount3 -u {m.path}', out.stderr)
        self.assertEqual(mounts_at(m.path), 1)
        m.cleanup()

    # ---- other users -------------------------------------------------------------------
    def test_another_uid_is_refused_the_mount_without_allow_other(self):
        m = self.mount()
        # The mount point's own directory is open to everyone: a refusal comes from the mount.
        self.assertEqual(sh(f'ls {os.path.dirname(m.path)}', user=NOBODY).returncode, 0)
        for cmd in (f'ls {m.path}', f'cat {m.path}/README', f'cat {m.path}/users/{self.email}/keys'):
            with self.subTest(cmd=cmd):
                out = sh(cmd, user=NOBODY)
                self.assertNotEqual(out.returncode, 0, out.stdout)
                self.assertIn('Permission denied', out.stderr)
        m.stop()

    def test_allow_other_lets_another_uid_list_the_tree_and_read_public_files(self):
        m = self.mount(['-o', 'allow_other'])
        self.assertIn('allow_other', mount_entry(m.path)[3])
        out = sh(f'ls {m.path}/users && cat {m.path}/README', user=NOBODY)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(self.email, out.stdout.split())
        m.stop()

    def test_allow_other_keeps_the_0600_secret_files_from_another_uid(self):
        m = self.mount(['-o', 'allow_other'])
        for name in ('keys', 'info'):
            with self.subTest(name=name):
                out = sh(f'cat {m.path}/users/{self.email}/{name}', user=NOBODY)
                self.assertNotEqual(out.returncode, 0, f'uid {NOBODY} read the 0600 file {name}: {out.stdout!r}')
                self.assertIn('Permission denied', out.stderr)
        m.stop()

    def test_allow_other_does_not_let_another_uid_change_anything(self):
        m = self.mount(['-o', 'allow_other'])
        u = f'{m.path}/users/{self.email}'
        victim_email = f'victim-{os.urandom(3).hex()}@example.com'
        self.assertEqual(sh(f'mkdir {m.path}/users/{victim_email}').returncode, 0)
        victim = f'{m.path}/users/{victim_email}'
        intruder = f'intruder-{os.urandom(3).hex()}@example.com'
        for cmd in (f'echo disabled > {u}/state', f'echo "ops:get=1" > {u}/limits', f'echo gen > {u}/keys',
                    f'echo 1 > {u}/quota', f'mkdir {m.path}/users/{intruder}', f'rmdir {victim}'):
            with self.subTest(cmd=cmd):
                out = sh(cmd, user=NOBODY)
                self.assertNotEqual(out.returncode, 0, f'uid {NOBODY} could run `{cmd}`')
                self.assertIn('Permission denied', out.stderr)
        # Whatever the answers, root sees the user as it was, and no intruder.
        state = sh(f'cat {u}/state').stdout
        users = os.listdir(f'{m.path}/users')
        keys = sh(f'cat {u}/keys').stdout.splitlines()
        limits = sh(f'cat {u}/limits').stdout
        if intruder in users:
            sh(f'rmdir {m.path}/users/{intruder}')
        if victim_email in users:
            sh(f'rmdir {victim}')
        sh(f'echo enabled > {u}/state; : > {u}/limits; : > {u}/quota')
        if len(keys) > 1:
            sh(f'echo "revoke {keys[1].split()[0]}" > {u}/keys')
        self.assertEqual(state, 'enabled\n')
        self.assertNotIn(intruder, users)
        self.assertIn(victim_email, users)
        self.assertEqual(len(keys), 1)
        self.assertEqual(limits, fuse_common.NO_LIMITS)
        m.stop()


if __name__ == '__main__':
    fuse_common.main()
