"""limits and quota files of users/<email>/ and buckets/<name>/, the
buckets/<name>/{owner,size,versioning,object-lock} files (and rmdir of the owner of
locked versions), and quotas/default-user|default-bucket.
Reads must print what `ostor-s3-admin query-limits` / `query-quotas` print
(the vendor guide's); bad input is "Invalid argument" and changes
nothing."""

import os
import tempfile

import fuse_common
from fuse_common import NO_LIMITS, FuseTestCase, USER_ID_RE, harness, json_ordered

# The guide's outputs (000_*.txt, "Managing S3 user and bucket limits via CLI").
GET_3600 = ('ops:default=0.00ops/s\nops:get=3600.00ops/s\nops:put=0.00ops/s\nops:list=0.00ops/s\n'
            'ops:delete=0.00ops/s\nbandwidth:out=0kbs/s\n')
GET_3600_OUT_100 = ('ops:default=0.00ops/s\nops:get=3600.00ops/s\nops:put=0.00ops/s\nops:list=0.00ops/s\n'
                    'ops:delete=0.00ops/s\nbandwidth:out=100kbs/s\n')
USER_QUOTA_1024 = "version: '1'\nsize: '1024'\ntype: 'user'\n"
BUCKET_QUOTA_256 = "version: '1'\nsize: '256'\ntype: 'bucket'\n"

MALFORMED_LIMIT_LINES = ('bogus', 'ops:get', 'ops:get=', 'ops=get:5', 'ops:get=abc', 'ops:get=-1', 'ops:get=1e3',
                         'ops:get=0x10', 'ops:get=1.2.3', 'bandwidth:out=1.5', 'ops:get=nan', 'ops:get = 5')
UNKNOWN_LIMIT_LINES = ('ops:foo=1', 'ops:GET=1', 'bandwidth:in=100', 'iops:get=1', 'quota:size=5')
RACE_ROUNDS = 500
BAD_QUOTA_SIZES = ('abc', '-1', '1.5', '10 20', '1e3', '0x10', '99999999999999999999')



