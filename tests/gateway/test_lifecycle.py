#!/usr/bin/env python3
"""Lifecycle: Put/Get/DeleteBucketLifecycleConfiguration (owner only, a
checksum required, a refused document stores nothing, one too large for a
bucket refused with MaxMessageLengthExceeded), and the lifecycle worker
with a short "day" (--lifecycle-day-seconds): rules by prefix and by tag
expire what they cover and leave the rest, a Date rule, incomplete
multipart uploads aborted; in versioned buckets, noncurrent versions expire
(keeping the newest NewerNoncurrentVersions), lone delete markers are
removed and a marker with versions under it is not, an expired current is
hidden by a marker, a size filter never matches a marker, versions under
object lock stay (counted as kept) until their lock ends, a "null" version
removed at a page's end, a rollback between two pages and a noncurrent
version deleted between two pages (shifting the ranks) remove nothing S3
keeps; a gateway killed mid-pass resumes the pass where it
was, skipping nothing and deleting no object written after the pass began
(nor, versioned, a version twice or a marker added twice); of two gateways
on one volume one works, and the other takes over when it stops."""

import base64
import calendar
import email.utils
import hashlib
import re
import shutil
import subprocess
import tempfile
import time

from harness import (GatewayTestCase, days_ahead, fresh_volume, gateway_path, main, on_rados,
                     remove_rados_volume, unique_bucket)

# A day of a few seconds: a rule of 1 day is due 1 to 2 days after a write.
DAY_SECONDS = 2
WORKER_ARGS = ('--lifecycle-day-seconds', str(DAY_SECONDS), '--lifecycle-interval-seconds', '1')
# How long a test waits for what the worker should have done by then.
WORKER_WAIT_SECONDS = 12 * DAY_SECONDS
PASS_DONE = re.compile(r'lifecycle: pass of day (\d+) done: (\d+) expired, (\d+) aborted')
PASS_COUNTS = re.compile(r'lifecycle: pass of day \d+ done: (\d+) expired, (\d+) aborted, (\d+) noncurrent deleted, '
                         r'(\d+) markers removed, (\d+) kept by object lock')
# The role's lease (kRoleLeaseMs): on RADOS a killed holder's role is free
# only once it has run out (a local volume's flock goes with the process).
ROLE_LEASE_SECONDS = 30
# Midnight UTC in the past: a Date rule expires every object it covers.
PAST_DATE = '2020-01-01T00:00:00Z'


def md5_header(body):
    return {'Content-MD5': base64.b64encode(hashlib.md5(body).digest()).decode()}


def rule(rule_id, days=None, date=None, prefix=None, tags=None, abort_days=None, noncurrent_days=None,
         newer_noncurrent=None, expired_marker=None):
    r = {'ID': rule_id, 'Status': 'Enabled'}
    conditions = []
    if prefix is not None:
        conditions.append(('Prefix', prefix))
    for k, v in (tags or {}).items():
        conditions.append(('Tag', {'Key': k, 'Value': v}))
    if len(conditions) == 1:
        r['Filter'] = dict(conditions)
    elif conditions:
        r['Filter'] = {'And': {'Prefix': prefix or '', 'Tags': [{'Key': k, 'Value': v} for k, v in tags.items()]}}
    else:
        r['Filter'] = {'Prefix': ''}
    if days is not None:
        r['Expiration'] = {'Days': days}
    if date is not None:
        r['Expiration'] = {'Date': date}
    if abort_days is not None:
        r['AbortIncompleteMultipartUpload'] = {'DaysAfterInitiation': abort_days}
    if expired_marker is not None:
        r['Expiration'] = {'ExpiredObjectDeleteMarker': expired_marker}
    if noncurrent_days is not None:
        r['NoncurrentVersionExpiration'] = {'NoncurrentDays': noncurrent_days}
        if newer_noncurrent is not None:
            r['NoncurrentVersionExpiration']['NewerNoncurrentVersions'] = newer_noncurrent
    return r


def keys_of(s3, bucket):
    return sorted(o['Key'] for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket)
                  for o in page.get('Contents', []))


def versions_of(s3, bucket):
    """Each key's versions: {key: (latest version id, {object version ids}, {marker version ids})}."""
    out = {}
    for page in s3.get_paginator('list_object_versions').paginate(Bucket=bucket):
        for kind, entries in ((1, page.get('Versions', [])), (2, page.get('DeleteMarkers', []))):
            for v in entries:
                latest, objects, markers = out.setdefault(v['Key'], [None, set(), set()])
                (objects if kind == 1 else markers).add(v['VersionId'])
                if v['IsLatest']:
                    out[v['Key']][0] = v['VersionId']
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def enable_versioning(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})


def pass_counts(gw):
    """(expired, aborted, noncurrent deleted, markers removed, kept by lock) of each pass that ended."""
    return [tuple(int(g) for g in m.groups()) for m in PASS_COUNTS.finditer(gw.stderr_text())]


def passes_done(gw):
    return [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in PASS_DONE.finditer(gw.stderr_text())]


def wait_for(what, predicate, timeout=WORKER_WAIT_SECONDS, explain=lambda: ''):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'{what}: not within {timeout}s {explain()}')
        time.sleep(0.2)


