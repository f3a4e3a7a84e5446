"""users/ of the admin tree: mkdir/rmdir users, and each user's id, info,
state, keys, buckets and accounts/, driven with shell commands."""

import os
import re
import unittest

import fuse_common
from fuse_common import FuseTestCase, USER_ID_RE, json_ordered, q  # noqa: F401


class UsersDirTest(FuseTestCase):
    """mkdir / rmdir / ls of users/."""

    def cli_emails(self):
        out = self.cli('query-users').stdout
        return set(re.findall(r'[^\s,]+@[^\s,]+', out))

    def test_ls_of_the_tree_root_shows_readme_users_buckets_quotas_usage(self):
        self.assertEqual(sorted(self.ok('ls').split()), ['README', 'buckets', 'quotas', 'usage', 'users'])

    def test_readme_exists_and_describes_the_tree(self):
        text = self.cat('README')
        for name in ('users/', 'keys', 'limits', 'quota', 'buckets/', 'quotas/default-user', 'usage/'):
            self.assertIn(name, text)

    def test_ls_users_lists_the_system_user_the_gateway_created(self):
        self.assertIn('admin@localhost', self.ok('ls users').split())

    def test_mkdir_users_email_creates_a_user_seen_by_the_cli_query_users(self):
        email = self.new_email('mk')
        self.assertNotIn(email, self.cli_emails())
        self.ok(f'mkdir users/{email}')
        self.assertIn(email, self.cli_emails())
        self.assertIn(email, self.ok('ls users').split())
        info = self.cli('query-user-info', '-e', email).stdout
        self.assertIn(email, info)

    def test_mkdir_users_gives_the_new_user_one_key_pair(self):
        email = self.new_user('mkkey')
        self.assertEqual(len(self.keys_of(email)), 1)

    def test_mkdir_users_with_an_invalid_email_is_invalid_argument_and_creates_nothing(self):
        before = self.ok('ls users')
        for bad in ('not-an-email', 'two@@example.com', '@example.com'):
            with self.subTest(bad=bad):
                self.fails(f'mkdir users/{q(bad)}', 'Invalid argument')
        self.assertEqual(self.ok('ls users'), before)
        self.assertEqual(self.cli_emails() & {'not-an-email', 'two@@example.com', '@example.com'}, set())

    def test_mkdir_users_of_an_existing_user_is_file_exists_and_keeps_its_keys(self):
        email = self.new_user('dup')
        keys = self.cat(f'users/{email}/keys')
        self.fails(f'mkdir users/{email}', 'File exists')
        self.assertEqual(self.cat(f'users/{email}/keys'), keys)

    def test_rmdir_users_email_deletes_the_user(self):
        email = self.new_user('rm')
        self.ok(f'rmdir users/{email}')
        self.assertNotIn(email, self.ok('ls users').split())
        self.assertNotIn(email, self.cli_emails())
        self.assertNotEqual(self.cli('query-user-info', '-e', email, check=False).returncode, 0)
        self.fails(f'ls users/{email}', 'No such file or directory')

    def test_rmdir_of_a_user_owning_a_bucket_is_directory_not_empty_and_keeps_the_user(self):
        email = self.new_user('owner')
        bucket = self.new_bucket_of(email)
        self.fails(f'rmdir users/{email}', 'Directory not empty')
        self.assertIn(email, self.ok('ls users').split())
        self.assertIn(email, self.cli_emails())
        self.assertEqual(self.cat(f'users/{email}/buckets'), bucket + '\n')
        # Once the bucket is gone the user can go.
        self.client_of(email).delete_bucket(Bucket=bucket)
        self.ok(f'rmdir users/{email}')
        self.assertNotIn(email, self.cli_emails())

    def test_rmdir_of_an_unknown_user_is_no_such_file(self):
        self.fails('rmdir users/nobody-here@example.com', 'No such file or directory')

    def test_files_of_an_unknown_user_are_no_such_file(self):
        for name in ('id', 'info', 'state', 'keys', 'limits', 'quota', 'buckets'):
            with self.subTest(name=name):
                self.fails(f'cat users/nobody-here@example.com/{name}', 'No such file or directory')
        self.fails('echo disabled > users/nobody-here@example.com/state', 'No such file or directory')

    def test_cat_of_a_directory_and_echo_into_one_are_refused(self):
        email = self.new_user('dir')
        self.fails(f'cat users/{email}', 'Is a directory')
        self.fails(f'echo x > users/{email}', 'Is a directory')
        self.fails('cat users', 'Is a directory')

    def test_ls_of_a_user_shows_its_files(self):
        email = self.new_user('ls')
        self.assertEqual(sorted(self.ok(f'ls users/{email}').split()),
                         ['accounts', 'buckets', 'id', 'info', 'keys', 'limits', 'quota', 'state'])

    def test_mkdir_inside_a_user_directory_is_refused(self):
        email = self.new_user('mkin')
        self.fails(f'mkdir users/{email}/extra', 'Operation not permitted')
        self.assertNotIn('extra', self.ok(f'ls users/{email}').split())