class LimitsMixin:
    """Tests shared by users/<email>/limits and buckets/<name>/limits:
    subclasses give target() -> (tree path, CLI selector args)."""

    def cli_limits(self, selector):
        return self.cli('query-limits', *selector).stdout

    def test_limits_of_a_new_target_are_the_clis_six_zero_lines(self):
        path, selector = self.target()
        self.assertEqual(self.cat(path), NO_LIMITS)
        self.assertEqual(self.cat(path), self.cli_limits(selector))

    def test_echo_ops_get_to_limits_sets_it_as_the_cli_shows(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.assertEqual(self.cat(path), GET_3600)
        self.assertEqual(self.cli_limits(selector), GET_3600)

    def test_appending_bandwidth_out_to_limits_keeps_the_get_limit(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(selector), GET_3600_OUT_100)

    def test_echo_to_limits_replaces_every_limit_in_force(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        self.ok(f'echo "ops:put=7" > {path}')
        expected = NO_LIMITS.replace('ops:put=0.00', 'ops:put=7.00')
        self.assertEqual(self.cat(path), expected)
        self.assertEqual(self.cli_limits(selector), expected)

    def test_one_write_of_several_lines_sets_them_all(self):
        path, selector = self.target()
        self.ok(self.heredoc(path, 'ops:default=1\nops:get=2.5\nops:put=3\nops:list=4\nops:delete=5\nbandwidth:out=6'))
        expected = ('ops:default=1.00ops/s\nops:get=2.50ops/s\nops:put=3.00ops/s\nops:list=4.00ops/s\n'
                    'ops:delete=5.00ops/s\nbandwidth:out=6kbs/s\n')
        self.assertEqual(self.cat(path), expected)
        self.assertEqual(self.cli_limits(selector), expected)

    def test_truncating_limits_to_empty_removes_them(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        self.ok(f': > {path}')
        self.assertEqual(self.cat(path), NO_LIMITS)
        self.assertEqual(self.cli_limits(selector), NO_LIMITS)

    def test_opening_limits_for_append_and_writing_nothing_changes_nothing(self):
        path, _ = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f': >> {path}')
        self.assertEqual(self.cat(path), GET_3600)

    def test_reading_limits_in_small_pieces_gives_the_same_text(self):
        path, _ = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.assertEqual(self.ok(f'dd if={path} bs=7 status=none'), GET_3600)
        self.assertEqual(self.ok(f'head -c 22 {path}'), GET_3600[:22])

    def test_emptying_limits_is_done_when_the_shell_command_returns(self):
        # The next command must never see the limits `: >` removed: repeated,
        # as a late removal (after close() returned) shows only sometimes.
        path, _ = self.target()
        out = self.sh(f'stale=0; for i in $(seq {RACE_ROUNDS}); do echo "ops:get=5" > {path} && : > {path} && '
                      f'if grep -q "ops:get=5.00" {path}; then stale=$((stale+1)); fi; done; echo $stale')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), '0',
                         f'`cat` right after `: > limits` still showed the old limits in {out.stdout.strip()} '
                         f'of {RACE_ROUNDS} rounds')

    def test_truncate_command_on_limits_removes_them(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'truncate -s 0 {path}')
        self.assertEqual(self.cat(path), NO_LIMITS)
        self.assertEqual(self.cli_limits(selector), NO_LIMITS)

    def test_truncating_limits_to_a_nonzero_size_is_invalid_argument(self):
        path, _ = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.fails(f'truncate -s 5 {path}', 'Invalid argument')
        self.assertEqual(self.cat(path), GET_3600)

    def test_a_malformed_limit_line_is_invalid_argument_and_limits_stay_after_the_o_trunc_open(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        for bad in MALFORMED_LIMIT_LINES:
            with self.subTest(bad=bad):
                self.fails(f'echo "{bad}" > {path}', 'Invalid argument')
                self.assertEqual(self.cat(path), GET_3600_OUT_100)
                self.fails(f'echo "{bad}" >> {path}', 'Invalid argument')
                self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(selector), GET_3600_OUT_100)

    def test_an_unknown_limit_line_is_invalid_argument_and_limits_stay_after_the_o_trunc_open(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        for bad in UNKNOWN_LIMIT_LINES:
            with self.subTest(bad=bad):
                self.fails(f'echo "{bad}" > {path}', 'Invalid argument')
                self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(selector), GET_3600_OUT_100)

    def test_one_write_with_a_bad_line_among_good_ones_changes_nothing(self):
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        self.fails(self.heredoc(path, 'ops:put=10\nops:foo=1'), 'Invalid argument')
        self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(selector), GET_3600_OUT_100)

    def test_an_oversized_write_is_file_too_large_and_limits_stay_after_the_o_trunc_open(self):
        # 80 000 bytes of valid lines: more than the tree takes in one write
        # (64 KiB). cat copies a regular file in one write(2).
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        with tempfile.NamedTemporaryFile('w', suffix='.limits') as big:
            big.write('ops:put=1\n' * 8000)
            big.flush()
            self.fails(f'cat {big.name} > {path}', 'File too large')
        self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(selector), GET_3600_OUT_100)

    def test_printf_of_a_good_line_then_a_bad_one_fails_and_changes_nothing(self):
        # bash's printf writes each line with its own write(2): the command
        # fails ("Invalid argument") and must leave the limits as they were.
        path, selector = self.target()
        self.ok(f'echo "ops:get=3600" > {path}')
        self.ok(f'echo "bandwidth:out=100" >> {path}')
        self.fails(f'printf "ops:put=10\\nops:foo=1\\n" > {path}', 'Invalid argument')
        self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(selector), GET_3600_OUT_100)