class LifecycleConfigurationTests(GatewayTestCase):
    """The three calls. The worker runs with the real day here: nothing expires."""

    def test_put_get_delete_round_trip(self):
        b = self.new_bucket()
        e = self.assertClientError(self.s3.get_bucket_lifecycle_configuration, 404, 'NoSuchLifecycleConfiguration',
                                   Bucket=b)
        self.assertEqual(e.response['Error']['Message'], 'The lifecycle configuration does not exist')
        rules = [rule('logs', days=30, prefix='logs/'), rule('tagged', days=7, tags={'class': 'tmp'}),
                 rule('uploads', abort_days=3, prefix='')]
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': rules})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']
        self.assertEqual([r['ID'] for r in got], ['logs', 'tagged', 'uploads'])
        self.assertEqual(got[0]['Filter'], {'Prefix': 'logs/'})
        self.assertEqual(got[0]['Expiration'], {'Days': 30})
        self.assertEqual(got[1]['Filter'], {'Tag': {'Key': 'class', 'Value': 'tmp'}})
        self.assertEqual(got[2]['AbortIncompleteMultipartUpload'], {'DaysAfterInitiation': 3})
        self.s3.delete_bucket_lifecycle(Bucket=b)
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration, 404, 'NoSuchLifecycleConfiguration',
                               Bucket=b)
        # Deleting none is no error, as S3 answers.
        self.s3.delete_bucket_lifecycle(Bucket=b)

    def test_objects_a_rule_will_expire_say_when(self):
        b = self.new_bucket()
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
            rule('month', days=30, prefix='logs/'), rule('date', date='2100-01-01T00:00:00Z', prefix='logs/old')]})
        put = self.put(b, 'logs/a', b'x')
        head = self.s3.head_object(Bucket=b, Key='logs/a')
        # Last-modified rounded up to the next midnight UTC, plus 30 days.
        modified = calendar.timegm(head['LastModified'].utctimetuple())
        due = (modified // 86400 + 1 + 30) * 86400
        expected = (f'expiry-date="{email.utils.formatdate(due, usegmt=True)}", rule-id="month"')
        self.assertEqual(put['ResponseMetadata']['HTTPHeaders'].get('x-amz-expiration'), expected)
        self.assertEqual(head['ResponseMetadata']['HTTPHeaders'].get('x-amz-expiration'), expected)
        got = self.s3.get_object(Bucket=b, Key='logs/a')
        self.assertEqual(got['ResponseMetadata']['HTTPHeaders'].get('x-amz-expiration'), expected)
        # The earliest of the rules that apply decides.
        self.put(b, 'logs/old-1', b'x')
        self.assertIn('rule-id="month"', self.s3.head_object(Bucket=b, Key='logs/old-1')['ResponseMetadata']
                      ['HTTPHeaders']['x-amz-expiration'])
        # None for an object no rule covers.
        self.put(b, 'other', b'x')
        self.assertNotIn('x-amz-expiration', self.s3.head_object(Bucket=b, Key='other')['ResponseMetadata']
                         ['HTTPHeaders'])

    def test_copies_and_completed_uploads_say_when_they_expire(self):
        # AWS answers x-amz-expiration on CopyObject and
        # CompleteMultipartUpload as on PutObject: each writes an object.
        b = self.new_bucket()
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
            rule('month', days=30, prefix='logs/')]})
        self.put(b, 'src', b'x')

        def expected(key):
            head = self.s3.head_object(Bucket=b, Key=key)
            due = (calendar.timegm(head['LastModified'].utctimetuple()) // 86400 + 1 + 30) * 86400
            return f'expiry-date="{email.utils.formatdate(due, usegmt=True)}", rule-id="month"'

        copied = self.s3.copy_object(Bucket=b, Key='logs/copy', CopySource={'Bucket': b, 'Key': 'src'})
        self.assertEqual(copied['ResponseMetadata']['HTTPHeaders'].get('x-amz-expiration'), expected('logs/copy'))
        upload = self.s3.create_multipart_upload(Bucket=b, Key='logs/big')['UploadId']
        part = self.s3.upload_part(Bucket=b, Key='logs/big', UploadId=upload, PartNumber=1, Body=b'p')
        done = self.s3.complete_multipart_upload(Bucket=b, Key='logs/big', UploadId=upload, MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
        self.assertEqual(done['ResponseMetadata']['HTTPHeaders'].get('x-amz-expiration'), expected('logs/big'))
        # Outside the rule's prefix: none.
        other = self.s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'src'})
        self.assertNotIn('x-amz-expiration', other['ResponseMetadata']['HTTPHeaders'])

    def test_a_rule_id_that_would_break_the_expiration_header_is_refused(self):
        b = self.new_bucket()
        for rule_id in (b'a"b', b'a&#13;b', b'a&#10;b'):
            with self.subTest(rule_id=rule_id):
                body = (b'<LifecycleConfiguration><Rule><ID>' + rule_id + b'</ID><Filter><Prefix>a/</Prefix></Filter>'
                        b'<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>'
                        b'</LifecycleConfiguration>')
                r = self.gw.request('PUT', f'/{b}', 'lifecycle', body=body, headers=md5_header(body))
                self.assertError(r, 400, 'InvalidArgument')
                self.assertIn('double quote', r.xml().findtext('Message'))
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration, 404, 'NoSuchLifecycleConfiguration',
                               Bucket=b)

    def test_the_deprecated_put_bucket_lifecycle_shape(self):
        b = self.new_bucket()
        self.s3.put_bucket_lifecycle(Bucket=b, LifecycleConfiguration={'Rules': [
            {'ID': 'old', 'Prefix': 'tmp/', 'Status': 'Enabled', 'Expiration': {'Days': 2}}]})
        got = self.s3.get_bucket_lifecycle(Bucket=b)['Rules']
        self.assertEqual(got[0]['Prefix'], 'tmp/')
        self.assertEqual(got[0]['Expiration'], {'Days': 2})

    def test_refusals_store_nothing(self):
        b = self.new_bucket()
        good = (b'<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>a/</Prefix></Filter>'
                b'<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>')
        with self.subTest('no Content-MD5 nor checksum'):
            r = self.gw.request('PUT', f'/{b}', 'lifecycle', body=good)
            self.assertError(r, 400, 'InvalidRequest')
            self.assertEqual(r.xml().findtext('Message'), 'Missing required header for this request: Content-MD5')
        with self.subTest('a wrong Content-MD5'):
            self.assertError(self.gw.request('PUT', f'/{b}', 'lifecycle', body=good, headers=md5_header(b'x')),
                             400, 'BadDigest')
        with self.subTest('a transition'):
            bad = good.replace(b'<Expiration><Days>1</Days></Expiration>',
                               b'<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>')
            self.assertError(self.gw.request('PUT', f'/{b}', 'lifecycle', body=bad, headers=md5_header(bad)),
                             400, 'InvalidStorageClass')
        with self.subTest('not XML'):
            self.assertError(self.gw.request('PUT', f'/{b}', 'lifecycle', body=b'<x', headers=md5_header(b'<x')),
                             400, 'MalformedXML')
        with self.subTest('another user'):
            other = self.gw.client(self.gw.create_user())
            self.assertClientError(other.put_bucket_lifecycle_configuration, 403, 'AccessDenied', Bucket=b,
                                   LifecycleConfiguration={'Rules': [rule('r', days=1)]})
            self.assertClientError(other.get_bucket_lifecycle_configuration, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration, 404, 'NoSuchLifecycleConfiguration',
                               Bucket=b)
        r = self.gw.request('PUT', f'/{b}', 'lifecycle', body=good, headers=md5_header(good))
        self.assertEqual(r.status, 200, repr(r))

    def test_a_configuration_too_large_for_a_bucket_is_refused(self):
        b = self.new_bucket()
        # 1000 rules with the longest ids and prefixes: valid, and past the
        # 256 KiB a bucket's configuration may take.
        rules = ''.join(f'<Rule><ID>{i:04d}{"i" * 251}</ID><Filter><Prefix>{i:04d}{"p" * 1020}</Prefix></Filter>'
                        f'<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>' for i in range(1000))
        body = f'<LifecycleConfiguration>{rules}</LifecycleConfiguration>'.encode()
        r = self.gw.request('PUT', f'/{b}', 'lifecycle', body=body, headers=md5_header(body))
        self.assertError(r, 400, 'MaxMessageLengthExceeded')
        self.assertIn('lifecycle configuration is too large', r.xml().findtext('Message'))
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration, 404, 'NoSuchLifecycleConfiguration',
                               Bucket=b)


