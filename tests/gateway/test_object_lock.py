#!/usr/bin/env python3
"""Object lock (docs/versioning.md, "Object lock") through the gateway:
CreateBucket with x-amz-bucket-object-lock-enabled, Put/GetObjectLockConfiguration,
Put/GetObjectRetention, Put/GetObjectLegalHold, the x-amz-object-lock-* headers
of PUT, copy, CreateMultipartUpload, GET and HEAD and POST Object's lock
fields, deletes of locked versions (one or many) and
x-amz-bypass-governance-retention (s3:BypassGovernanceRetention); every
refusal changes nothing. Dates are a few days from now. COMPLIANCE versions,
which nothing removes, are written only into buckets left to the volume's
removal (the harness drops the whole volume)."""

import json
from datetime import datetime, timedelta, timezone

import requests

from harness import TwoUserTestCase, days_ahead, main, md5_header, unique_bucket

XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/'
MISSING_DIGEST = 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with ' \
                 'Object Lock parameters'
LOCK_CALL_DIGEST = 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*'


def iso(when):
    return when.strftime('%Y-%m-%dT%H:%M:%SZ')


def lock_config_xml(inner):
    return f'<ObjectLockConfiguration xmlns="{XMLNS}">{inner}</ObjectLockConfiguration>'.encode()


def default_retention_xml(mode='GOVERNANCE', period='<Days>2</Days>'):
    return lock_config_xml('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
                           f'<Mode>{mode}</Mode>{period}</DefaultRetention></Rule>')


def retention_xml(mode, until):
    return f'<Retention xmlns="{XMLNS}"><Mode>{mode}</Mode><RetainUntilDate>{until}</RetainUntilDate>' \
           '</Retention>'.encode()