class QuotaMixin:
    """Tests shared by users/<email>/quota and buckets/<name>/quota."""

    def cli_quota(self, selector):
        return self.cli('query-quotas', *selector).stdout

    def test_quota_of_a_new_target_is_an_empty_file(self):
        path, _ = self.quota_target()
        self.assertEqual(self.cat(path), '')

    def test_echo_size_to_quota_sets_it_as_the_cli_prints(self):
        path, selector = self.quota_target()
        self.ok(f'echo {self.quota_size} > {path}')
        self.assertEqual(self.cat(path), self.quota_text)
        self.assertEqual(self.cli_quota(selector), self.quota_text)

    def test_truncating_quota_to_empty_removes_it(self):
        path, selector = self.quota_target()
        self.ok(f'echo {self.quota_size} > {path}')
        self.ok(f': > {path}')
        self.assertEqual(self.cat(path), '')
        self.assertIn("size: '0'", self.cli_quota(selector))

    def test_emptying_quota_is_done_when_the_shell_command_returns(self):
        path, _ = self.quota_target()
        out = self.sh(f'stale=0; for i in $(seq {RACE_ROUNDS}); do echo 5 > {path} && : > {path} && '
                      f'if [ -n "$(cat {path})" ]; then stale=$((stale+1)); fi; done; echo $stale')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), '0',
                         f'`cat` right after `: > quota` still showed the old quota in {out.stdout.strip()} '
                         f'of {RACE_ROUNDS} rounds')

    def test_a_bad_quota_size_is_invalid_argument_and_keeps_the_quota(self):
        path, selector = self.quota_target()
        self.ok(f'echo {self.quota_size} > {path}')
        for bad in BAD_QUOTA_SIZES:
            with self.subTest(bad=bad):
                self.fails(f'echo "{bad}" > {path}', 'Invalid argument')
                self.assertEqual(self.cat(path), self.quota_text)
        self.fails(self.heredoc(path, '1\n2'), 'Invalid argument')
        self.assertEqual(self.cat(path), self.quota_text)
        self.assertEqual(self.cli_quota(selector), self.quota_text)


class UserLimitsTest(LimitsMixin, QuotaMixin, FuseTestCase):
    quota_size = 1024
    quota_text = USER_QUOTA_1024

    def target(self):
        email = self.new_user('lim')
        return f'users/{email}/limits', ('-e', email)

    def quota_target(self):
        email = self.new_user('quo')
        return f'users/{email}/quota', ('-e', email)

    def test_cli_set_quota_by_user_id_shows_in_the_quota_file(self):
        email = self.new_user('quo')
        user_id = self.cat(f'users/{email}/id').strip()
        self.assertRegex(user_id, USER_ID_RE)
        self.cli('set-quotas', '-i', user_id, '-q', '1024')
        self.assertEqual(self.cat(f'users/{email}/quota'), USER_QUOTA_1024)