class LifecycleWorkerTests(GatewayTestCase):
    gateway_args = WORKER_ARGS

    def configure(self, bucket, *rules):
        self.s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={'Rules': list(rules)})

    def test_rules_by_prefix_and_by_tag_expire_what_they_cover(self):
        b = self.new_bucket()
        self.configure(b, rule('logs', days=1, prefix='logs/'), rule('tmp', days=1, tags={'class': 'tmp'}))
        for key in ('logs/a', 'logs/b', 'keep/c'):
            self.put(b, key, b'x')
        self.put(b, 'tagged-tmp', b'x', Tagging='class=tmp')
        self.put(b, 'tagged-other', b'x', Tagging='class=keep')
        # A rule of another bucket's prefix does not reach this one.
        other = self.new_bucket()
        self.put(other, 'logs/z', b'x')
        wait_for('the covered objects expire', lambda: keys_of(self.s3, b) == ['keep/c', 'tagged-other'])
        self.assertEqual(keys_of(self.s3, other), ['logs/z'])
        # The expired objects' space is given back.
        self.assertEqual(self.s3.head_object(Bucket=b, Key='keep/c')['ContentLength'], 1)

    def test_a_date_rule_expires_every_object_it_covers(self):
        b = self.new_bucket()
        for key in ('old/1', 'old/2', 'new/1'):
            self.put(b, key, b'x')
        self.configure(b, rule('date', date=PAST_DATE, prefix='old/'))
        wait_for('the objects under old/ expire', lambda: keys_of(self.s3, b) == ['new/1'])

    def test_incomplete_uploads_are_aborted(self):
        b = self.new_bucket()
        self.configure(b, rule('abort', abort_days=1, prefix='tmp/'))
        gone = self.s3.create_multipart_upload(Bucket=b, Key='tmp/big')['UploadId']
        self.s3.upload_part(Bucket=b, Key='tmp/big', UploadId=gone, PartNumber=1, Body=b'p' * 1024)
        kept = self.s3.create_multipart_upload(Bucket=b, Key='other/big')['UploadId']

        def uploads():
            return sorted(u['UploadId'] for u in self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []))

        wait_for('the upload under tmp/ is aborted', lambda: uploads() == [kept])
        self.assertClientError(self.s3.list_parts, 404, 'NoSuchUpload', Bucket=b, Key='tmp/big', UploadId=gone)

    def test_a_disabled_rule_expires_nothing(self):
        b = self.new_bucket()
        disabled = rule('off', days=1)
        disabled['Status'] = 'Disabled'
        self.configure(b, disabled)
        self.put(b, 'k', b'x')
        start = len(passes_done(self.gw))
        # Two passes (two days) later the object is still there.
        wait_for('two passes', lambda: len(passes_done(self.gw)) >= start + 3)
        self.assertEqual(keys_of(self.s3, b), ['k'])