class ObjectLockTests(TwoUserTestCase):

    # ---- helpers ---------------------------------------------------------
    def lock_bucket(self, client=None):
        name = unique_bucket('lock')
        (client or self.s3).create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        return name

    def versions_of(self, bucket, key):
        """(version id, is a marker) of the key, newest first."""
        r = self.s3.list_object_versions(Bucket=bucket, Prefix=key)
        entries = [(v['VersionId'], False, v['LastModified']) for v in r.get('Versions', []) if v['Key'] == key]
        entries += [(m['VersionId'], True, m['LastModified']) for m in r.get('DeleteMarkers', [])
                    if m['Key'] == key]
        return sorted([(v, marker) for v, marker, _ in entries])

    def lock_config(self, bucket):
        return self.s3.get_object_lock_configuration(Bucket=bucket)['ObjectLockConfiguration']

    def retention(self, bucket, key, version_id):
        return self.s3.get_object_retention(Bucket=bucket, Key=key, VersionId=version_id)['Retention']

    def raw_put(self, bucket, key, body=b'data', headers=None, md5=False):
        h = dict(headers or {})
        if md5:
            h.update(md5_header(body))
        return self.gw.request('PUT', f'/{bucket}/{key}', headers=h, body=body)

    def put_governed(self, bucket, key, body=b'data', days=2, **kw):
        r = self.put(bucket, key, body, ObjectLockMode='GOVERNANCE', ObjectLockRetainUntilDate=days_ahead(days),
                     **kw)
        return r['VersionId']

    def set_policy(self, bucket, *statements):
        self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [
            {'Effect': effect, 'Principal': principal, 'Action': action, 'Resource': f'arn:aws:s3:::{bucket}/*'}
            for effect, principal, action in statements]}))

    # ---- the bucket --------------------------------------------------------
    def test_lock_bucket_is_versioned_for_good(self):
        b = self.lock_bucket()
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b).get('Status'), 'Enabled')
        self.assertEqual(self.lock_config(b), {'ObjectLockEnabled': 'Enabled'})
        e = self.assertClientError(self.s3.put_bucket_versioning, 409, 'InvalidBucketState', Bucket=b,
                                   VersioningConfiguration={'Status': 'Suspended'})
        self.assertIn('Object Lock configuration is present', str(e))
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b).get('Status'), 'Enabled')
        # Enabled again is no change, and allowed.
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
        # Lock is never removed: no DELETE of it, and not the bucket's DELETE either.
        self.assertError(self.gw.request('DELETE', f'/{b}', 'object-lock'), 405, 'MethodNotAllowed')
        self.assertEqual(self.lock_config(b), {'ObjectLockEnabled': 'Enabled'})
        self.s3.head_bucket(Bucket=b)

    def test_plain_bucket_has_no_lock_and_gets_none(self):
        b = self.new_bucket(prefix='plain')
        self.assertClientError(self.s3.get_object_lock_configuration, 404, 'ObjectLockConfigurationNotFoundError',
                               Bucket=b)
        # Lock is turned on for a bucket made without it only once its
        # versioning is Enabled (as AWS does since 2023): before, refused
        # with S3's words, and nothing changes.
        body = default_retention_xml()
        suspended = self.new_bucket(prefix='suspended')
        self.s3.put_bucket_versioning(Bucket=suspended, VersioningConfiguration={'Status': 'Suspended'})
        for bucket, versioning in [(b, None), (suspended, 'Suspended')]:
            r = self.gw.request('PUT', f'/{bucket}', 'object-lock', headers=md5_header(body), body=body)
            self.assertError(r, 409, 'InvalidBucketState')
            self.assertEqual(r.xml().findtext('Message'),
                             "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
            self.assertClientError(self.s3.get_object_lock_configuration, 404,
                                   'ObjectLockConfigurationNotFoundError', Bucket=bucket)
            self.assertEqual(self.s3.get_bucket_versioning(Bucket=bucket).get('Status'), versioning)
        # Asking for lock again on one's own bucket made without it is no
        # quiet success: AWS's answer to the owner. A plain re-create stays
        # us-east-1's 200.
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyOwnedByYou', Bucket=b,
                               ObjectLockEnabledForBucket=True)
        self.s3.create_bucket(Bucket=b)
        self.assertClientError(self.s3.get_object_lock_configuration, 404, 'ObjectLockConfigurationNotFoundError',
                               Bucket=b)
        # The lock calls on its objects.
        self.put(b, 'k', b'x')
        for call, kw in [(self.s3.get_object_retention, {}), (self.s3.get_object_legal_hold, {}),
                         (self.s3.put_object_retention,
                          {'Retention': {'Mode': 'GOVERNANCE', 'RetainUntilDate': days_ahead(2)}}),
                         (self.s3.put_object_legal_hold, {'LegalHold': {'Status': 'ON'}})]:
            e = self.assertClientError(call, 400, 'InvalidRequest', Bucket=b, Key='k', **kw)
            self.assertIn('Bucket is missing Object Lock Configuration', str(e))
        # Lock headers on its writes.
        lock = {'ObjectLockMode': 'GOVERNANCE', 'ObjectLockRetainUntilDate': days_ahead(2)}
        e = self.assertClientError(self.put, 400, 'InvalidRequest', b, 'locked', b'x', **lock)
        self.assertIn('Bucket is missing ObjectLockConfiguration', str(e))
        self.assertClientError(self.put, 400, 'InvalidRequest', b, 'held', b'x', ObjectLockLegalHoldStatus='ON')
        self.assertClientError(self.s3.copy_object, 400, 'InvalidRequest', Bucket=b, Key='locked',
                               CopySource={'Bucket': b, 'Key': 'k'}, **lock)
        self.assertClientError(self.s3.create_multipart_upload, 400, 'InvalidRequest', Bucket=b, Key='locked',
                               **lock)
        listed = self.s3.list_objects_v2(Bucket=b)
        self.assertEqual([o['Key'] for o in listed['Contents']], ['k'])
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []), [])

    def test_a_versioned_bucket_made_without_lock_takes_it(self):
        b = self.new_bucket(prefix='later')
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
        before = self.put(b, 'k', b'old')['VersionId']
        body = default_retention_xml()
        r = self.gw.request('PUT', f'/{b}', 'object-lock', headers=md5_header(body), body=body)
        self.assertEqual(r.status, 200, r.body)
        got = self.s3.get_object_lock_configuration(Bucket=b)['ObjectLockConfiguration']
        self.assertEqual(got, {'ObjectLockEnabled': 'Enabled',
                               'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 2}}})
        # For good: versioning stays Enabled.
        self.assertClientError(self.s3.put_bucket_versioning, 409, 'InvalidBucketState', Bucket=b,
                               VersioningConfiguration={'Status': 'Suspended'})
        # The version written before has no lock and goes; a new one takes the default.
        self.assertClientError(self.s3.get_object_retention, 404, 'NoSuchObjectLockConfiguration', Bucket=b,
                               Key='k', VersionId=before)
        after = self.put(b, 'k', b'new')['VersionId']
        self.assertEqual(self.s3.get_object_retention(Bucket=b, Key='k', VersionId=after)['Retention']['Mode'],
                         'GOVERNANCE')
        self.s3.delete_object(Bucket=b, Key='k', VersionId=before)
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=after)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=after, BypassGovernanceRetention=True)

    # ---- the default retention ------------------------------------------------
    def test_lock_configuration_round_trips(self):
        b = self.lock_bucket()
        for rule in [{'Mode': 'GOVERNANCE', 'Days': 2}, {'Mode': 'COMPLIANCE', 'Years': 1},
                     {'Mode': 'GOVERNANCE', 'Years': 3}]:
            self.s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
                'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': rule}})
            self.assertEqual(self.lock_config(b), {'ObjectLockEnabled': 'Enabled',
                                                   'Rule': {'DefaultRetention': rule}})
        # Without a rule: no default retention, lock still on.
        self.s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'})
        self.assertEqual(self.lock_config(b), {'ObjectLockEnabled': 'Enabled'})
        raw = self.gw.request('GET', f'/{b}', 'object-lock')
        self.assertEqual(raw.status, 200, repr(raw))
        self.assertEqual(raw.xml().tag, 'ObjectLockConfiguration')
        self.assertNotIn(b'<Rule>', raw.body)

    def test_lock_configuration_refusals_change_nothing(self):
        b = self.lock_bucket()
        good = {'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 2}}}
        self.s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration=good)
        enabled = '<ObjectLockEnabled>Enabled</ObjectLockEnabled>'
        for body, code in [
                (b'not xml', 'MalformedXML'),
                (b'<Other/>', 'MalformedXML'),
                (lock_config_xml('<ObjectLockEnabled>Disabled</ObjectLockEnabled>'), 'MalformedXML'),
                (lock_config_xml('<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>'
                                 '</DefaultRetention></Rule>'), 'MalformedXML'),
                (lock_config_xml(enabled + '<Rule></Rule>'), 'MalformedXML'),
                (default_retention_xml(period='<Days>1</Days><Years>1</Years>'), 'MalformedXML'),
                (default_retention_xml(period=''), 'MalformedXML'),
                (default_retention_xml(mode='governance'), 'MalformedXML'),
                (default_retention_xml(mode=''), 'MalformedXML'),
                (default_retention_xml(period='<Days>two</Days>'), 'MalformedXML'),
                (default_retention_xml(period='<Days>0</Days>'), 'InvalidArgument'),
                (default_retention_xml(period='<Days>-3</Days>'), 'InvalidArgument'),
                (default_retention_xml(period='<Years>0</Years>'), 'InvalidArgument'),
                (default_retention_xml(period='<Days>40000</Days>'), 'InvalidArgument')]:
            r = self.gw.request('PUT', f'/{b}', 'object-lock', headers=md5_header(body), body=body)
            self.assertError(r, 400, code)
            self.assertEqual(self.lock_config(b), good, body)
        # A digest is required.
        body = default_retention_xml(period='<Days>9</Days>')
        r = self.gw.request('PUT', f'/{b}', 'object-lock', body=body)
        self.assertError(r, 400, 'InvalidRequest')
        self.assertIn(LOCK_CALL_DIGEST, r.body.decode())
        # Only the owner (no policy here).
        self.assertClientError(self.other.put_object_lock_configuration, 403, 'AccessDenied', Bucket=b,
                               ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'})
        self.assertClientError(self.other.get_object_lock_configuration, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.lock_config(b), good)

    def test_default_retention_applies_to_new_versions(self):
        b = self.lock_bucket()
        before = self.put(b, 'k', b'unlocked')['VersionId']
        self.s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 1}}})
        now = datetime.now(timezone.utc)
        v = self.put(b, 'k', b'locked')['VersionId']
        head = self.s3.head_object(Bucket=b, Key='k', VersionId=v)
        self.assertEqual(head['ObjectLockMode'], 'GOVERNANCE')
        until = head['ObjectLockRetainUntilDate']
        self.assertLess(abs((until - (now + timedelta(days=1))).total_seconds()), 120)
        self.assertEqual(self.retention(b, 'k', v), {'Mode': 'GOVERNANCE', 'RetainUntilDate': until})
        # Versions of before keep none.
        self.assertNotIn('ObjectLockMode', self.s3.head_object(Bucket=b, Key='k', VersionId=before))
        self.assertClientError(self.s3.get_object_retention, 404, 'NoSuchObjectLockConfiguration', Bucket=b,
                               Key='k', VersionId=before)
        # A body written into it needs a digest, lock headers or not.
        r = self.raw_put(b, 'k', b'no digest')
        self.assertError(r, 400, 'InvalidRequest')
        self.assertIn(MISSING_DIGEST, r.body.decode())
        self.assertEqual(len(self.versions_of(b, 'k')), 2)
        self.assertEqual(self.raw_put(b, 'k', b'with digest', md5=True).status, 200)
        self.assertEqual(len(self.versions_of(b, 'k')), 3)
        # The locked version stays; the older goes; the owner bypasses.
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=before)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v, BypassGovernanceRetention=True)
        self.assertNotIn(v, [vid for vid, _ in self.versions_of(b, 'k')])

    # ---- lock headers on writes and reads ------------------------------------------
    def test_put_with_lock_headers(self):
        b = self.lock_bucket()
        until = days_ahead(3)
        v = self.put(b, 'k', b'body', ObjectLockMode='GOVERNANCE', ObjectLockRetainUntilDate=until,
                     ObjectLockLegalHoldStatus='ON')['VersionId']
        for read in [self.s3.head_object, self.s3.get_object]:
            r = read(Bucket=b, Key='k', VersionId=v)
            self.assertEqual((r['ObjectLockMode'], r['ObjectLockRetainUntilDate'], r['ObjectLockLegalHoldStatus']),
                             ('GOVERNANCE', until, 'ON'))
        self.assertEqual(self.retention(b, 'k', v), {'Mode': 'GOVERNANCE', 'RetainUntilDate': until})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='k', VersionId=v)['LegalHold'],
                         {'Status': 'ON'})
        # A hold alone: no retention (the bucket has no default).
        held = self.put(b, 'h', b'x', ObjectLockLegalHoldStatus='ON')['VersionId']
        r = self.s3.head_object(Bucket=b, Key='h', VersionId=held)
        self.assertEqual(r['ObjectLockLegalHoldStatus'], 'ON')
        self.assertNotIn('ObjectLockMode', r)
        # A version without any lock shows no header.
        plain = self.put(b, 'p', b'x')['VersionId']
        r = self.s3.head_object(Bucket=b, Key='p', VersionId=plain)
        self.assertFalse({'ObjectLockMode', 'ObjectLockRetainUntilDate', 'ObjectLockLegalHoldStatus'} & set(r))
        self.s3.put_object_legal_hold(Bucket=b, Key='k', VersionId=v, LegalHold={'Status': 'OFF'})
        self.s3.put_object_legal_hold(Bucket=b, Key='h', VersionId=held, LegalHold={'Status': 'OFF'})
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v, BypassGovernanceRetention=True)

    def test_lock_header_refusals_change_nothing(self):
        b = self.lock_bucket()
        until = iso(days_ahead(2))
        for headers, code in [
                ({'x-amz-object-lock-mode': 'GOVERNANCE'}, 'InvalidArgument'),
                ({'x-amz-object-lock-retain-until-date': until}, 'InvalidArgument'),
                ({'x-amz-object-lock-mode': 'governance', 'x-amz-object-lock-retain-until-date': until},
                 'InvalidArgument'),
                ({'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': 'tomorrow'},
                 'InvalidArgument'),
                ({'x-amz-object-lock-mode': 'GOVERNANCE',
                  'x-amz-object-lock-retain-until-date': iso(days_ahead(-1))}, 'InvalidArgument'),
                ({'x-amz-object-lock-legal-hold': 'YES'}, 'InvalidArgument')]:
            r = self.raw_put(b, 'k', headers=headers, md5=True)
            self.assertError(r, 400, code)
        # Well-formed lock headers need a digest of the body.
        for headers in [{'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': until},
                        {'x-amz-object-lock-legal-hold': 'ON'}]:
            r = self.raw_put(b, 'k', headers=headers)
            self.assertError(r, 400, 'InvalidRequest')
            self.assertIn(MISSING_DIGEST, r.body.decode())
        self.assertEqual(self.versions_of(b, 'k'), [])
        # Copies and uploads are refused alike, with nothing made.
        src = self.put(b, 'src', b'source')['VersionId']
        self.assertClientError(self.s3.copy_object, 400, 'InvalidArgument', Bucket=b, Key='k',
                               CopySource={'Bucket': b, 'Key': 'src'}, ObjectLockMode='GOVERNANCE')
        self.assertClientError(self.s3.create_multipart_upload, 400, 'InvalidArgument', Bucket=b, Key='k',
                               ObjectLockRetainUntilDate=days_ahead(2))
        self.assertEqual(self.versions_of(b, 'k'), [])
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []), [])
        self.assertEqual(self.versions_of(b, 'src'), [(src, False)])

    def test_copy_and_multipart_upload_take_their_own_lock(self):
        b = self.lock_bucket()
        src = self.put_governed(b, 'src', b'source')
        until = days_ahead(4)
        # A copy never takes its source's lock, only the one it asks for.
        plain = self.s3.copy_object(Bucket=b, Key='plain', CopySource={'Bucket': b, 'Key': 'src'})['VersionId']
        self.assertNotIn('ObjectLockMode', self.s3.head_object(Bucket=b, Key='plain', VersionId=plain))
        locked = self.s3.copy_object(Bucket=b, Key='locked', CopySource={'Bucket': b, 'Key': 'src'},
                                     ObjectLockMode='GOVERNANCE', ObjectLockRetainUntilDate=until,
                                     ObjectLockLegalHoldStatus='ON')['VersionId']
        r = self.s3.head_object(Bucket=b, Key='locked', VersionId=locked)
        self.assertEqual((r['ObjectLockMode'], r['ObjectLockRetainUntilDate'], r['ObjectLockLegalHoldStatus']),
                         ('GOVERNANCE', until, 'ON'))
        # An upload keeps the lock it was created with to its completion.
        up = self.s3.create_multipart_upload(Bucket=b, Key='mp', ObjectLockMode='GOVERNANCE',
                                             ObjectLockRetainUntilDate=until)['UploadId']
        # Its parts need a digest, as S3 asks.
        r = self.gw.request('PUT', f'/{b}/mp', f'partNumber=1&uploadId={up}', body=b'p' * 100)
        self.assertError(r, 400, 'InvalidRequest')
        self.assertIn('Put Part requests with Object Lock parameters', r.body.decode())
        part = self.s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=b'p' * 100,
                                   ContentMD5=md5_header(b'p' * 100)['Content-MD5'])
        done = self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
        r = self.s3.head_object(Bucket=b, Key='mp', VersionId=done['VersionId'])
        self.assertEqual((r['ObjectLockMode'], r['ObjectLockRetainUntilDate']), ('GOVERNANCE', until))
        self.assertNotIn('ObjectLockLegalHoldStatus', r)
        self.s3.put_object_legal_hold(Bucket=b, Key='locked', VersionId=locked, LegalHold={'Status': 'OFF'})
        for key, vid in [('src', src), ('locked', locked), ('mp', done['VersionId'])]:
            self.s3.delete_object(Bucket=b, Key=key, VersionId=vid, BypassGovernanceRetention=True)

    def test_lock_headers_only_to_those_who_may_read_them(self):
        b = self.lock_bucket()
        v = self.put(b, 'k', b'body', ObjectLockMode='GOVERNANCE', ObjectLockRetainUntilDate=days_ahead(2),
                     ObjectLockLegalHoldStatus='ON', ACL='public-read')['VersionId']
        lock_fields = {'ObjectLockMode', 'ObjectLockRetainUntilDate', 'ObjectLockLegalHoldStatus'}
        r = self.other.head_object(Bucket=b, Key='k', VersionId=v)
        self.assertFalse(lock_fields & set(r), r)
        self.assertClientError(self.other.get_object_retention, 403, 'AccessDenied', Bucket=b, Key='k',
                               VersionId=v)
        self.assertClientError(self.other.get_object_legal_hold, 403, 'AccessDenied', Bucket=b, Key='k',
                               VersionId=v)
        # A policy gives the retention to read, and only it.
        self.set_policy(b, ('Allow', {'AWS': self.other_id}, 's3:GetObjectRetention'))
        r = self.other.get_object(Bucket=b, Key='k', VersionId=v)
        self.assertEqual(r['ObjectLockMode'], 'GOVERNANCE')
        self.assertNotIn('ObjectLockLegalHoldStatus', r)
        self.assertEqual(self.other.get_object_retention(Bucket=b, Key='k', VersionId=v)['Retention']['Mode'],
                         'GOVERNANCE')
        self.assertClientError(self.other.get_object_legal_hold, 403, 'AccessDenied', Bucket=b, Key='k',
                               VersionId=v)
        # And a Deny hides them from the owner too.
        self.set_policy(b, ('Deny', '*', ['s3:GetObjectRetention', 's3:GetObjectLegalHold']))
        r = self.s3.head_object(Bucket=b, Key='k', VersionId=v)
        self.assertFalse(lock_fields & set(r), r)
        self.assertClientError(self.s3.get_object_retention, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v)
        self.s3.delete_bucket_policy(Bucket=b)
        self.s3.put_object_legal_hold(Bucket=b, Key='k', VersionId=v, LegalHold={'Status': 'OFF'})
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v, BypassGovernanceRetention=True)

    def test_lock_headers_on_writes_need_the_permission(self):
        b = self.lock_bucket()
        other = {'AWS': self.other_id}
        self.set_policy(b, ('Allow', other, 's3:PutObject'))
        # Writing is granted; locking what one writes is not.
        self.put(b, 'plain', b'x', client=self.other)
        self.assertClientError(self.put, 403, 'AccessDenied', b, 'k', b'x', client=self.other,
                               ObjectLockMode='GOVERNANCE', ObjectLockRetainUntilDate=days_ahead(2))
        self.assertClientError(self.put, 403, 'AccessDenied', b, 'k', b'x', client=self.other,
                               ObjectLockLegalHoldStatus='ON')
        self.assertEqual(self.versions_of(b, 'k'), [])
        self.set_policy(b, ('Allow', other, ['s3:PutObject', 's3:PutObjectRetention']))
        v = self.put(b, 'k', b'x', client=self.other, ObjectLockMode='GOVERNANCE',
                     ObjectLockRetainUntilDate=days_ahead(2))['VersionId']
        self.assertClientError(self.put, 403, 'AccessDenied', b, 'held', b'x', client=self.other,
                               ObjectLockLegalHoldStatus='ON')
        self.assertEqual(self.versions_of(b, 'held'), [])
        self.s3.delete_bucket_policy(Bucket=b)
        self.assertEqual(self.retention(b, 'k', v)['Mode'], 'GOVERNANCE')
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v, BypassGovernanceRetention=True)
        self.assertEqual(self.versions_of(b, 'k'), [])

    def post_form(self, bucket, key, fields, conditions=None, data=b'posted'):
        """A browser upload (POST Object) of `data`, its policy signed by the
        owner with `conditions` (by default, one per field)."""
        if conditions is None:
            conditions = [{name: value} for name, value in fields.items()]
        post = self.s3.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=600)
        return requests.post(post['url'], data=post['fields'], files={'file': ('f.txt', data)}, timeout=30,
                             allow_redirects=False)

    def test_post_object_lock_fields(self):
        b = self.lock_bucket()
        until = days_ahead(2)
        lock = {'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': iso(until)}
        r = self.post_form(b, 'form', dict(lock, **{'x-amz-object-lock-legal-hold': 'ON'}))
        self.assertEqual(r.status_code, 204, r.text)
        v = r.headers['x-amz-version-id']
        head = self.s3.head_object(Bucket=b, Key='form', VersionId=v)
        self.assertEqual((head['ObjectLockMode'], head['ObjectLockRetainUntilDate'],
                          head['ObjectLockLegalHoldStatus']), ('GOVERNANCE', until, 'ON'))
        self.assertEqual(self.retention(b, 'form', v), {'Mode': 'GOVERNANCE', 'RetainUntilDate': until})
        # Refusals store nothing: a malformed mode or hold, a mode without
        # its date, lock fields the policy does not name (as every field).
        for fields, conditions, code in [
                (dict(lock, **{'x-amz-object-lock-mode': 'governance'}), None, 'InvalidArgument'),
                (dict(lock, **{'x-amz-object-lock-legal-hold': 'yes'}), None, 'InvalidArgument'),
                ({'x-amz-object-lock-mode': 'GOVERNANCE'}, None, 'InvalidArgument'),
                (lock, [], 'AccessDenied')]:
            r = self.post_form(b, 'refused', fields, conditions)
            self.assertEqual(r.status_code, 403 if code == 'AccessDenied' else 400, r.text)
            self.assertIn(f'<Code>{code}</Code>', r.text)
        self.assertEqual(self.versions_of(b, 'refused'), [])
        # Into a bucket without lock: refused as PutObject's headers are.
        plain = self.new_bucket(prefix='plain')
        r = self.post_form(plain, 'k', lock)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn('Bucket is missing ObjectLockConfiguration', r.text)
        self.assertNoObject(plain, 'k')
        self.s3.put_object_legal_hold(Bucket=b, Key='form', VersionId=v, LegalHold={'Status': 'OFF'})
        self.s3.delete_object(Bucket=b, Key='form', VersionId=v, BypassGovernanceRetention=True)

    # ---- retention and legal hold of a version -------------------------------------
    def test_retention_calls(self):
        b = self.lock_bucket()
        v1 = self.put(b, 'k', b'one')['VersionId']
        v2 = self.put(b, 'k', b'two')['VersionId']
        self.assertClientError(self.s3.get_object_retention, 404, 'NoSuchObjectLockConfiguration', Bucket=b,
                               Key='k', VersionId=v1)
        self.assertClientError(self.s3.get_object_legal_hold, 404, 'NoSuchObjectLockConfiguration', Bucket=b,
                               Key='k', VersionId=v1)
        d2, d3, d1 = days_ahead(2), days_ahead(3), days_ahead(1)
        r = self.s3.put_object_retention(Bucket=b, Key='k', VersionId=v1,
                                         Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d2})
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(self.retention(b, 'k', v1), {'Mode': 'GOVERNANCE', 'RetainUntilDate': d2})
        # Without a versionId: the current (v2), not v1.
        self.s3.put_object_retention(Bucket=b, Key='k', Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d1})
        self.assertEqual(self.retention(b, 'k', v2)['RetainUntilDate'], d1)
        self.assertEqual(self.retention(b, 'k', v1)['RetainUntilDate'], d2)
        # Extending is anyone's with the permission; shortening needs the bypass.
        self.s3.put_object_retention(Bucket=b, Key='k', VersionId=v1,
                                     Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d3})
        self.assertClientError(self.s3.put_object_retention, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1,
                               Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d2})
        self.assertClientError(self.s3.put_object_retention, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1,
                               Retention={})
        self.assertEqual(self.retention(b, 'k', v1)['RetainUntilDate'], d3)
        self.s3.put_object_retention(Bucket=b, Key='k', VersionId=v1, BypassGovernanceRetention=True,
                                     Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d2})
        self.assertEqual(self.retention(b, 'k', v1)['RetainUntilDate'], d2)
        # Refusals, each changing nothing.
        self.assertClientError(self.s3.put_object_retention, 400, 'InvalidArgument', Bucket=b, Key='k',
                               VersionId=v1, Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': days_ahead(-1)},
                               BypassGovernanceRetention=True)
        for body in [b'not xml', retention_xml('governance', iso(d3)), retention_xml('GOVERNANCE', 'soon'),
                     b'<Retention><Mode>GOVERNANCE</Mode></Retention>']:
            r = self.gw.request('PUT', f'/{b}/k', f'retention&versionId={v1}', headers=md5_header(body), body=body)
            self.assertError(r, 400, 'MalformedXML')
        body = retention_xml('GOVERNANCE', iso(d3))
        r = self.gw.request('PUT', f'/{b}/k', f'retention&versionId={v1}', body=body)
        self.assertError(r, 400, 'InvalidRequest')
        self.assertIn(LOCK_CALL_DIGEST, r.body.decode())
        self.assertClientError(self.s3.put_object_retention, 404, 'NoSuchVersion', Bucket=b, Key='k',
                               VersionId='0' * 24, Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d3})
        self.assertClientError(self.s3.put_object_retention, 404, 'NoSuchKey', Bucket=b, Key='missing',
                               Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d3})
        self.assertClientError(self.other.put_object_retention, 403, 'AccessDenied', Bucket=b, Key='k',
                               VersionId=v1, Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d3})
        self.assertEqual(self.retention(b, 'k', v1), {'Mode': 'GOVERNANCE', 'RetainUntilDate': d2})
        # Removed with the bypass: the version has none again, and goes.
        self.s3.put_object_retention(Bucket=b, Key='k', VersionId=v1, BypassGovernanceRetention=True, Retention={})
        self.assertClientError(self.s3.get_object_retention, 404, 'NoSuchObjectLockConfiguration', Bucket=b,
                               Key='k', VersionId=v1)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v1)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v2, BypassGovernanceRetention=True)
        self.assertEqual(self.versions_of(b, 'k'), [])

    def test_legal_hold_calls(self):
        b = self.lock_bucket()
        v = self.put(b, 'k', b'held')['VersionId']
        self.s3.put_object_legal_hold(Bucket=b, Key='k', VersionId=v, LegalHold={'Status': 'ON'})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='k', VersionId=v)['LegalHold'],
                         {'Status': 'ON'})
        # No bypass lifts a hold, and a delete without an id only adds a marker.
        for bypass in [False, True]:
            self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v,
                                   BypassGovernanceRetention=bypass)
        r = self.s3.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                                   Delete={'Objects': [{'Key': 'k', 'VersionId': v}]})
        self.assertEqual([(e['Key'], e['VersionId'], e['Code']) for e in r['Errors']], [('k', v, 'AccessDenied')])
        marker = self.s3.delete_object(Bucket=b, Key='k')
        self.assertTrue(marker['DeleteMarker'])
        self.assertEqual(self.get_body(b, 'k', VersionId=v), b'held')
        # Refusals change nothing.
        for body in [b'not xml', b'<LegalHold><Status>on</Status></LegalHold>', b'<LegalHold/>']:
            r = self.gw.request('PUT', f'/{b}/k', f'legal-hold&versionId={v}', headers=md5_header(body), body=body)
            self.assertError(r, 400, 'MalformedXML')
        body = b'<LegalHold><Status>OFF</Status></LegalHold>'
        r = self.gw.request('PUT', f'/{b}/k', f'legal-hold&versionId={v}', body=body)
        self.assertError(r, 400, 'InvalidRequest')
        self.assertIn(LOCK_CALL_DIGEST, r.body.decode())
        self.assertClientError(self.other.put_object_legal_hold, 403, 'AccessDenied', Bucket=b, Key='k',
                               VersionId=v, LegalHold={'Status': 'OFF'})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='k', VersionId=v)['LegalHold'],
                         {'Status': 'ON'})
        # Released, it reads Status OFF, as S3 answers (a version never given
        # one has none: test_retention_calls), HEAD says OFF too, and the
        # version goes (it has no retention).
        self.s3.put_object_legal_hold(Bucket=b, Key='k', VersionId=v, LegalHold={'Status': 'OFF'})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='k', VersionId=v)['LegalHold'],
                         {'Status': 'OFF'})
        self.assertEqual(self.s3.head_object(Bucket=b, Key='k', VersionId=v)['ObjectLockLegalHoldStatus'], 'OFF')
        # ON again, then OFF given at a write: the same answers.
        self.s3.put_object_legal_hold(Bucket=b, Key='k', VersionId=v, LegalHold={'Status': 'ON'})
        self.assertEqual(self.s3.head_object(Bucket=b, Key='k', VersionId=v)['ObjectLockLegalHoldStatus'], 'ON')
        self.s3.put_object_legal_hold(Bucket=b, Key='k', VersionId=v, LegalHold={'Status': 'OFF'})
        off = self.put(b, 'off', b'x', ObjectLockLegalHoldStatus='OFF')['VersionId']
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='off', VersionId=off)['LegalHold'],
                         {'Status': 'OFF'})
        self.assertEqual(self.s3.head_object(Bucket=b, Key='off', VersionId=off)['ObjectLockLegalHoldStatus'], 'OFF')
        # Still so once a newer version makes it noncurrent.
        newer = self.put(b, 'off', b'y')['VersionId']
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='off', VersionId=off)['LegalHold'],
                         {'Status': 'OFF'})
        # A copy takes the request's lock, never the source's: none given.
        copied = self.s3.copy_object(Bucket=b, Key='copied', CopySource={'Bucket': b, 'Key': 'off'})['VersionId']
        self.assertNotIn('ObjectLockLegalHoldStatus', self.s3.head_object(Bucket=b, Key='copied', VersionId=copied))
        # OFF given at CreateMultipartUpload: the completed version says so.
        up = self.s3.create_multipart_upload(Bucket=b, Key='multi', ObjectLockLegalHoldStatus='OFF')['UploadId']
        part = self.s3.upload_part(Bucket=b, Key='multi', UploadId=up, PartNumber=1, Body=b'part',
                                   ContentMD5=md5_header(b'part')['Content-MD5'])
        multi = self.s3.complete_multipart_upload(
            Bucket=b, Key='multi', UploadId=up,
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})['VersionId']
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key='multi', VersionId=multi)['LegalHold'],
                         {'Status': 'OFF'})
        for key, version in [('off', off), ('off', newer), ('copied', copied), ('multi', multi)]:
            self.s3.delete_object(Bucket=b, Key=key, VersionId=version)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=marker['VersionId'])
        self.assertEqual(self.versions_of(b, 'k'), [])

    # ---- deletes and the bypass ----------------------------------------------------
    def test_delete_objects_of_locked_versions(self):
        b = self.lock_bucket()
        v1 = self.put_governed(b, 'a', b'one')
        v2 = self.put_governed(b, 'b', b'two')
        free = self.put(b, 'c', b'free')['VersionId']
        objects = [{'Key': 'a', 'VersionId': v1}, {'Key': 'b', 'VersionId': v2}, {'Key': 'c', 'VersionId': free}]
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': objects})
        self.assertEqual(sorted((e['Key'], e['Code']) for e in r['Errors']), [('a', 'AccessDenied'),
                                                                               ('b', 'AccessDenied')])
        self.assertEqual([d['Key'] for d in r['Deleted']], ['c'])
        self.assertEqual(self.versions_of(b, 'a'), [(v1, False)])
        self.assertEqual(self.versions_of(b, 'b'), [(v2, False)])
        r = self.s3.delete_objects(Bucket=b, BypassGovernanceRetention=True, Delete={'Objects': objects[:2]})
        self.assertEqual(r.get('Errors', []), [])
        self.assertEqual(sorted(d['Key'] for d in r['Deleted']), ['a', 'b'])
        self.assertEqual(self.versions_of(b, 'a') + self.versions_of(b, 'b'), [])

    def test_bypass_needs_the_permission(self):
        b = self.lock_bucket()
        v1 = self.put_governed(b, 'k', b'one', days=3)
        v2 = self.put_governed(b, 'k', b'two', days=3)
        v3 = self.put_governed(b, 'k', b'three', days=3)
        other = {'AWS': self.other_id}
        may_remove = ['s3:PutObjectRetention', 's3:GetObjectRetention', 's3:DeleteObject', 's3:DeleteObjectVersion']
        # The other user may change retention and remove versions, but the
        # policy does not allow it the bypass: refused.
        self.set_policy(b, ('Allow', other, may_remove))
        self.assertClientError(self.other.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1,
                               BypassGovernanceRetention=True)
        r = self.other.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                                      Delete={'Objects': [{'Key': 'k', 'VersionId': v1}]})
        self.assertEqual([e['Code'] for e in r['Errors']], ['AccessDenied'])
        self.assertClientError(self.other.put_object_retention, 403, 'AccessDenied', Bucket=b, Key='k',
                               VersionId=v1, BypassGovernanceRetention=True,
                               Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': days_ahead(1)})
        # Extending needs no bypass: the policy allows it.
        d4 = days_ahead(4)
        self.other.put_object_retention(Bucket=b, Key='k', VersionId=v1,
                                        Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d4})
        self.assertEqual(self.retention(b, 'k', v1)['RetainUntilDate'], d4)
        self.assertEqual(len(self.versions_of(b, 'k')), 3)
        # Allowed s3:BypassGovernanceRetention too, it bypasses, as in S3
        # (the permission decides, not who owns the bucket).
        self.set_policy(b, ('Allow', other, may_remove + ['s3:BypassGovernanceRetention']))
        d1 = days_ahead(1)
        self.other.put_object_retention(Bucket=b, Key='k', VersionId=v1, BypassGovernanceRetention=True,
                                        Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': d1})
        self.assertEqual(self.retention(b, 'k', v1)['RetainUntilDate'], d1)
        self.other.delete_object(Bucket=b, Key='k', VersionId=v1, BypassGovernanceRetention=True)
        r = self.other.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                                      Delete={'Objects': [{'Key': 'k', 'VersionId': v2}]})
        self.assertEqual((r.get('Errors', []), [d['VersionId'] for d in r['Deleted']]), ([], [v2]))
        # Still not without the header.
        self.assertClientError(self.other.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v3)
        self.assertEqual(self.versions_of(b, 'k'), [(v3, False)])
        # A policy denying the bypass holds the owner too.
        self.set_policy(b, ('Deny', '*', 's3:BypassGovernanceRetention'))
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v3,
                               BypassGovernanceRetention=True)
        self.assertEqual(self.versions_of(b, 'k'), [(v3, False)])
        self.s3.delete_bucket_policy(Bucket=b)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v3, BypassGovernanceRetention=True)
        self.assertEqual(self.versions_of(b, 'k'), [])

    def test_bypass_policy_sees_each_version_id(self):
        b = self.lock_bucket()
        v1 = self.put_governed(b, 'k', b'one')
        v2 = self.put_governed(b, 'k', b'two')
        # The bypass denied for v1 alone: s3:versionid is the version each
        # delete (and each DeleteObjects entry) names.
        self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Deny', 'Principal': '*', 'Action': 's3:BypassGovernance*',
            'Resource': f'arn:aws:s3:::{b}/*', 'Condition': {'StringEquals': {'s3:versionid': v1}}}]}))
        r = self.s3.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                                   Delete={'Objects': [{'Key': 'k', 'VersionId': v1}, {'Key': 'k', 'VersionId': v2}]})
        self.assertEqual([(e['VersionId'], e['Code']) for e in r.get('Errors', [])], [(v1, 'AccessDenied')])
        self.assertEqual([d['VersionId'] for d in r['Deleted']], [v2])
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1,
                               BypassGovernanceRetention=True)
        self.assertClientError(self.s3.put_object_retention, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1,
                               BypassGovernanceRetention=True, Retention={})
        self.assertEqual(self.versions_of(b, 'k'), [(v1, False)])
        self.s3.delete_bucket_policy(Bucket=b)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v1, BypassGovernanceRetention=True)
        self.assertEqual(self.versions_of(b, 'k'), [])

    def test_compliance_holds_against_everyone(self):
        # A bucket left to the volume's removal: nothing removes these.
        b = self.lock_bucket()
        d2 = days_ahead(2)
        v = self.put(b, 'k', b'kept', ObjectLockMode='COMPLIANCE', ObjectLockRetainUntilDate=d2)['VersionId']
        for bypass in [False, True]:
            self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v,
                                   BypassGovernanceRetention=bypass)
            for retention in [{'Mode': 'COMPLIANCE', 'RetainUntilDate': days_ahead(1)},
                              {'Mode': 'GOVERNANCE', 'RetainUntilDate': days_ahead(3)}, {}]:
                self.assertClientError(self.s3.put_object_retention, 403, 'AccessDenied', Bucket=b, Key='k',
                                       VersionId=v, BypassGovernanceRetention=bypass, Retention=retention)
        self.assertEqual(self.retention(b, 'k', v), {'Mode': 'COMPLIANCE', 'RetainUntilDate': d2})
        # Extending is allowed.
        d3 = days_ahead(3)
        self.s3.put_object_retention(Bucket=b, Key='k', VersionId=v,
                                     Retention={'Mode': 'COMPLIANCE', 'RetainUntilDate': d3})
        self.assertEqual(self.retention(b, 'k', v), {'Mode': 'COMPLIANCE', 'RetainUntilDate': d3})
        # The bucket cannot go while it holds the version.
        self.assertClientError(self.s3.delete_bucket, 409, 'BucketNotEmpty', Bucket=b)
        self.assertEqual(self.get_body(b, 'k', VersionId=v), b'kept')


if __name__ == '__main__':
    main()