class UserFilesTest(FuseTestCase):
    """id, info, state, keys and buckets of users/<email>/."""

    def rest_user(self, email):
        return self.rest_json(fuse_common.harness.query({'ostor-users': None, 'emailAddress': email}))

    # ---- id --------------------------------------------------------------------------
    def test_id_is_the_16_hex_user_id_the_cli_shows(self):
        email = self.new_user('id')
        text = self.cat(f'users/{email}/id')
        self.assertTrue(text.endswith('\n'), repr(text))
        user_id = text.strip()
        self.assertRegex(user_id, USER_ID_RE)
        self.assertIn(user_id, self.cli('query-user-info', '-e', email).stdout)
        self.assertEqual(self.rest_user(email)['UserId'], user_id)

    # ---- info ------------------------------------------------------------------------
    def test_info_is_the_json_of_the_rest_query_user(self):
        email = self.new_user('info')
        self.ok(f'echo gen > users/{email}/keys')
        self.ok(f'mkdir users/{email}/accounts/acct1')
        text = self.cat(f'users/{email}/info')
        doc = json_ordered(text)
        rest = self.rest_user(email)
        self.assertEqual(list(doc), list(rest))
        self.assertEqual(doc, rest)
        self.assertEqual(doc['UserEmail'], email)
        self.assertEqual(len(doc['AWSAccessKeys']), 2)

    # ---- state -----------------------------------------------------------------------
    def test_state_of_a_new_user_reads_enabled(self):
        email = self.new_user('st')
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')

    def test_echo_disabled_to_state_disables_the_user_and_enabled_enables_it(self):
        email = self.new_user('st')
        self.ok(f'echo disabled > users/{email}/state')
        self.assertEqual(self.cat(f'users/{email}/state'), 'disabled\n')
        self.assertEqual(self.rest_user(email)['State'], 'disabled')
        self.ok(f'echo enabled > users/{email}/state')
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')
        self.assertEqual(self.rest_user(email)['State'], 'enabled')

    def test_a_bad_word_to_state_is_invalid_argument_and_changes_nothing(self):
        email = self.new_user('st')
        self.ok(f'echo disabled > users/{email}/state')
        for bad in ('sleeping', 'Enabled', 'enabled disabled', 'enabled\ndisabled', '1'):
            with self.subTest(bad=bad):
                self.fails(self.heredoc(f'users/{email}/state', bad), 'Invalid argument')
                self.assertEqual(self.cat(f'users/{email}/state'), 'disabled\n')
        self.assertEqual(self.rest_user(email)['State'], 'disabled')

    def test_emptying_state_changes_nothing(self):
        email = self.new_user('st')
        self.sh(f': > users/{email}/state')
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')

    # ---- keys ------------------------------------------------------------------------
    def test_keys_are_access_key_id_and_secret_lines_matching_the_rest_api(self):
        email = self.new_user('k')
        pairs = self.keys_of(email)
        self.assertEqual(len(pairs), 1)
        user_id = self.cat(f'users/{email}/id').strip()
        self.assertTrue(pairs[0][0].startswith(user_id))
        rest = [(k['AWSAccessKeyId'], k['AWSSecretAccessKey']) for k in self.rest_user(email)['AWSAccessKeys']]
        self.assertEqual(pairs, rest)

    def test_echo_gen_to_keys_adds_a_second_pair_that_authenticates_at_the_gateway(self):
        email = self.new_user('k')
        first = self.keys_of(email)
        self.ok(f'echo gen > users/{email}/keys')
        pairs = self.keys_of(email)
        self.assertEqual(len(pairs), 2)
        self.assertEqual(pairs[0], first[0])
        self.assertNotEqual(pairs[1], first[0])
        s3 = self.gw.client(credentials=fuse_common.Credentials(*pairs[1]))
        s3.list_buckets()

    def test_a_third_key_pair_is_refused_and_the_keys_stay_the_same(self):
        email = self.new_user('k')
        self.ok(f'echo gen > users/{email}/keys')
        before = self.cat(f'users/{email}/keys')
        err = self.fails(f'echo gen > users/{email}/keys', None)
        self.assertIn('write error', err)
        self.assertEqual(self.cat(f'users/{email}/keys'), before)
        self.assertEqual(len(self.rest_user(email)['AWSAccessKeys']), 2)

    def test_echo_revoke_id_to_keys_revokes_that_pair(self):
        email = self.new_user('k')
        self.ok(f'echo gen > users/{email}/keys')
        (old_id, old_secret), (new_id, new_secret) = self.keys_of(email)
        self.ok(f'echo "revoke {old_id}" > users/{email}/keys')
        self.assertEqual(self.keys_of(email), [(new_id, new_secret)])
        old = self.gw.client(credentials=fuse_common.Credentials(old_id, old_secret))
        with self.assertRaises(fuse_common.ClientError) as cm:
            old.list_buckets()
        self.assertEqual(fuse_common.http_status(cm.exception), 403)
        self.gw.client(credentials=fuse_common.Credentials(new_id, new_secret)).list_buckets()

    def test_revoking_an_unknown_key_fails_and_changes_nothing(self):
        email = self.new_user('k')
        before = self.cat(f'users/{email}/keys')
        self.fails(f'echo "revoke 0123456789abcdefXXXX" > users/{email}/keys', 'No such file or directory')
        self.assertEqual(self.cat(f'users/{email}/keys'), before)

    def test_revoking_another_users_key_fails_and_leaves_both_users_keys(self):
        a, b = self.new_user('ka'), self.new_user('kb')
        a_keys, b_keys = self.cat(f'users/{a}/keys'), self.cat(f'users/{b}/keys')
        b_id = self.keys_of(b)[0][0]
        self.fails(f'echo "revoke {b_id}" > users/{a}/keys', None)
        self.assertEqual(self.cat(f'users/{a}/keys'), a_keys)
        self.assertEqual(self.cat(f'users/{b}/keys'), b_keys)

    def test_garbage_to_keys_is_invalid_argument_and_changes_nothing(self):
        email = self.new_user('k')
        before = self.cat(f'users/{email}/keys')
        for bad in ('garbage', 'revoke', 'generate', 'gen gen'):
            with self.subTest(bad=bad):
                self.fails(f'echo "{bad}" > users/{email}/keys', 'Invalid argument')
                self.assertEqual(self.cat(f'users/{email}/keys'), before)
        # Every line of a write is checked before any acts: a valid "gen" beside garbage does nothing.
        self.fails(self.heredoc(f'users/{email}/keys', 'gen\nbogus'), 'Invalid argument')
        self.assertEqual(self.cat(f'users/{email}/keys'), before)

    # ---- buckets ---------------------------------------------------------------------
    def test_buckets_of_a_new_user_is_empty(self):
        email = self.new_user('b')
        self.assertEqual(self.cat(f'users/{email}/buckets'), '')

    def test_buckets_lists_the_users_buckets_one_a_line(self):
        email = self.new_user('b')
        other = self.new_user('bo')
        mine = sorted(self.new_bucket_of(email) for _ in range(2))
        self.new_bucket_of(other)
        self.assertEqual(sorted(self.cat(f'users/{email}/buckets').splitlines()), mine)