class VersionedLifecycleTests(GatewayTestCase):
    """The worker on versioned buckets: noncurrent versions, delete markers,
    and an expired current hidden by a marker."""

    gateway_args = WORKER_ARGS

    def configure(self, bucket, *rules):
        self.s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={'Rules': list(rules)})

    def setUp(self):
        super().setUp()
        # The class's tests share a gateway: each counts the passes that end after it began.
        self.passes_before = len(pass_counts(self.gw))

    def counts(self):
        """What the passes ended since the test began did, summed as pass_counts gives it."""
        return tuple(map(sum, zip(*pass_counts(self.gw)[self.passes_before:])))

    def versioned_bucket(self):
        b = self.new_bucket()
        enable_versioning(self.s3, b)
        return b

    def put_versions(self, bucket, key, n, **kw):
        return [self.put(bucket, key, f'v{i}'.encode(), **kw)['VersionId'] for i in range(n)]

    def wait_for_versions(self, what, bucket, expected):
        wait_for(what, lambda: versions_of(self.s3, bucket) == expected,
                 explain=lambda: f'{versions_of(self.s3, bucket)} != {expected}')

    def wait_passes(self, n):
        start = len(passes_done(self.gw))
        wait_for(f'{n} more passes', lambda: len(passes_done(self.gw)) >= start + n)

    def test_noncurrent_versions_expire_keeping_the_newest(self):
        b = self.versioned_bucket()
        keep = self.put_versions(b, 'keep/k', 4)
        gone = self.put_versions(b, 'gone/k', 3)
        other = self.put_versions(b, 'other/k', 2)
        self.configure(b, rule('keep-two', prefix='keep/', noncurrent_days=1, newer_noncurrent=2),
                       rule('all', prefix='gone/', noncurrent_days=1))
        expected = {'keep/k': (keep[3], set(keep[1:]), set()), 'gone/k': (gone[2], {gone[2]}, set()),
                    'other/k': (other[1], set(other), set())}
        self.wait_for_versions('the noncurrent versions expire', b, expected)
        # The two newest noncurrent versions stay, however old, pass after pass.
        self.wait_passes(2)
        self.assertEqual(versions_of(self.s3, b), expected)
        self.assertEqual(self.get_body(b, 'keep/k', VersionId=keep[1]), b'v1')
        self.assertEqual(self.get_body(b, 'gone/k'), b'v2')
        # keep/k's oldest and gone/k's two; no current expired.
        self.assertEqual(self.counts(), (0, 0, 3, 0, 0))

    def test_lone_delete_markers_go_and_a_marker_over_versions_stays(self):
        b = self.versioned_bucket()
        self.configure(b, rule('markers', expired_marker=True))
        # A marker over nothing: the delete of a key never written.
        self.s3.delete_object(Bucket=b, Key='ghost')
        # A marker whose versions were all removed.
        emptied = self.put(b, 'emptied', b'x')['VersionId']
        self.s3.delete_object(Bucket=b, Key='emptied')
        self.s3.delete_object(Bucket=b, Key='emptied', VersionId=emptied)
        # A marker with a version under it.
        covered = self.put(b, 'covered', b'x')['VersionId']
        marker = self.s3.delete_object(Bucket=b, Key='covered')['VersionId']
        expected = {'covered': (marker, {covered}, {marker})}
        self.wait_for_versions('the lone markers go', b, expected)
        self.wait_passes(2)
        self.assertEqual(versions_of(self.s3, b), expected)
        self.assertEqual(self.get_body(b, 'covered', VersionId=covered), b'x')
        self.assertEqual(self.counts(), (0, 0, 0, 2, 0))

    def test_an_expired_current_is_hidden_by_a_marker(self):
        b = self.versioned_bucket()
        self.configure(b, rule('old', days=1, prefix='old/'))
        old = self.put(b, 'old/a', b'x')['VersionId']
        new = self.put(b, 'new/b', b'y')['VersionId']
        wait_for('old/a expires', lambda: keys_of(self.s3, b) == ['new/b'])
        latest, objects, markers = versions_of(self.s3, b)['old/a']
        # A marker is the current; the version stays, noncurrent, readable by its id.
        self.assertEqual(objects, {old})
        self.assertEqual(markers, {latest})
        self.assertEqual(self.get_body(b, 'old/a', VersionId=old), b'x')
        # A marker over a version is not expired: later passes add none and
        # remove none.
        self.wait_passes(2)
        self.assertEqual(versions_of(self.s3, b), {'old/a': (latest, {old}, {latest}), 'new/b': (new, {new}, set())})
        self.assertEqual(self.counts(), (1, 0, 0, 0, 0))

    def test_locked_versions_stay_until_their_lock_ends(self):
        b = unique_bucket('t')
        self.s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        # Later tests of the class count their passes' work: nothing of this
        # bucket may add to it (a pass under way at the removal still may).
        self.addCleanup(self.wait_passes, 1)
        self.addCleanup(self.s3.delete_bucket_lifecycle, Bucket=b)
        until = days_ahead(1)
        held = self.put_versions(b, 'nc/held', 1, ObjectLockLegalHoldStatus='ON') + self.put_versions(b, 'nc/held', 1)
        governed = self.put_versions(b, 'nc/governed', 1, ObjectLockMode='GOVERNANCE',
                                     ObjectLockRetainUntilDate=until) + self.put_versions(b, 'nc/governed', 1)
        plain = self.put_versions(b, 'nc/plain', 2)
        current = self.put_versions(b, 'cur/governed', 1, ObjectLockMode='GOVERNANCE', ObjectLockRetainUntilDate=until)
        self.configure(b, rule('noncurrent', prefix='nc/', noncurrent_days=1), rule('current', prefix='cur/', days=1))
        # The unlocked noncurrent version goes; the locked ones stay, pass
        # after pass, each pass counting them as kept. The locked current is
        # expired as S3 does it: a delete marker over it, its data kept.
        wait_for('the unlocked noncurrent version and the current expire',
                 lambda: versions_of(self.s3, b)['nc/plain'][1] == {plain[1]} and
                 versions_of(self.s3, b)['cur/governed'][2])
        self.wait_passes(2)
        versions = versions_of(self.s3, b)
        self.assertEqual(versions['nc/held'], (held[1], set(held), set()))
        self.assertEqual(versions['nc/governed'], (governed[1], set(governed), set()))
        marker = versions['cur/governed'][0]
        self.assertEqual(versions['cur/governed'], (marker, set(current), {marker}))
        self.assertEqual(self.get_body(b, 'nc/held', VersionId=held[0]), b'v0')
        expired, _, noncurrent_deleted, _, kept = self.counts()
        self.assertEqual((expired, noncurrent_deleted), (1, 1))
        self.assertGreaterEqual(kept, 4, 'two locked versions kept in each of at least two passes')
        # A released hold frees its version for the next pass; the
        # governance retention is never bypassed by the worker.
        self.s3.put_object_legal_hold(Bucket=b, Key='nc/held', VersionId=held[0], LegalHold={'Status': 'OFF'})
        wait_for('the released version expires', lambda: versions_of(self.s3, b)['nc/held'][1] == {held[1]})
        self.wait_passes(1)
        self.assertEqual(versions_of(self.s3, b)['nc/governed'][1], set(governed))

    def test_a_suspended_bucket_expires_its_null_version(self):
        b = self.new_bucket()
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Suspended'})
        self.put(b, 'old/k', b'v0')  # the null version (its PUT answers without a version id)
        self.assertEqual(self.s3.head_object(Bucket=b, Key='old/k')['VersionId'], 'null')
        self.configure(b, rule('old', days=1, prefix='old/'))
        # The null marker replaces the null version; then, alone, it goes
        # too (Days removes a lone marker as S3 does): nothing is left.
        wait_for('old/k and its marker go', lambda: versions_of(self.s3, b) == {},
                 explain=lambda: str(versions_of(self.s3, b)))
        # The pass that removed the marker may not have ended yet.
        wait_for('the pass ends', lambda: self.counts() == (1, 0, 0, 1, 0), explain=lambda: str(self.counts()))

    def test_noncurrent_rules_by_tag_and_prefix(self):
        b = self.versioned_bucket()
        self.configure(b, rule('tmp', prefix='t/', tags={'class': 'tmp'}, noncurrent_days=1))
        self.put(b, 't/k', b'1', Tagging='class=tmp')
        keep = self.put(b, 't/k', b'2', Tagging='class=keep')['VersionId']
        current = self.put(b, 't/k', b'3', Tagging='class=tmp')['VersionId']
        other = [self.put(b, 'u/k', b'1', Tagging='class=tmp')['VersionId'], self.put(b, 'u/k', b'2')['VersionId']]
        expected = {'t/k': (current, {keep, current}, set()), 'u/k': (other[1], set(other), set())}
        self.wait_for_versions("the tagged noncurrent version under t/ expires", b, expected)
        self.wait_passes(2)
        self.assertEqual(versions_of(self.s3, b), expected)
        self.assertEqual(self.counts(), (0, 0, 1, 0, 0))

    def test_a_size_filter_never_matches_a_noncurrent_marker(self):
        b = self.versioned_bucket()
        small = self.put(b, 'k', b'x')['VersionId']
        marker = self.s3.delete_object(Bucket=b, Key='k')['VersionId']
        current = self.put(b, 'k', b'y')['VersionId']
        self.configure(b, dict(rule('small', noncurrent_days=1), Filter={'ObjectSizeLessThan': 100}))
        # The small noncurrent version goes; the marker (no size) stays.
        expected = {'k': (current, {current}, {marker})}
        self.wait_for_versions('the small noncurrent version expires', b, expected)
        self.wait_passes(2)
        self.assertEqual(versions_of(self.s3, b), expected)
        self.assertNotEqual(small, marker)
        self.assertEqual(self.counts(), (0, 0, 1, 0, 0))