class BucketFilesTest(LimitsMixin, QuotaMixin, FuseTestCase):
    quota_size = 256
    quota_text = BUCKET_QUOTA_256

    def target(self):
        bucket = self.new_bucket_of(self.new_user('bl'))
        return f'buckets/{bucket}/limits', ('-b', bucket)

    def quota_target(self):
        bucket = self.new_bucket_of(self.new_user('bq'))
        return f'buckets/{bucket}/quota', ('-b', bucket)

    def rest_buckets(self):
        return {b['name']: b for b in self.rest_json('ostor-buckets')['Buckets']}

    def test_ls_buckets_lists_every_bucket(self):
        a, b = self.new_user('bls'), self.new_user('bls')
        names = {self.new_bucket_of(a), self.new_bucket_of(b)}
        listed = set(self.ok('ls buckets').split())
        self.assertLessEqual(names, listed)
        self.assertEqual(listed, set(self.rest_buckets()))

    def test_ls_of_a_bucket_shows_its_files(self):
        bucket = self.new_bucket_of(self.new_user('bls'))
        self.assertEqual(sorted(self.ok(f'ls buckets/{bucket}').split()),
                         ['limits', 'object-lock', 'owner', 'quota', 'size', 'versioning'])

    def test_owner_is_the_owners_user_id(self):
        email = self.new_user('own')
        bucket = self.new_bucket_of(email)
        self.assertEqual(self.cat(f'buckets/{bucket}/owner'), self.cat(f'users/{email}/id'))
        self.assertEqual(self.rest_buckets()[bucket]['owner_id'] + '\n', self.cat(f'buckets/{bucket}/owner'))

    def test_size_is_the_json_size_history_of_the_rest_api(self):
        email = self.new_user('size')
        bucket = self.new_bucket_of(email)
        self.client_of(email).put_object(Bucket=bucket, Key='k', Body=os.urandom(1000))
        doc = json_ordered(self.cat(f'buckets/{bucket}/size'))
        self.assertEqual(list(doc), ['current', 'h_integral', 'hmax', 'last_ts'])
        self.assertEqual(doc['current'], 1000)
        self.assertEqual(doc, self.rest_buckets()[bucket]['size'])

    def test_versioning_follows_put_bucket_versioning_as_the_rest_api_shows_it(self):
        email = self.new_user('ver')
        bucket = self.new_bucket_of(email)
        self.assertEqual(self.cat(f'buckets/{bucket}/versioning'), 'Off\n')
        self.assertNotIn('versioning', self.rest_buckets()[bucket])
        s3 = self.client_of(email)
        for state in ('Enabled', 'Suspended'):
            with self.subTest(state=state):
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': state})
                self.assertEqual(self.cat(f'buckets/{bucket}/versioning'), state + '\n')
                self.assertEqual(self.rest_buckets()[bucket]['versioning'], state)

    def test_object_lock_of_a_bucket_without_lock_is_an_empty_json_object(self):
        email = self.new_user('lock')
        plain, versioned = self.new_bucket_of(email), self.new_bucket_of(email)
        self.client_of(email).put_bucket_versioning(Bucket=versioned, VersioningConfiguration={'Status': 'Enabled'})
        for bucket in (plain, versioned):
            with self.subTest(bucket=bucket):
                self.assertEqual(self.cat(f'buckets/{bucket}/object-lock'), '{}\n')
                self.assertNotIn('object_lock', self.rest_buckets()[bucket])

    def test_files_of_an_unknown_bucket_are_no_such_file(self):
        for name in ('owner', 'size', 'limits', 'quota', 'versioning', 'object-lock'):
            with self.subTest(name=name):
                self.fails(f'cat buckets/no-such-bucket/{name}', 'No such file or directory')
        self.fails('echo "ops:get=1" > buckets/no-such-bucket/limits', 'No such file or directory')
        self.fails('echo 5 > buckets/no-such-bucket/quota', 'No such file or directory')

    def test_mkdir_and_rmdir_in_buckets_are_refused(self):
        bucket = self.new_bucket_of(self.new_user('bmk'))
        self.fails('mkdir buckets/new-bucket-by-mkdir', 'Operation not permitted')
        self.assertNotIn('new-bucket-by-mkdir', self.ok('ls buckets').split())
        self.fails(f'rmdir buckets/{bucket}', 'Operation not permitted')
        self.assertIn(bucket, self.ok('ls buckets').split())