class AccountsTest(FuseTestCase):
    """users/<email>/accounts/: mkdir/rmdir accounts, their keys and info."""

    def rest_account(self, email, name):
        return self.rest_json(fuse_common.harness.query(
            {'ostor-accounts': None, 'emailAddress': email, 'accountName': name}))

    def cli_accounts(self, email):
        return self.cli('list-user-accounts', '-e', email).stdout

    def test_accounts_of_a_new_user_is_empty(self):
        email = self.new_user('a')
        self.assertEqual(self.ok(f'ls users/{email}/accounts'), '')

    def test_mkdir_accounts_name_creates_an_account_seen_by_the_cli(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/sales')
        self.assertEqual(self.ok(f'ls users/{email}/accounts').split(), ['sales'])
        self.assertIn('sales', self.cli_accounts(email))
        self.assertEqual(self.rest_account(email, 'sales')['Name'], 'sales')

    def test_mkdir_of_an_existing_account_is_file_exists(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/dup')
        keys = self.cat(f'users/{email}/accounts/dup/keys')
        self.fails(f'mkdir users/{email}/accounts/dup', 'File exists')
        self.assertEqual(self.cat(f'users/{email}/accounts/dup/keys'), keys)

    def test_mkdir_of_an_invalid_account_name_is_invalid_argument(self):
        email = self.new_user('a')
        self.fails(f'mkdir users/{email}/accounts/{q("bad name!")}', 'Invalid argument')
        self.fails(f'mkdir users/{email}/accounts/{"x" * 65}', 'Invalid argument')
        self.assertEqual(self.ok(f'ls users/{email}/accounts'), '')

    def test_mkdir_accounts_of_an_unknown_user_is_no_such_file(self):
        self.fails('mkdir users/nobody-here@example.com/accounts/x', 'No such file or directory')

    def test_rmdir_accounts_name_deletes_the_account(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/gone')
        self.ok(f'rmdir users/{email}/accounts/gone')
        self.assertEqual(self.ok(f'ls users/{email}/accounts'), '')
        self.assertNotIn('gone', self.cli_accounts(email))
        self.fails(f'cat users/{email}/accounts/gone/info', 'No such file or directory')

    def test_rmdir_of_an_unknown_account_is_no_such_file(self):
        email = self.new_user('a')
        self.fails(f'rmdir users/{email}/accounts/never', 'No such file or directory')

    def test_rmdir_of_an_account_owning_a_bucket_is_directory_not_empty_and_keeps_it(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/owner')
        if not self.cat(f'users/{email}/accounts/owner/keys'):
            self.ok(f'echo gen > users/{email}/accounts/owner/keys')
        key, secret = self.cat(f'users/{email}/accounts/owner/keys').splitlines()[0].split()
        s3 = self.gw.client(credentials=fuse_common.Credentials(key, secret))
        bucket = fuse_common.harness.unique_bucket('acct')
        s3.create_bucket(Bucket=bucket)
        self.fails(f'rmdir users/{email}/accounts/owner', 'Directory not empty')
        self.assertEqual(self.ok(f'ls users/{email}/accounts').split(), ['owner'])
        s3.delete_bucket(Bucket=bucket)
        self.ok(f'rmdir users/{email}/accounts/owner')
        self.assertEqual(self.ok(f'ls users/{email}/accounts'), '')

    def test_ls_of_an_account_shows_keys_and_info(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/acct')
        self.assertEqual(sorted(self.ok(f'ls users/{email}/accounts/acct').split()), ['info', 'keys'])

    def test_account_info_is_the_json_of_the_rest_query_account(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/acct')
        doc = json_ordered(self.cat(f'users/{email}/accounts/acct/info'))
        rest = self.rest_account(email, 'acct')
        self.assertEqual(list(doc), list(rest))
        self.assertEqual(doc, rest)

    def test_account_keys_gen_and_revoke(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/acct')
        path = f'users/{email}/accounts/acct/keys'

        def pairs():
            out = self.cat(path).splitlines()
            for line in out:
                self.assertRegex(line, fuse_common.KEY_LINE_RE)
            return [line.split() for line in out]

        before = pairs()
        self.ok(f'echo gen > {path}')
        after = pairs()
        self.assertEqual(len(after), len(before) + 1)
        rest = [[k['AWSAccessKeyId'], k['AWSSecretAccessKey']] for k in self.rest_account(email, 'acct')['AWSAccessKeys']]
        self.assertEqual(after, rest)
        new_id = after[-1][0]
        self.ok(f'echo "revoke {new_id}" > {path}')
        self.assertEqual(pairs(), before)
        # The user's own keys are untouched by the account's.
        self.assertEqual(len(self.keys_of(email)), 1)

    def test_account_keys_garbage_is_invalid_argument_and_unknown_revoke_fails(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/acct')
        path = f'users/{email}/accounts/acct/keys'
        before = self.cat(path)
        self.fails(f'echo bogus > {path}', 'Invalid argument')
        self.fails(f'echo "revoke 0123456789abcdefXXXX" > {path}', 'No such file or directory')
        self.assertEqual(self.cat(path), before)

    def test_account_info_is_read_only(self):
        email = self.new_user('a')
        self.ok(f'mkdir users/{email}/accounts/acct')
        before = self.cat(f'users/{email}/accounts/acct/info')
        self.fails(f'echo x > users/{email}/accounts/acct/info', 'Permission denied')
        self.assertEqual(self.cat(f'users/{email}/accounts/acct/info'), before)


if __name__ == '__main__':
    fuse_common.main()