class VersionedPagesLifecycleTests(GatewayTestCase):
    """Noncurrent expiration when a key's versions run over pages: a "null"
    version the pass removes at a page's end, and a current a client deletes
    by id (a rollback) between two pages of its key."""

    # Its own gateway: pages of two versions.
    gateway_args = WORKER_ARGS + ('--lifecycle-page-size', '2')

    configure = VersionedLifecycleTests.configure
    wait_for_versions = VersionedLifecycleTests.wait_for_versions
    wait_passes = VersionedLifecycleTests.wait_passes

    def test_a_removed_null_version_leaves_the_newer_noncurrent_kept(self):
        b = self.new_bucket()
        # k's oldest is the null version written before versioning, with
        # three newer noncurrent versions over it and a current on top.
        null = self.put(b, 'k', b'null').get('VersionId', 'null')
        enable_versioning(self.s3, b)
        a = self.put(b, 'a', b'a')['VersionId']
        older = [self.put(b, 'k', f'v{i}'.encode())['VersionId'] for i in (3, 2, 1)]
        current = self.put(b, 'k', b'c')['VersionId']
        z = self.put(b, 'z', b'z')['VersionId']
        self.assertEqual(null, 'null')
        self.assertEqual(versions_of(self.s3, b)['k'], (current, {current, null, *older}, set()))
        # All due at the first pass that sees the rule: pages [a, c] [v1, v2]
        # [v3, null], the null (the fourth noncurrent) removed at a page's
        # end, then k listed again from its newest.
        time.sleep(2.5 * DAY_SECONDS)
        self.configure(b, rule('keep-three', noncurrent_days=1, newer_noncurrent=3))
        expected = {'a': (a, {a}, set()), 'k': (current, {current, *older}, set()), 'z': (z, {z}, set())}
        self.wait_for_versions('the null version expires', b, expected)
        # The three newest noncurrent versions stay, pass after pass.
        self.wait_passes(2)
        self.assertEqual(versions_of(self.s3, b), expected)
        for version_id, body in zip(older, (b'v3', b'v2', b'v1')):
            self.assertEqual(self.get_body(b, 'k', VersionId=version_id), body)


