"""Contents are always current: a change made outside the tree (by the CLI,
the REST API or the gateway) shows in the next `cat`, `ls` or `stat`, even
right after the same file was read (no stale page, attribute or entry cache),
and a change through the tree shows at once in the CLI and the REST API."""

import fuse_common
from fuse_common import NO_LIMITS, FuseTestCase, harness


class FreshnessTest(FuseTestCase):

    def test_a_limit_set_by_the_cli_shows_in_the_next_cat(self):
        email = self.new_user('fr')
        path = f'users/{email}/limits'
        self.assertEqual(self.cat(path), NO_LIMITS)
        self.cli('set-limits', '-e', email, '-t', 'ops', '-L', 'get=3600')
        self.assertIn('ops:get=3600.00ops/s\n', self.cat(path))
        self.cli('rm-limits', '-e', email)
        self.assertEqual(self.cat(path), NO_LIMITS)

    def test_a_quota_set_by_the_cli_shows_in_the_next_cat(self):
        email = self.new_user('fr')
        path = f'users/{email}/quota'
        self.assertEqual(self.cat(path), '')
        self.cli('set-quotas', '-e', email, '-q', '5')
        self.assertEqual(self.cat(path), "version: '1'\nsize: '5'\ntype: 'user'\n")
        self.cli('rm-quotas', '-e', email)
        self.assertEqual(self.cat(path), '')

    def test_a_user_disabled_by_the_cli_shows_in_the_next_cat_and_stat(self):
        email = self.new_user('fr')
        path = f'users/{email}/state'
        self.assertEqual(self.cat(path), 'enabled\n')
        self.assertEqual(self.ok(f'stat -c %s {path}').strip(), '8')
        self.cli('disable-user', '-e', email)
        self.assertEqual(self.cat(path), 'disabled\n')
        self.assertEqual(self.ok(f'stat -c %s {path}').strip(), '9')
        self.cli('enable-user', '-e', email)
        self.assertEqual(self.cat(path), 'enabled\n')

    def test_a_key_generated_by_the_cli_shows_in_the_next_cat_of_keys_and_info(self):
        email = self.new_user('fr')
        self.assertEqual(len(self.keys_of(email)), 1)
        self.cat(f'users/{email}/info')
        self.cli('gen-access-key', '-e', email)
        self.assertEqual(len(self.keys_of(email)), 2)
        info = fuse_common.json_ordered(self.cat(f'users/{email}/info'))
        self.assertEqual(len(info['AWSAccessKeys']), 2)

    def test_a_user_created_by_the_cli_appears_in_ls_users(self):
        email = self.new_email('cli')
        self.assertNotIn(email, self.ok('ls users').split())
        self.fails(f'ls users/{email}', 'No such file or directory')  # a negative lookup first
        self.cli('create-user', '-e', email)
        self.assertIn(email, self.ok('ls users').split())
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')

    def test_a_user_deleted_by_the_cli_disappears_from_ls_users(self):
        email = self.new_user('fr')
        self.cat(f'users/{email}/id')
        self.cli('delete-user', '-e', email)
        self.assertNotIn(email, self.ok('ls users').split())
        self.fails(f'cat users/{email}/id', 'No such file or directory')

    def test_an_account_created_by_the_cli_appears_in_ls_accounts(self):
        email = self.new_user('fr')
        self.assertEqual(self.ok(f'ls users/{email}/accounts'), '')
        self.cli('create-account', '-e', email, '-n', 'fromcli')
        self.assertEqual(self.ok(f'ls users/{email}/accounts').split(), ['fromcli'])

    def test_a_bucket_created_through_the_gateway_appears_in_buckets_and_the_users_buckets(self):
        email = self.new_user('fr')
        self.assertEqual(self.cat(f'users/{email}/buckets'), '')
        bucket = self.new_bucket_of(email)
        self.assertIn(bucket, self.ok('ls buckets').split())
        self.assertEqual(self.cat(f'users/{email}/buckets'), bucket + '\n')
        self.client_of(email).delete_bucket(Bucket=bucket)
        self.assertNotIn(bucket, self.ok('ls buckets').split())
        self.assertEqual(self.cat(f'users/{email}/buckets'), '')

    def test_a_bucket_size_follows_the_objects_put_through_the_gateway(self):
        email = self.new_user('fr')
        bucket = self.new_bucket_of(email)
        s3 = self.client_of(email)
        path = f'buckets/{bucket}/size'
        self.assertEqual(fuse_common.json_ordered(self.cat(path))['current'], 0)
        s3.put_object(Bucket=bucket, Key='a', Body=b'x' * 300)
        self.assertEqual(fuse_common.json_ordered(self.cat(path))['current'], 300)
        s3.put_object(Bucket=bucket, Key='b', Body=b'x' * 200)
        self.assertEqual(fuse_common.json_ordered(self.cat(path))['current'], 500)

    def test_a_user_disabled_through_the_rest_api_shows_in_the_next_cat(self):
        email = self.new_user('fr')
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')
        resp = self.gw.request('POST', '/', harness.query({'ostor-users': None, 'emailAddress': email,
                                                           'disable': None}))
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.cat(f'users/{email}/state'), 'disabled\n')

    def test_a_limit_written_to_the_tree_shows_at_once_in_the_cli_and_the_rest_api(self):
        email = self.new_user('fr')
        self.ok(f'echo "ops:list=12" > users/{email}/limits')
        self.assertIn('ops:list=12.00ops/s', self.cli('query-limits', '-e', email).stdout)
        doc = self.rest_json(harness.query({'ostor-limits': None, 'emailAddress': email}))
        self.assertEqual(doc['ops:list'], '12.00')

    def test_a_user_made_by_mkdir_can_at_once_use_its_keys_at_the_gateway(self):
        email = self.new_user('fr')
        self.client_of(email).list_buckets()


if __name__ == '__main__':
    fuse_common.main()
