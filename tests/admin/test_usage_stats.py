"""Usage statistics of a live gateway (S3_GW_COLLECT_STAT=1 in <data>/gw.conf).

Known traffic is sent with raw signed requests, so the bytes each request
carries in and out are known exactly; the statistics objects the gateway
stores (read back through ?ostor-usage) must hold exactly those counters, in
the shape of the usage statistics document.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse
from collections import OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'gateway'))
import harness  # noqa: E402
from harness import Gateway  # noqa: E402
from admin_common import cli_path  # noqa: E402

NAME_RE = re.compile(r'^s3-usage-(\d{16})-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z)-(\d+)$')


def service_id(gw):
    """The service id the gateway said it collects statistics as."""
    return next(line.split(' as service ', 1)[1].split()[0] for line in gw.stdout_lines
                if 'collecting usage statistics as service' in line)


def start_gateway(period_s):
    gw = Gateway()
    os.makedirs(gw.data_dir)
    with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
        f.write(f'# Enable usage statistics collection.\nS3_GW_COLLECT_STAT=1\nS3_GW_STAT_PERIOD={period_s}\n')
    return gw.start()


class Traffic:
    """Sends requests as one user and keeps the counters they must produce."""

    def __init__(self, gw, credentials):
        self.gw, self.credentials = gw, credentials
        self.expected = {}  # (bucket, tag) -> counters

    def send(self, op, bucket, method, path, query='', body=b'', tag='', expect=200, headers=None):
        resp = self.gw.request(method, path, query, headers=headers, body=body, credentials=self.credentials)
        assert resp.status == expect, (method, path, query, resp)
        c = self.expected.setdefault((bucket, tag), {'put': 0, 'get': 0, 'list': 0, 'other': 0,
                                                     'uploaded': 0, 'downloaded': 0})
        c[op] += 1
        c['uploaded'] += len(body)
        c['downloaded'] += len(resp.body)
        return resp


class UsageStatsTest(unittest.TestCase):
    def cli(self, gw, *args):
        out = subprocess.run([cli_path(), *args, '--data', gw.data_dir], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def new_user(self, gw):
        out = self.cli(gw, 'create-user', '-e', f'usage-{os.urandom(4).hex()}@example.com')
        user_id = re.search(r'^UserId:(\S+)$', out, re.M).group(1)
        key = re.search(r'^KeyPair\[0\]:S3AccessKeyId:(\S+)$', out, re.M).group(1)
        secret = re.search(r'^KeyPair\[0\]:S3SecretAccessKey:(\S+)$', out, re.M).group(1)
        return user_id, harness.Credentials(key, secret)

    def usage_objects(self, gw):
        """Every stored statistics object, by name, parsed keeping key order."""
        resp = gw.request('GET', '/', 'ostor-usage')
        self.assertEqual(resp.status, 200, resp)
        listing = json.loads(resp.body)
        self.assertEqual(list(listing), ['nr_items', 'truncated', 'items'])
        self.assertEqual(listing['nr_items'], len(listing['items']))
        docs = {}
        for name in listing['items']:
            r = gw.request('GET', '/', 'ostor-usage&obj=' + urllib.parse.quote(name, safe=''))
            self.assertEqual(r.status, 200, r)
            docs[name] = json.loads(r.body, object_pairs_hook=OrderedDict)
        return docs

    def check_shape(self, name, doc):
        m = NAME_RE.match(name)
        self.assertIsNotNone(m, name)
        self.assertEqual(list(doc), ['fmt_version', 'service_id', 'start_ts', 'period', 'nr_items', 'items'])
        self.assertEqual(doc['fmt_version'], 1)
        self.assertIsInstance(doc['service_id'], int)
        self.assertEqual(str(doc['service_id']), m.group(1))
        self.assertEqual(time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(doc['start_ts'])), m.group(2))
        self.assertLessEqual(doc['period'], int(m.group(3)) + 2)
        self.assertEqual(doc['nr_items'], len(doc['items']))
        for item in doc['items']:
            self.assertEqual(list(item), ['key', 'counters'])
            self.assertEqual(list(item['key']), ['bucket', 'epoch', 'user_id', 'tag'])
            self.assertEqual(list(item['counters']), ['ops', 'net_io'])
            self.assertEqual(list(item['counters']['ops']), ['put', 'get', 'list', 'other'])
            self.assertEqual(list(item['counters']['net_io']), ['uploaded', 'downloaded'])

    def totals(self, docs, user_id):
        """Counters of one user summed over the objects, by (bucket, tag)."""
        got = {}
        for doc in docs.values():
            for item in doc['items']:
                key = item['key']
                if key['user_id'] != user_id:
                    continue
                c = got.setdefault((key['bucket'], key['tag']), {'put': 0, 'get': 0, 'list': 0, 'other': 0,
                                                                 'uploaded': 0, 'downloaded': 0})
                for op, n in item['counters']['ops'].items():
                    c[op] += n
                for field, n in item['counters']['net_io'].items():
                    c[field] += n
        return got

    def drive(self, gw, traffic, bucket, tag=''):
        traffic.send('other', bucket, 'PUT', f'/{bucket}', tag=tag)
        for i, size in enumerate((0, 1000, 123457)):
            traffic.send('put', bucket, 'PUT', f'/{bucket}/obj{i}', body=os.urandom(size), tag=tag)
        traffic.send('get', bucket, 'GET', f'/{bucket}/obj1', tag=tag)
        traffic.send('get', bucket, 'GET', f'/{bucket}/obj2', tag=tag, headers={'Range': 'bytes=0-99'}, expect=206)
        traffic.send('get', bucket, 'HEAD', f'/{bucket}/obj2', tag=tag)
        traffic.send('get', bucket, 'GET', f'/{bucket}/missing', tag=tag, expect=404)
        traffic.send('list', bucket, 'GET', f'/{bucket}', 'list-type=2', tag=tag)
        traffic.send('list', bucket, 'GET', f'/{bucket}', 'prefix=obj', tag=tag)
        traffic.send('other', bucket, 'GET', f'/{bucket}', 'acl', tag=tag)
        traffic.send('other', bucket, 'DELETE', f'/{bucket}/obj0', tag=tag, expect=204)

    def test_counters_of_known_traffic_are_exact_across_period_ends_and_shutdown(self):
        period = 3
        gw = start_gateway(period)
        try:
            user_id, creds = self.new_user(gw)
            traffic = Traffic(gw, creds)
            bucket = harness.unique_bucket('usage')
            self.drive(gw, traffic, bucket)
            # Requests signed with an account's key count under its name (tag).
            out = self.cli(gw, 'create-account', '-i', user_id, '-n', 'proj')
            account_creds = harness.Credentials(
                re.search(r'^KeyPair\[0\]:S3AccessKeyId:(\S+)$', out, re.M).group(1),
                re.search(r'^KeyPair\[0\]:S3SecretAccessKey:(\S+)$', out, re.M).group(1))
            account_traffic = Traffic(gw, account_creds)
            account_bucket = harness.unique_bucket('usage-acct')
            self.drive(gw, account_traffic, account_bucket, tag='proj')

            # The period ends while the gateway runs: an object appears.
            deadline = time.monotonic() + period + 5
            while not self.usage_objects(gw) and time.monotonic() < deadline:
                time.sleep(0.5)
            self.assertTrue(self.usage_objects(gw), 'no statistics object after the period ended')
            # More traffic, counted in a later object written at shutdown.
            traffic.send('get', bucket, 'GET', f'/{bucket}/obj1')
            gw.restart()
            docs = self.usage_objects(gw)
            for name, doc in docs.items():
                self.check_shape(name, doc)
            expected = dict(traffic.expected)
            expected.update(account_traffic.expected)
            self.assertEqual(self.totals(docs, user_id), expected)
            epochs = {item['key']['epoch'] for d in docs.values() for item in d['items']}
            self.assertEqual(epochs, {0})
            # Deleting an object removes it from the list.
            first = sorted(docs)[0]
            self.assertEqual(gw.request('DELETE', '/', 'ostor-usage&obj=' + urllib.parse.quote(first, safe='')).status, 200)
            self.assertNotIn(first, self.usage_objects(gw))
        finally:
            gw.stop()

    def test_counters_acknowledged_a_second_before_a_sigkill_survive_the_restart(self):
        gw = start_gateway(3600)
        try:
            user_id, creds = self.new_user(gw)
            traffic = Traffic(gw, creds)
            bucket = harness.unique_bucket('usage-kill')
            self.drive(gw, traffic, bucket)
            time.sleep(1.5)
            gw.proc.send_signal(signal.SIGKILL)
            gw.proc.wait()
            gw.proc.stdout.close()
            gw.proc = None
            gw._stderr.close()
            gw.start()
            docs = self.usage_objects(gw)
            self.assertEqual(len(docs), 1, list(docs))
            for name, doc in docs.items():
                self.check_shape(name, doc)
            self.assertEqual(self.totals(docs, user_id), traffic.expected)
            # The restarted gateway keeps the service id, and the killed
            # instance's checkpoint is not published a second time.
            self.assertEqual(service_id(gw), str(next(iter(docs.values()))['service_id']))
            gw.restart()
            self.assertEqual(self.totals(self.usage_objects(gw), user_id), traffic.expected)
        finally:
            gw.stop()

    def test_leftovers_of_killed_gateways_are_published_once_set_aside_or_cleaned_at_start(self):
        gw = Gateway()
        stats_dir = os.path.join(gw.data_dir, 'gw-stats')
        os.makedirs(stats_dir)
        with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
            f.write('S3_GW_COLLECT_STAT=1\n')

        def leftover(name, content, age_s=0):
            path = os.path.join(stats_dir, name)
            with open(path, 'w') as f:
                f.write(content)
            if age_s:
                os.utime(path, (time.time() - age_s, time.time() - age_s))
            return path

        stored = 's3-usage-8222222222222222-2026-01-01T00:00:00.000Z-3600'
        leftover('8222222222222222.ckpt', stored + '\n{"first": 1}\n')
        bad = leftover('8111111111111111.ckpt', 'not a name\n{}\n')
        stale_lock = leftover('8333333333333333.lock', '', age_s=120)
        stale_tmp = leftover('8444444444444444.ckpt.tmp', 'half written', age_s=120)
        gw.start()
        try:
            docs = {name: doc for name, doc in self.usage_objects(gw).items()}
            self.assertEqual(docs, {stored: {'first': 1}})
            # A checkpoint that cannot be stored does not keep the gateway
            # from starting; it is kept aside for the admin.
            self.assertFalse(os.path.exists(bad))
            self.assertTrue(os.path.exists(bad + '.bad'))
            self.assertIn('set aside as .bad', gw.stderr_text())
            self.assertFalse(os.path.exists(stale_lock))
            self.assertFalse(os.path.exists(stale_tmp))
            self.assertFalse(os.path.exists(os.path.join(stats_dir, '8222222222222222.ckpt')))

            # A gateway killed between storing its period and removing its
            # checkpoint: the object is stored once, not replaced.
            gw.stop(keep_dir=True)
            leftover('8222222222222222.ckpt', stored + '\n{"second": 2}\n')
            gw.start()
            # (The first run's own requests, ?ostor-usage calls naming no
            # bucket, are in an object of its own service id.)
            docs = self.usage_objects(gw)
            self.assertEqual(docs[stored], {'first': 1})
            self.assertEqual([n for n in docs if '-8222222222222222-' in n], [stored])
            self.assertFalse(os.path.exists(os.path.join(stats_dir, '8222222222222222.ckpt')))
        finally:
            gw.stop()

    def test_no_statistics_are_kept_without_the_setting(self):
        gw = Gateway().start()
        try:
            _, creds = self.new_user(gw)
            Traffic(gw, creds).send('other', 'b', 'PUT', '/' + harness.unique_bucket('nostats'))
            gw.restart()
            self.assertEqual(self.usage_objects(gw), {})
            self.assertFalse(os.path.exists(os.path.join(gw.data_dir, 'gw-stats')))
        finally:
            gw.stop()

    def test_the_period_under_way_is_read_with_current_before_it_is_stored(self):
        gw = start_gateway(3600)
        try:
            user_id, creds = self.new_user(gw)
            traffic = Traffic(gw, creds)
            self.drive(gw, traffic, harness.unique_bucket('usage-live'))
            resp = gw.request('GET', '/', 'ostor-usage&current')
            self.assertEqual(resp.status, 200, resp)
            doc = json.loads(resp.body, object_pairs_hook=OrderedDict)
            # The statistics object's shape, of the period so far.
            self.assertEqual(list(doc), ['fmt_version', 'service_id', 'start_ts', 'period', 'nr_items', 'items'])
            self.assertEqual(str(doc['service_id']), service_id(gw))
            self.assertLessEqual(doc['start_ts'], time.time())
            self.assertTrue(0 <= doc['period'] < 3600, doc['period'])
            self.assertEqual(doc['nr_items'], len(doc['items']))
            self.assertEqual(self.totals({'current': doc}, user_id), traffic.expected)
            self.assertEqual(self.usage_objects(gw), {}, 'nothing is stored before the period ends')
            self.assertEqual(gw.request('GET', '/', 'ostor-usage&current&obj=x').status, 400)
            # At shutdown the period is stored with those counters.
            gw.restart()
            self.assertEqual(self.totals(self.usage_objects(gw), user_id), traffic.expected)
        finally:
            gw.stop()
        gw = Gateway().start()
        try:
            resp = gw.request('GET', '/', 'ostor-usage&current')
            error = json.loads(resp.body)
            self.assertEqual((resp.status, error['Code']), (404, 'NoSuchKey'), resp)  # as for an unknown obj
            self.assertIn('S3_GW_COLLECT_STAT=1', error['Message'])
        finally:
            gw.stop()

    def test_a_malformed_gw_conf_stops_the_gateway_with_a_message(self):
        gw = Gateway()
        os.makedirs(gw.data_dir)
        with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
            f.write('S3_GW_COLLECT_STAT=yes\n')
        with self.assertRaises(RuntimeError) as cm:
            gw.start()
        self.assertIn('S3_GW_COLLECT_STAT must be 0 or 1', str(cm.exception))


class UsageStatsPlacesTest(unittest.TestCase):
    """Service ids, bucketless requests and where gw.conf is read from."""

    cli = UsageStatsTest.cli
    new_user = UsageStatsTest.new_user
    usage_objects = UsageStatsTest.usage_objects

    def test_requests_naming_no_bucket_count_under_an_empty_bucket_and_epoch_0(self):
        gw = start_gateway(3600)
        try:
            user_id, creds = self.new_user(gw)
            listing = gw.request('GET', '/', credentials=creds)  # ListBuckets
            self.assertEqual(listing.status, 200, listing)
            self.assertEqual(gw.request('GET', '/', 'ostor-usage').status, 200)  # an admin call
            # An anonymous request naming no bucket (a scanner's GET /) is nobody's usage.
            self.assertEqual(gw.request('GET', '/', auth=None).status, 403)
            gw.restart()
            items = [item for doc in self.usage_objects(gw).values() for item in doc['items']
                     if item['key']['user_id'] == user_id]
            self.assertEqual(items, [{'key': {'bucket': '', 'epoch': 0, 'user_id': user_id, 'tag': ''},
                                      'counters': {'ops': {'put': 0, 'get': 0, 'list': 1, 'other': 0},
                                                   'net_io': {'uploaded': 0, 'downloaded': len(listing.body)}}}])
            # The admin calls of the system user count the same way.
            admin_items = [item for doc in self.usage_objects(gw).values() for item in doc['items']
                           if item['key']['user_id'] != user_id]
            self.assertTrue(admin_items)
            self.assertEqual({(i['key']['bucket'], i['key']['epoch']) for i in admin_items}, {('', 0)})
            self.assertNotIn('', {i['key']['user_id'] for i in admin_items})
        finally:
            gw.stop()

    def test_the_service_id_of_an_address_is_kept_across_restarts(self):
        gw = start_gateway(3600)
        try:
            first = service_id(gw)
            _, creds = self.new_user(gw)
            Traffic(gw, creds).send('other', 'b', 'PUT', '/' + harness.unique_bucket('sid'))
            gw.restart()
            self.assertEqual(service_id(gw), first)
            Traffic(gw, creds).send('other', 'b', 'PUT', '/' + harness.unique_bucket('sid'))
            gw.restart()
            self.assertEqual(service_id(gw), first)
            docs = self.usage_objects(gw)
            self.assertEqual(len(docs), 2, list(docs))
            self.assertEqual({str(d['service_id']) for d in docs.values()}, {first})
        finally:
            gw.stop()

    def test_two_live_gateways_never_share_a_service_id(self):
        first = start_gateway(3600)
        second = Gateway()
        second.data_dir = first.data_dir
        second._started_before = True  # the data directory has its system user already
        second.access_key, second.secret_key = first.access_key, first.secret_key
        try:
            second.start()
            # Both listen on the same configured address (127.0.0.1:0).
            self.assertNotEqual(service_id(first), service_id(second))
        finally:
            second.stop()  # removes only its own directory (its log)
            first.stop()

    def test_gw_conf_is_read_from_the_place_the_guide_names(self):
        gw = Gateway()
        os.makedirs(os.path.join(gw.data_dir, 'local'))
        with open(os.path.join(gw.data_dir, 'local', 'gw.conf'), 'w') as f:
            f.write('# Enable usage statistics collection.\nS3_GW_COLLECT_STAT=1\n')
        gw.start()
        try:
            self.assertTrue(service_id(gw))
            self.assertNotIn('warning', gw.stderr_text())
            # When both exist, <data>/local/gw.conf wins, with a warning.
            with open(os.path.join(gw.data_dir, 'gw.conf'), 'w') as f:
                f.write('S3_GW_COLLECT_STAT=0\n')
            gw.restart()
            self.assertTrue(service_id(gw))
            self.assertIn('using ' + os.path.join(gw.data_dir, 'local', 'gw.conf'), gw.stderr_text())
            self.assertIn('ignoring ' + os.path.join(gw.data_dir, 'gw.conf'), gw.stderr_text())
        finally:
            gw.stop()


if __name__ == '__main__':
    unittest.main(verbosity=2)