class VersionedRollbackLifecycleTests(GatewayTestCase):
    """A client deletes a key's current by id while a pass is between that
    current's page and the next: the version it promoted is the current
    now, and the pass must not remove it as the noncurrent version it was."""

    # Pages of three entries, three seconds apart: time to act between two.
    gateway_args = WORKER_ARGS + ('--lifecycle-page-size', '3', '--lifecycle-page-pause-ms', '3000')

    configure = VersionedLifecycleTests.configure

    def test_a_version_promoted_by_a_rollback_between_pages_stays(self):
        b = self.new_bucket()
        enable_versioning(self.s3, b)
        previous = self.put(b, 'k', b'previous')['VersionId']
        bad = self.put(b, 'k', b'bad')['VersionId']
        # 'a' sorts first: its noncurrent version goes on the page of k's
        # current, which shows when that page is done.
        self.put(b, 'a', b'old')  # a_old below
        a = self.put(b, 'a', b'new')['VersionId']
        time.sleep(2.5 * DAY_SECONDS)
        self.configure(b, rule('noncurrent', noncurrent_days=1))
        # Page [a, a_old, bad]: a_old removed; then, before the page
        # [previous], the client rolls k back to its previous version.
        wait_for('the first page is done', lambda: versions_of(self.s3, b)['a'] == (a, {a}, set()),
                 explain=lambda: str(versions_of(self.s3, b)))
        self.s3.delete_object(Bucket=b, Key='k', VersionId=bad)
        start = len(passes_done(self.gw))
        wait_for('two more passes', lambda: len(passes_done(self.gw)) >= start + 2, timeout=60)
        self.assertEqual(versions_of(self.s3, b), {'a': (a, {a}, set()), 'k': (previous, {previous}, set())})
        self.assertEqual(self.get_body(b, 'k'), b'previous')

    def test_a_noncurrent_version_deleted_between_pages_shifts_the_ranks(self):
        b = self.new_bucket()
        enable_versioning(self.s3, b)
        # A lone marker on 'a' (it sorts first), which the page removes.
        self.s3.delete_object(Bucket=b, Key='a')
        v1, v2, v3, v4 = (self.put(b, 'k', body)['VersionId'] for body in (b'v1', b'v2', b'v3', b'v4'))
        time.sleep(2.5 * DAY_SECONDS)
        self.configure(b, rule('newest-noncurrent', noncurrent_days=1, newer_noncurrent=1, expired_marker=True))
        # Page [a, v4, v3]: the marker goes, v3 is kept (the newest
        # noncurrent). Before the page [v2, v1] the client deletes v3: v2 is
        # the newest noncurrent now, which S3 keeps; v1 goes.
        wait_for('the first page is done', lambda: 'a' not in versions_of(self.s3, b),
                 explain=lambda: str(versions_of(self.s3, b)))
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v3)
        expected = {'k': (v4, {v4, v2}, set())}
        wait_for('the oldest version expires', lambda: versions_of(self.s3, b) == expected,
                 explain=lambda: f'{versions_of(self.s3, b)} != {expected}')
        start = len(passes_done(self.gw))
        wait_for('two more passes', lambda: len(passes_done(self.gw)) >= start + 2, timeout=60)
        self.assertEqual(versions_of(self.s3, b), expected)
        self.assertEqual(self.get_body(b, 'k', VersionId=v2), b'v2')


def kill(gw):
    """SIGKILL, as a crash: no clean stop, nothing checked."""
    proc, gw.proc = gw.proc, None
    proc.kill()
    proc.wait()
    gw._stderr.close()
    gw._pump.join(timeout=5)
    proc.stdout.close()


