"""usage/ of the admin tree: the usage statistics objects a gateway stores
(S3_GW_COLLECT_STAT=1, S3_GW_STAT_PERIOD=1 in <data>/gw.conf). `ls usage`
lists them as the REST `?ostor-usage` does, `cat usage/<obj>` is the REST
`?ostor-usage&obj=` JSON, `rm usage/<obj>` deletes it; they are read-only."""

import time
import urllib.parse

import fuse_common
from fuse_common import FuseTestCase, json_ordered


class UsageTest(FuseTestCase):
    gw_conf = '# Enable usage statistics collection.\nS3_GW_COLLECT_STAT=1\nS3_GW_STAT_PERIOD=1\n'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A user made through the tree, with a bucket and some traffic.
        email = f'usage-{fuse_common.os.urandom(4).hex()}@example.com'
        out = fuse_common.sh(f'mkdir users/{email} && cat users/{email}/keys', cwd=cls.mnt)
        if out.returncode != 0:
            raise RuntimeError(f'mkdir/cat keys failed: {out.stderr}')
        key, secret = out.stdout.split('\n')[0].split()
        cls.s3 = cls.gw.client(credentials=fuse_common.Credentials(key, secret))
        cls.bucket = fuse_common.harness.unique_bucket('usage')
        cls.s3.create_bucket(Bucket=cls.bucket)
        for i in range(3):
            cls.s3.put_object(Bucket=cls.bucket, Key=f'k{i}', Body=b'x' * (100 * (i + 1)))
            cls.s3.get_object(Bucket=cls.bucket, Key=f'k{i}')['Body'].read()
        cls.s3.list_objects_v2(Bucket=cls.bucket)
        cls.wait_for_new_objects(set())

    @classmethod
    def wait_for_new_objects(cls, known):
        """After traffic: waits for the period to end (~2.5 s) and returns the
        usage objects that were not in `known`."""
        time.sleep(2.5)
        deadline = time.monotonic() + 20
        while True:
            new = [n for n in cls.rest_usage_names() if n not in known]
            if new:
                return new
            if time.monotonic() >= deadline:
                raise RuntimeError('the gateway stored no usage object within 20 s of the traffic')
            time.sleep(0.25)

    @classmethod
    def rest_usage_names(cls):
        resp = cls.gw.request('GET', '/', 'ostor-usage')
        if resp.status != 200:
            raise RuntimeError(f'?ostor-usage: {resp}')
        return json_ordered(resp.body)['items']

    def rest_usage_object(self, name):
        return self.gw.request('GET', '/', 'ostor-usage&obj=' + urllib.parse.quote(name, safe=''))

    def some_object(self):
        names = self.rest_usage_names()
        self.assertTrue(names)
        return names[0]

    def test_ls_usage_lists_the_objects_of_the_rest_listing(self):
        listed = self.ok('ls usage').split()
        rest = self.rest_usage_names()
        self.assertTrue(listed)
        # The gateway may store another object between the two listings (only ever more).
        self.assertLessEqual(set(listed), set(self.rest_usage_names()))
        self.assertLessEqual(set(rest), set(self.ok('ls usage').split()))
        for name in listed:
            self.assertRegex(name, r'^s3-usage-[0-9a-f]{16}-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z-\d+$')

    def test_cat_usage_object_is_the_rest_json_of_that_object(self):
        name = self.some_object()
        text = self.cat(f'usage/{name}')
        resp = self.rest_usage_object(name)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(text, resp.body.decode())
        doc = json_ordered(text)
        self.assertEqual(list(doc), ['fmt_version', 'service_id', 'start_ts', 'period', 'nr_items', 'items'])
        self.assertEqual(doc['nr_items'], len(doc['items']))

    def test_usage_objects_count_the_traffic_of_the_tree_made_user(self):
        total = {'put': 0, 'get': 0}
        for name in self.ok('ls usage').split():
            for item in json_ordered(self.cat(f'usage/{name}'))['items']:
                if item['key']['bucket'] == self.bucket:
                    for op in total:
                        total[op] += item['counters']['ops'][op]
        self.assertEqual(total, {'put': 3, 'get': 3})

    def test_rm_usage_object_deletes_it(self):
        # An object of its own, so the other tests keep theirs.
        known = set(self.rest_usage_names())
        bucket = fuse_common.harness.unique_bucket('usagerm')
        self.s3.create_bucket(Bucket=bucket)
        self.s3.list_objects_v2(Bucket=bucket)
        name = self.wait_for_new_objects(known)[0]
        self.assertIn(name, self.ok('ls usage').split())
        self.ok(f'rm usage/{name}')
        self.assertNotIn(name, self.ok('ls usage').split())
        self.assertNotIn(name, self.rest_usage_names())
        self.assertEqual(self.rest_usage_object(name).status, 404)
        self.fails(f'cat usage/{name}', 'No such file or directory')

    def test_rm_of_an_unknown_usage_object_is_no_such_file(self):
        self.fails('rm usage/s3-usage-0000000000000000-2000-01-01T00:00:00.000Z-1', 'No such file or directory')

    def test_usage_object_is_mode_0444(self):
        name = self.some_object()
        self.assertEqual(self.mode(f'usage/{name}'), '444')

    def test_writing_a_usage_object_is_permission_denied_and_changes_nothing(self):
        name = self.some_object()
        before = self.cat(f'usage/{name}')
        self.fails(f'echo "{{}}" > usage/{name}', 'Permission denied')
        self.fails(f'echo "{{}}" >> usage/{name}', 'Permission denied')
        self.fails(f': > usage/{name}', 'Permission denied')
        self.assertEqual(self.cat(f'usage/{name}'), before)

    def test_creating_a_file_in_usage_is_refused(self):
        self.fails('echo "{}" > usage/s3-usage-made-by-hand', 'Permission denied')
        self.assertNotIn('s3-usage-made-by-hand', self.ok('ls usage').split())


if __name__ == '__main__':
    fuse_common.main()