class ObjectLockNodesTest(FuseTestCase):
    """docs/versioning.md, "Object lock": buckets/<name>/object-lock shows the
    REST API's object_lock field, and rmdir users/<email> of the owner of
    locked versions is refused as for any owner of buckets (UserHasBuckets:
    ENOTEMPTY), changing nothing."""

    def lock_bucket_of(self, email):
        name = harness.unique_bucket('fuse-lock')
        self.client_of(email).create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        return name

    def rest_object_lock(self, bucket):
        return [b['object_lock'] for b in self.rest_json('ostor-buckets')['Buckets'] if b['name'] == bucket][0]

    def versions(self, email, bucket):
        """{(key, version id): body} of every version, read back by id."""
        s3 = self.client_of(email)
        listed = s3.list_object_versions(Bucket=bucket)
        self.assertNotIn('DeleteMarkers', listed)
        return {(v['Key'], v['VersionId']): s3.get_object(Bucket=bucket, Key=v['Key'],
                                                          VersionId=v['VersionId'])['Body'].read()
                for v in listed.get('Versions', [])}

    def test_object_lock_file_is_the_rest_apis_object_lock_field(self):
        email = self.new_user('lockfile')
        bucket = self.lock_bucket_of(email)
        self.assertEqual(self.cat(f'buckets/{bucket}/versioning'), 'Enabled\n')
        self.assertEqual(json_ordered(self.cat(f'buckets/{bucket}/object-lock')), {'legal_holds': 0})
        s3 = self.client_of(email)
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 2}}})
        until = harness.days_ahead(4)
        s3.put_object(Bucket=bucket, Key='retained', Body=b'kept', ObjectLockMode='GOVERNANCE',
                      ObjectLockRetainUntilDate=until)
        s3.put_object(Bucket=bucket, Key='held', Body=b'held', ObjectLockLegalHoldStatus='ON')
        doc = json_ordered(self.cat(f'buckets/{bucket}/object-lock'))
        self.assertEqual(list(doc.items()), [('mode', 'GOVERNANCE'), ('days', 2),
                                             ('locked_until', until.strftime('%Y-%m-%dT%H:%M:%S.000Z')),
                                             ('legal_holds', 1)])
        self.assertEqual(list(doc.items()), list(self.rest_object_lock(bucket).items()))

    def test_rmdir_of_the_owner_of_locked_versions_is_directory_not_empty_and_changes_nothing(self):
        for lock in ({'ObjectLockMode': 'GOVERNANCE', 'ObjectLockRetainUntilDate': harness.days_ahead(3)},
                     {'ObjectLockLegalHoldStatus': 'ON'}):
            with self.subTest(lock=list(lock)):
                email = self.new_user('lockowner')
                bucket = self.lock_bucket_of(email)
                self.client_of(email).put_object(Bucket=bucket, Key='k', Body=b'locked', **lock)
                before = self.versions(email, bucket)
                lock_file = self.cat(f'buckets/{bucket}/object-lock')
                self.fails(f'rmdir users/{email}', 'Directory not empty')
                self.fails(f'rmdir buckets/{bucket}', 'Operation not permitted')
                self.assertIn(email, self.ok('ls users').split())
                self.assertEqual(self.cat(f'users/{email}/buckets'), bucket + '\n')
                self.assertEqual(self.versions(email, bucket), before)
                self.assertEqual(self.cat(f'buckets/{bucket}/object-lock'), lock_file)


class DefaultQuotasTest(FuseTestCase):
    """quotas/default-user and quotas/default-bucket. One class: they are global."""

    def test_ls_quotas_shows_default_user_and_default_bucket(self):
        self.assertEqual(sorted(self.ok('ls quotas').split()), ['default-bucket', 'default-user'])

    def check_default(self, name, kind, size):
        path = f'quotas/{name}'
        text = f"version: '1'\nsize: '{size}'\ntype: '{kind}'\n"
        self.assertEqual(self.cat(path), '')
        self.ok(f'echo {size} > {path}')
        self.assertEqual(self.cat(path), text)
        self.assertEqual(self.cli('query-quotas', '-o', kind).stdout, text)
        for bad in BAD_QUOTA_SIZES:
            with self.subTest(bad=bad):
                self.fails(f'echo "{bad}" > {path}', 'Invalid argument')
                self.assertEqual(self.cat(path), text)
        self.ok(f': > {path}')
        self.assertEqual(self.cat(path), '')
        self.assertIn("size: '0'", self.cli('query-quotas', '-o', kind).stdout)
        # A default set by the CLI shows in the file.
        self.cli('set-quotas', '-o', kind, '-q', '7')
        self.assertEqual(self.cat(path), f"version: '1'\nsize: '7'\ntype: '{kind}'\n")
        self.cli('rm-quotas', '-o', kind)
        self.assertEqual(self.cat(path), '')

    def test_default_user_quota_is_set_shown_refused_and_removed_through_its_file(self):
        self.check_default('default-user', 'user', 1024)

    def test_default_bucket_quota_is_set_shown_refused_and_removed_through_its_file(self):
        self.check_default('default-bucket', 'bucket', 256)

    def test_creating_a_file_in_quotas_is_refused(self):
        self.fails('echo 5 > quotas/default-account', 'Permission denied')
        self.assertEqual(sorted(self.ok('ls quotas').split()), ['default-bucket', 'default-user'])


if __name__ == '__main__':
    fuse_common.main()