class LifecycleCrashTests(GatewayTestCase):
    """A pass killed half-way, resumed by the gateway started again."""

    # A year's day at first: the first pass runs at start, with nothing to do.
    gateway_args = ('--lifecycle-day-seconds', str(365 * 86400), '--lifecycle-interval-seconds', '1')
    # Then a second's day: the next second is a new day, so a pass begins at
    # once, two objects a page and slowly enough to be killed half-way.
    slow_pass_args = ['--lifecycle-day-seconds', '1', '--lifecycle-interval-seconds', '1', '--lifecycle-page-size',
                      '2', '--lifecycle-page-pause-ms', '400']

    def start_a_slow_pass(self):
        """40 objects a Date rule expires, and a pass over them under way
        (restarted with slow_pass_args); returns the bucket and the keys."""
        b = self.new_bucket()
        keys = [f'old/{i:03d}' for i in range(40)]
        for key in keys:
            self.put(b, key, b'old')
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
            rule('date', date=PAST_DATE, prefix='old/')]})
        wait_for('the first pass', lambda: passes_done(self.gw))
        self.assertEqual(len(keys_of(self.s3, b)), 40, 'the first pass ran before the configuration was set')
        self.gw.stop(keep_dir=True)
        self.gw.extra_args = self.slow_pass_args
        self.gw.start()
        self.s3 = self.gw.client()  # a new port
        wait_for('the pass to be under way', lambda: 0 < 40 - len(keys_of(self.s3, b)) <= 20)
        return b, keys

    def test_a_killed_pass_resumes_where_it_was(self):
        b, keys = self.start_a_slow_pass()
        # Written after the pass began, behind where it is: a pass begun
        # before them must leave them, resumed or not; one begun again after
        # the restart (a new `now`) would not.
        rewritten = keys[-2:]
        for key in rewritten:
            self.put(b, key, b'new')
        self.put(b, 'old/zzz-new', b'new')
        before_kill = keys_of(self.s3, b)
        kill(self.gw)
        self.assertTrue(3 < len(before_kill) < 43, before_kill)
        self.assertEqual(len(passes_done(self.gw)), 1, 'the second pass ended before the kill')
        # Started again with a year's day: the pass under way is resumed
        # (whatever the day), and no other begins after it.
        self.gw.extra_args = list(self.gateway_args)
        self.gw.start()
        self.s3 = self.gw.client()
        wait_for('the resumed pass ends', lambda: passes_done(self.gw)[1:], timeout=60,
                 explain=lambda: self.gw.stderr_text()[-2000:])
        # Nothing skipped, nothing written since deleted.
        self.assertEqual(keys_of(self.s3, b), sorted(rewritten + ['old/zzz-new']))
        for key in rewritten + ['old/zzz-new']:
            self.assertEqual(self.get_body(b, key), b'new')
        # The restarted gateway deleted only what the killed one had left.
        _, expired, _ = passes_done(self.gw)[1]
        self.assertLessEqual(expired, len(before_kill) - 3)
        self.assertEqual(len(passes_done(self.gw)), 2)


class LifecycleVersionedCrashTests(GatewayTestCase):
    """A pass over a versioned bucket killed half-way and resumed: every
    version is evaluated once as the bucket was at the pass's start, so none
    is skipped, none removed that the uninterrupted pass would keep, and no
    current gets two markers."""

    gateway_args = LifecycleCrashTests.gateway_args
    slow_pass_args = LifecycleCrashTests.slow_pass_args

    def test_a_killed_pass_over_versions_resumes_where_it_was(self):
        b = self.new_bucket()
        enable_versioning(self.s3, b)
        # 20 keys of three versions each: the pass hides each current behind
        # a marker (Date) and removes the noncurrent versions but the newest
        # (a day after they became noncurrent). Two entries a page: a key's
        # versions run over a page's end every other key, its oldest then
        # evaluated with what the record carried over.
        keys = [f'old/{i:03d}' for i in range(20)]
        written = {key: [self.put(b, key, body)['VersionId'] for body in (b'1', b'2', b'3')] for key in keys}
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
            dict(rule('old', date=PAST_DATE, prefix='old/'),
                 NoncurrentVersionExpiration={'NoncurrentDays': 1, 'NewerNoncurrentVersions': 1})]})
        wait_for('the first pass', lambda: passes_done(self.gw))
        self.assertEqual(len(keys_of(self.s3, b)), 20, 'the first pass ran before the configuration was set')
        # The older versions became noncurrent over two of the short days
        # before the pass begins.
        time.sleep(2.5)
        self.gw.stop(keep_dir=True)
        self.gw.extra_args = self.slow_pass_args
        self.gw.start()
        self.s3 = self.gw.client()
        wait_for('the pass to be under way', lambda: 0 < 20 - len(keys_of(self.s3, b)) <= 10)
        # Written after the pass began, where it has not been yet: the pass
        # sees the keys as they were, so it hides neither the new version
        # nor the one that was current, and keeps the newest noncurrent.
        rewritten = keys[-2:]
        fourth = {key: self.put(b, key, b'4')['VersionId'] for key in rewritten}
        kill(self.gw)
        self.assertEqual(len(passes_done(self.gw)), 1, 'the second pass ended before the kill')
        # Started again with the same day (the noncurrent days count in it)
        # but an hour between passes: the pass under way is resumed at once,
        # and no other begins after it. At once means with the role free:
        # on RADOS the killed holder's lease runs out first.
        if on_rados():
            time.sleep(ROLE_LEASE_SECONDS + 2)
        self.gw.extra_args = ['--lifecycle-day-seconds', '1', '--lifecycle-interval-seconds', '3600']
        self.gw.start()
        self.s3 = self.gw.client()
        wait_for('the resumed pass ends', lambda: passes_done(self.gw)[1:], timeout=60,
                 explain=lambda: self.gw.stderr_text()[-2000:])
        versions = versions_of(self.s3, b)
        self.assertEqual(sorted(versions), keys)
        for key in keys:
            first, second, third = written[key]
            latest, objects, markers = versions[key]
            if key in rewritten:
                self.assertEqual((latest, objects, markers), (fourth[key], {second, third, fourth[key]}, set()), key)
            else:
                # One marker, over the two newest versions; the oldest removed.
                self.assertEqual(objects, {second, third}, key)
                self.assertEqual(markers, {latest}, key)
        self.assertEqual(keys_of(self.s3, b), sorted(rewritten))
        self.assertEqual(len(passes_done(self.gw)), 2)


