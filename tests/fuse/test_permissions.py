"""File modes of the tree and its refusals: writes to read-only files are
"Permission denied" and change nothing, new files cannot be created, the
tree's files cannot be removed, renamed or chmod-ed."""

import fuse_common
from fuse_common import FuseTestCase


class ModesTest(FuseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.email = f'modes-{fuse_common.os.urandom(4).hex()}@example.com'
        fuse_common.sh(f'mkdir users/{cls.email} && mkdir users/{cls.email}/accounts/acct', cwd=cls.mnt)

    def setUp(self):
        self.u = f'users/{self.email}'
        self.assertIn(self.email, self.ok('ls users').split())

    def test_keys_is_mode_0600(self):
        self.assertEqual(self.mode(f'{self.u}/keys'), '600')

    def test_info_is_mode_0600(self):
        self.assertEqual(self.mode(f'{self.u}/info'), '600')

    def test_account_keys_and_info_are_mode_0600(self):
        self.assertEqual(self.mode(f'{self.u}/accounts/acct/keys'), '600')
        self.assertEqual(self.mode(f'{self.u}/accounts/acct/info'), '600')

    def test_id_is_mode_0444(self):
        self.assertEqual(self.mode(f'{self.u}/id'), '444')

    def test_limits_is_mode_0644(self):
        self.assertEqual(self.mode(f'{self.u}/limits'), '644')

    def test_state_and_quota_are_mode_0644(self):
        self.assertEqual(self.mode(f'{self.u}/state'), '644')
        self.assertEqual(self.mode(f'{self.u}/quota'), '644')

    def test_buckets_file_and_readme_are_mode_0444(self):
        self.assertEqual(self.mode(f'{self.u}/buckets'), '444')
        self.assertEqual(self.mode('README'), '444')

    def test_bucket_files_modes(self):
        bucket = self.new_bucket_of(self.email)
        names = ('owner', 'size', 'versioning', 'object-lock', 'limits', 'quota')
        got = {name: self.mode(f'buckets/{bucket}/{name}') for name in names}
        self.assertEqual(got, {'owner': '444', 'size': '444', 'versioning': '444', 'object-lock': '444',
                               'limits': '644', 'quota': '644'})

    def test_default_quota_files_are_mode_0644(self):
        self.assertEqual(self.mode('quotas/default-user'), '644')
        self.assertEqual(self.mode('quotas/default-bucket'), '644')

    def test_directories_are_mode_0755_and_owned_by_root(self):
        for d in ('.', 'users', self.u, f'{self.u}/accounts', f'{self.u}/accounts/acct', 'buckets', 'quotas', 'usage'):
            with self.subTest(d=d):
                self.assertEqual(self.ok(f'stat -c "%F %a %u" {d}').strip(), 'directory 755 0')

    def test_files_are_regular_files_owned_by_root(self):
        for f in ('README', f'{self.u}/id', f'{self.u}/keys', f'{self.u}/limits'):
            with self.subTest(f=f):
                self.assertEqual(self.ok(f'stat -c "%F %u %g" {f}').strip(), 'regular file 0 0')

    def test_stat_size_is_the_length_of_the_contents(self):
        for f in ('README', f'{self.u}/id', f'{self.u}/info', f'{self.u}/keys', f'{self.u}/limits',
                  f'{self.u}/state'):
            with self.subTest(f=f):
                self.assertEqual(int(self.ok(f'stat -c %s {f}')), len(self.cat(f).encode()))


class ReadOnlyFilesTest(FuseTestCase):

    def read_only_files(self):
        email = self.new_user('ro')
        bucket = self.new_bucket_of(email)
        return [f'users/{email}/id', f'users/{email}/info', f'users/{email}/buckets',
                f'buckets/{bucket}/owner', f'buckets/{bucket}/size', f'buckets/{bucket}/versioning',
                f'buckets/{bucket}/object-lock', 'README']

    def check_refused(self, command_of, message='Permission denied'):
        for path in self.read_only_files():
            with self.subTest(path=path):
                before = self.cat(path)
                self.fails(command_of(path), message)
                self.assertEqual(self.cat(path), before)

    def test_echo_to_a_read_only_file_is_permission_denied_and_changes_nothing(self):
        self.check_refused(lambda p: f'echo x > {p}')

    def test_appending_to_a_read_only_file_is_permission_denied_and_changes_nothing(self):
        self.check_refused(lambda p: f'echo x >> {p}')

    def test_truncating_a_read_only_file_is_permission_denied_and_changes_nothing(self):
        self.check_refused(lambda p: f': > {p}')
        self.check_refused(lambda p: f'truncate -s 0 {p}')

    def test_rm_of_a_tree_file_is_refused_and_the_file_stays(self):
        email = self.new_user('rm')
        for name in ('id', 'keys', 'limits', 'state'):
            with self.subTest(name=name):
                before = self.cat(f'users/{email}/{name}')
                self.fails(f'rm -f users/{email}/{name}', 'Operation not permitted')
                self.assertEqual(self.cat(f'users/{email}/{name}'), before)
        self.fails('rm -f README', 'Operation not permitted')
        self.assertIn('README', self.ok('ls').split())

    def test_chmod_of_a_secret_file_is_refused_and_its_mode_stays_0600(self):
        email = self.new_user('chmod')
        self.fails(f'chmod 644 users/{email}/keys', 'Operation not permitted')
        self.assertEqual(self.mode(f'users/{email}/keys'), '600')

    def test_mv_in_the_tree_is_refused(self):
        email = self.new_user('mv')
        other = self.new_email('mv')
        self.fails(f'mv users/{email} users/{other}', 'Operation not permitted')
        self.assertIn(email, self.ok('ls users').split())
        self.assertNotIn(other, self.ok('ls users').split())

    def test_rmdir_of_fixed_directories_is_refused(self):
        for d in ('users', 'buckets', 'quotas', 'usage'):
            with self.subTest(d=d):
                self.fails(f'rmdir {d}', None)
                self.assertIn(d, self.ok('ls').split())


class NewFilesTest(FuseTestCase):

    def test_echo_to_a_new_file_in_a_user_directory_is_refused(self):
        email = self.new_user('new')
        self.fails(f'echo x > users/{email}/notes', 'Permission denied')
        self.assertNotIn('notes', self.ok(f'ls users/{email}').split())

    def test_touch_of_a_new_file_is_refused(self):
        email = self.new_user('new')
        self.fails(f'touch users/{email}/notes', 'Permission denied')
        self.fails('touch new-file-at-the-root', 'Permission denied')
        self.assertNotIn('new-file-at-the-root', self.ok('ls').split())

    def test_a_new_file_in_users_or_buckets_is_refused_and_creates_nothing(self):
        self.fails('echo x > users/file-not-dir@example.com', 'Permission denied')
        self.assertNotIn('file-not-dir@example.com', self.ok('ls users').split())
        self.fails('echo x > buckets/not-a-bucket', 'Permission denied')
        self.assertNotIn('not-a-bucket', self.ok('ls buckets').split())

    def test_touch_of_an_existing_file_changes_nothing(self):
        email = self.new_user('touch')
        before = self.cat(f'users/{email}/limits')
        self.ok(f'touch users/{email}/limits')
        self.assertEqual(self.cat(f'users/{email}/limits'), before)

    def test_mkdir_at_the_root_is_refused(self):
        self.fails('mkdir extra', 'Operation not permitted')
        self.assertNotIn('extra', self.ok('ls').split())


if __name__ == '__main__':
    fuse_common.main()