class LifecycleRulesRemovedTests(GatewayTestCase):
    """Rules removed while a pass is under way (a gateway of its own)."""

    gateway_args = LifecycleCrashTests.gateway_args
    slow_pass_args = LifecycleCrashTests.slow_pass_args
    start_a_slow_pass = LifecycleCrashTests.start_a_slow_pass

    def test_rules_removed_during_a_pass_stop_applying_at_once(self):
        b, _ = self.start_a_slow_pass()
        # A provider's customer sees the wrong rule at work and removes it:
        # the pass under way stops deleting at its next page.
        self.s3.delete_bucket_lifecycle(Bucket=b)
        left = keys_of(self.s3, b)
        wait_for('the pass ends', lambda: passes_done(self.gw)[1:], timeout=60,
                 explain=lambda: self.gw.stderr_text()[-2000:])
        # At most the page in hand when the rules went (2 objects) goes after.
        self.assertGreaterEqual(len(keys_of(self.s3, b)), len(left) - 2)
        self.assertGreater(len(left), 10)


class LifecycleDayLengthTests(GatewayTestCase):
    """The last pass is recorded as a time, not as a day of the day length in
    force: a record written with a short day does not hold back a gateway
    started with a longer one (with the day number stored, a 2 s day's
    number is twice a 5 s day's: no pass for decades)."""

    gateway_args = WORKER_ARGS
    longer_day_seconds = 5

    def test_a_longer_day_does_not_stop_the_passes(self):
        wait_for('a pass of the short day', lambda: passes_done(self.gw))
        self.gw.stop(keep_dir=True)
        self.gw.extra_args = ['--lifecycle-day-seconds', str(self.longer_day_seconds),
                              '--lifecycle-interval-seconds', '1']
        self.gw.start()
        self.s3 = self.gw.client()
        passes_before = len(passes_done(self.gw))
        b = self.new_bucket()
        self.put(b, 'old/k', b'x')
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
            rule('date', date=PAST_DATE, prefix='old/')]})
        # The next day of the longer length begins within one such day.
        wait_for('a pass of the longer day expires the object', lambda: keys_of(self.s3, b) == [],
                 timeout=3 * self.longer_day_seconds, explain=lambda: self.gw.stderr_text()[-2000:])
        # The deleting pass ends (its line comes after its last page).
        wait_for('the pass ends', lambda: len(passes_done(self.gw)) > passes_before,
                 timeout=3 * self.longer_day_seconds)


class LifecyclePagePauseTests(GatewayTestCase):
    """A pause between pages the role's lease would not survive is refused at
    the start, with the reason."""

    def test_a_pause_of_a_quarter_lease_is_refused(self):
        data = tempfile.mkdtemp(prefix='ostor-lifecycle-pause-')
        spec, data_args = fresh_volume(data)
        try:
            # 7500 ms is a quarter of the 30 s lease; 60000 was accepted before.
            for pause in ('7500', '60000'):
                with self.subTest(pause=pause):
                    run = subprocess.run([gateway_path()] + data_args + ['--listen', '127.0.0.1:0',
                                         '--lifecycle-page-pause-ms', pause],
                                         capture_output=True, text=True, timeout=30)
                    self.assertNotEqual(run.returncode, 0)
                    self.assertIn('--lifecycle-page-pause-ms wants a number from 0 to 7499', run.stderr)
                    self.assertIn("lifecycle role's lease", run.stderr)
        finally:
            shutil.rmtree(data, ignore_errors=True)
            if on_rados():
                remove_rados_volume(spec)


class TwoGatewaysTests(GatewayTestCase):
    """One volume, two gateways: one works, the other takes over when it stops."""

    gateway_args = WORKER_ARGS

    def test_one_gateway_works_and_the_other_takes_over(self):
        second = self.gw.sharing_volume().start()
        self.addCleanup(second.stop)
        b = self.new_bucket()
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
            rule('all', days=1)]})
        # A few days: one gateway ran every pass, the other none.
        wait_for('three passes', lambda: len(passes_done(self.gw)) + len(passes_done(second)) >= 3)
        workers = [g for g in (self.gw, second) if passes_done(g)]
        self.assertEqual(len(workers), 1, 'both gateways ran passes')
        worker = workers[0]
        idle = second if worker is self.gw else self.gw
        self.put(b, 'k', b'x', client=worker.client() if worker is not self.gw else None)
        wait_for('the object expires', lambda: keys_of(self.s3 if idle is self.gw else idle.client(), b) == [])
        # The worker stops; the other takes the role over (at once when the
        # role was released, as a clean stop does).
        worker.stop(keep_dir=True)
        idle_s3 = idle.client()
        self.put(b, 'k2', b'x', client=idle_s3)
        wait_for('the other gateway expires it', lambda: keys_of(idle_s3, b) == [], timeout=60)
        self.assertTrue(passes_done(idle))
        if worker is self.gw:
            self.gw.start()  # for the class's cleanup, which drops the volume


if __name__ == '__main__':
    # The file mostly waits for its workers' "days": three processes at once,
    # each about a third of the whole.
    main(groups_at_once=[
        ['VersionedRollbackLifecycleTests'],
        ['VersionedLifecycleTests'],
        ['LifecycleConfigurationTests', 'LifecycleWorkerTests', 'VersionedPagesLifecycleTests', 'LifecycleCrashTests',
         'LifecycleVersionedCrashTests', 'LifecycleRulesRemovedTests', 'LifecycleDayLengthTests',
         'LifecyclePagePauseTests', 'TwoGatewaysTests'],
    ])
