#!/usr/bin/env python3
"""Versioning (docs/versioning.md): Put/GetBucketVersioning and their
refusals; x-amz-version-id on PUT, copy, complete, GET, HEAD, DELETE; a
versionId on GET, HEAD, DELETE, the ACL and tag calls, GetObjectAttributes,
DeleteObjects and a copy's source (CopyObject, UploadPartCopy); delete
markers and how reads meet them; suspended buckets writing the null version;
and the s3:*Version policy actions; on local and RADOS volumes alike."""

import json
import os
import re
import threading

from botocore.exceptions import ClientError

from harness import GatewayTestCase, main, md5_b64, unique_bucket

XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/'
INSTANCE = re.compile(r'[0-9a-f]{24}')
# Well formed, naming nothing.
UNKNOWN_ID = '0' * 24


def versioning_xml(status=None, mfa_delete=None):
    inner = (f'<Status>{status}</Status>' if status is not None else '') + \
            (f'<MfaDelete>{mfa_delete}</MfaDelete>' if mfa_delete is not None else '')
    return f'<VersioningConfiguration xmlns="{XMLNS}">{inner}</VersioningConfiguration>'.encode()


def headers_of(resp_or_exc):
    r = resp_or_exc.response if isinstance(resp_or_exc, ClientError) else resp_or_exc
    return r['ResponseMetadata']['HTTPHeaders']


class VersioningTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.gw.client(cls.gw.create_user())
        cls.other_id = cls.other.list_buckets()['Owner']['ID']
        cls.owner_id = cls.s3.list_buckets()['Owner']['ID']

    def versioned_bucket(self, status='Enabled'):
        b = self.new_bucket(prefix='ver')
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': status})
        return b

    def put_versions(self, bucket, key, *bodies):
        """PUTs each body; returns their version ids, oldest first."""
        ids = []
        for body in bodies:
            r = self.put(bucket, key, body)
            self.assertRegex(r['VersionId'], INSTANCE)
            ids.append(r['VersionId'])
        return ids

    def status_of(self, bucket):
        return self.s3.get_bucket_versioning(Bucket=bucket).get('Status')

    # ---- Put/GetBucketVersioning ------------------------------------------
    def test_versioning_states(self):
        b = self.new_bucket(prefix='ver')
        raw = self.gw.request('GET', f'/{b}', 'versioning')
        self.assertEqual(raw.status, 200, repr(raw))
        self.assertIsNone(raw.xml().find(f'{{{XMLNS}}}Status'))
        self.assertIsNone(self.status_of(b))
        for status in ['Enabled', 'Suspended', 'Enabled']:
            self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': status})
            self.assertEqual(self.status_of(b), status)
        raw = self.gw.request('GET', f'/{b}', 'versioning')
        self.assertIn(b'<Status>Enabled</Status>', raw.body)
        self.assertNotIn(b'MfaDelete', raw.body)

    def test_put_versioning_refusals_change_nothing(self):
        b = self.versioned_bucket('Suspended')
        # Off never comes back: a bucket once versioned stays so.
        for body in [versioning_xml('Off'), versioning_xml('enabled'), versioning_xml('Disabled'), b'not xml',
                     versioning_xml('Enabled', mfa_delete='Sometimes'),
                     b'<Other><Status>Enabled</Status></Other>']:
            self.assertError(self.gw.request('PUT', f'/{b}', 'versioning', body=body), 400, 'MalformedXML')
        # No caller here has an MFA device: turning MFA delete on is refused.
        r = self.gw.request('PUT', f'/{b}', 'versioning', body=versioning_xml('Enabled', mfa_delete='Enabled'))
        self.assertError(r, 403, 'AccessDenied')
        self.assertIn(b'Mfa Authentication must be used for this request', r.body)
        self.assertEqual(self.status_of(b), 'Suspended')
        # MfaDelete Disabled is the state anyway; no Status changes nothing.
        r = self.gw.request('PUT', f'/{b}', 'versioning', body=versioning_xml('Enabled', mfa_delete='Disabled'))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.status_of(b), 'Enabled')
        self.assertEqual(self.gw.request('PUT', f'/{b}', 'versioning', body=versioning_xml()).status, 200)
        self.assertEqual(self.status_of(b), 'Enabled')

    def test_only_the_owner_sets_or_reads_versioning(self):
        b = self.new_bucket(prefix='ver')
        self.s3.put_bucket_acl(Bucket=b, GrantFullControl=f'id={self.other_id}')
        self.assertClientError(self.other.put_bucket_versioning, 403, 'AccessDenied', Bucket=b,
                               VersioningConfiguration={'Status': 'Enabled'})
        self.assertClientError(self.other.get_bucket_versioning, 403, 'AccessDenied', Bucket=b)
        self.assertIsNone(self.status_of(b))
        self.assertClientError(self.s3.put_bucket_versioning, 404, 'NoSuchBucket', Bucket=unique_bucket('nv'),
                               VersioningConfiguration={'Status': 'Enabled'})

    # ---- versions written and read --------------------------------------
    def test_each_version_reads_back_byte_exact(self):
        b = self.versioned_bucket()
        bodies = [b'first \x00 body', b'second, longer body' * 1000, b'']
        ids = self.put_versions(b, 'k', *bodies)
        self.assertEqual(len(set(ids)), 3)
        for vid, body in zip(ids, bodies):
            r = self.s3.get_object(Bucket=b, Key='k', VersionId=vid)
            self.assertEqual(r['Body'].read(), body)
            self.assertEqual(r['VersionId'], vid)
            h = self.s3.head_object(Bucket=b, Key='k', VersionId=vid)
            self.assertEqual((h['ContentLength'], h['VersionId']), (len(body), vid))
        current = self.s3.get_object(Bucket=b, Key='k')
        self.assertEqual((current['Body'].read(), current['VersionId']), (b'', ids[-1]))
        # A range and a part number of an older version.
        r = self.s3.get_object(Bucket=b, Key='k', VersionId=ids[1], Range='bytes=0-5')
        self.assertEqual(r['Body'].read(), b'second')
        r = self.s3.get_object(Bucket=b, Key='k', VersionId=ids[0], PartNumber=1)
        self.assertEqual(r['Body'].read(), bodies[0])
        attrs = self.s3.get_object_attributes(Bucket=b, Key='k', VersionId=ids[1], ObjectAttributes=['ObjectSize'])
        self.assertEqual((attrs['ObjectSize'], attrs['VersionId']), (len(bodies[1]), ids[1]))
        # Every version counts: the key lists once, the versions all read.
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=b)['Contents']], ['k'])

    def test_version_ids_that_name_nothing(self):
        b = self.versioned_bucket()
        self.put_versions(b, 'k', b'data')
        for method in ['GET', 'HEAD']:
            r = self.gw.request(method, f'/{b}/k', 'versionId=not-a-version')
            self.assertEqual(r.status, 400, repr(r))
            if method == 'GET':
                self.assertEqual(r.error_code, 'InvalidArgument')
                self.assertIn(b'Invalid version id specified', r.body)
            self.assertEqual(self.gw.request(method, f'/{b}/k', f'versionId={UNKNOWN_ID}').status, 404)
        self.assertError(self.gw.request('GET', f'/{b}/k', f'versionId={UNKNOWN_ID}'), 404, 'NoSuchVersion')
        self.assertError(self.gw.request('GET', f'/{b}/k', 'versionId=null'), 404, 'NoSuchVersion')
        self.assertError(self.gw.request('GET', f'/{b}/k', 'acl&versionId=bad'), 400, 'InvalidArgument')
        for method in ['GET', 'DELETE']:
            self.assertError(self.gw.request(method, f'/{b}/k', 'versionId='), 400, 'InvalidArgument')
        self.assertError(self.gw.request('GET', f'/{b}/k', f'tagging&versionId={UNKNOWN_ID}'), 404, 'NoSuchVersion')
        # A DELETE of a well-formed id naming nothing is answered 204 with
        # the id, and changes nothing; a malformed id is refused (as S3).
        for vid in [UNKNOWN_ID, 'null']:
            r = self.gw.request('DELETE', f'/{b}/k', f'versionId={vid}')
            self.assertEqual(r.status, 204, repr(r))
            self.assertEqual(r.header('x-amz-version-id'), vid)
            self.assertIsNone(r.header('x-amz-delete-marker'))
        for vid in ['not-a-version', 'A' * 24, '0' * 23]:
            r = self.gw.request('DELETE', f'/{b}/k', f'versionId={vid}')
            self.assertError(r, 400, 'InvalidArgument')
            self.assertIn(b'Invalid version id specified', r.body)
            self.assertIsNone(r.header('x-amz-version-id'))
        self.assertEqual(self.get_body(b, 'k'), b'data')
        self.assertEqual(len(self.s3.list_object_versions(Bucket=b)['Versions']), 1)
        self.assertNotIn('DeleteMarkers', self.s3.list_object_versions(Bucket=b))

    def test_delete_marker_hides_the_key_and_its_removal_restores_it(self):
        b = self.versioned_bucket()
        v1, v2 = self.put_versions(b, 'k', b'one', b'two')
        d = self.s3.delete_object(Bucket=b, Key='k')
        self.assertTrue(d['DeleteMarker'])
        marker = d['VersionId']
        self.assertRegex(marker, INSTANCE)
        self.assertNotIn(marker, [v1, v2])
        for fn in [self.s3.get_object, self.s3.head_object]:
            e = self.assertClientError(fn, 404, None, Bucket=b, Key='k')
            self.assertEqual(headers_of(e)['x-amz-delete-marker'], 'true')
            self.assertEqual(headers_of(e)['x-amz-version-id'], marker)
        self.assertError(self.gw.request('GET', f'/{b}/k'), 404, 'NoSuchKey')
        # The marker by its id: 405, saying what it is and when it was made.
        r = self.gw.request('GET', f'/{b}/k', f'versionId={marker}')
        self.assertError(r, 405, 'MethodNotAllowed')
        self.assertEqual(r.header('x-amz-delete-marker'), 'true')
        self.assertEqual(r.header('x-amz-version-id'), marker)
        self.assertIsNotNone(r.header('last-modified'))
        r = self.gw.request('HEAD', f'/{b}/k', f'versionId={marker}')
        self.assertEqual((r.status, r.header('x-amz-delete-marker')), (405, 'true'))
        self.assertError(self.gw.request('GET', f'/{b}/k', f'acl&versionId={marker}'), 405, 'MethodNotAllowed')
        self.assertError(self.gw.request('PUT', f'/{b}/k', f'tagging&versionId={marker}',
                                         body=f'<Tagging xmlns="{XMLNS}"><TagSet/></Tagging>'.encode()),
                         405, 'MethodNotAllowed')
        # The key no longer lists; the older versions still read.
        self.assertEqual(self.s3.list_objects_v2(Bucket=b)['KeyCount'], 0)
        self.assertEqual(self.get_body(b, 'k', VersionId=v1), b'one')
        # A second DELETE adds another marker.
        d2 = self.s3.delete_object(Bucket=b, Key='k')
        self.assertTrue(d2['DeleteMarker'])
        self.assertNotEqual(d2['VersionId'], marker)
        # Removing the markers by id: answered as markers; v2 is back.
        for m in [d2['VersionId'], marker]:
            r = self.gw.request('DELETE', f'/{b}/k', f'versionId={m}')
            self.assertEqual((r.status, r.header('x-amz-delete-marker'), r.header('x-amz-version-id')),
                             (204, 'true', m), repr(r))
        r = self.s3.get_object(Bucket=b, Key='k')
        self.assertEqual((r['Body'].read(), r['VersionId']), (b'two', v2))

    def test_delete_by_id_removes_that_version(self):
        b = self.versioned_bucket()
        v1, v2, v3 = self.put_versions(b, 'k', b'one', b'two', b'three')
        d = self.s3.delete_object(Bucket=b, Key='k', VersionId=v3)
        self.assertEqual(d['VersionId'], v3)
        self.assertNotIn('DeleteMarker', d)
        # The next newer became current.
        self.assertEqual(self.s3.head_object(Bucket=b, Key='k')['VersionId'], v2)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v1)
        self.assertClientError(self.s3.get_object, 404, 'NoSuchVersion', Bucket=b, Key='k', VersionId=v1)
        self.assertEqual(self.get_body(b, 'k'), b'two')
        # Removed again: nothing to remove, answered the same way.
        r = self.gw.request('DELETE', f'/{b}/k', f'versionId={v1}')
        self.assertEqual((r.status, r.header('x-amz-version-id')), (204, v1))
        self.s3.delete_object(Bucket=b, Key='k', VersionId=v2)
        self.assertClientError(self.s3.head_object, 404, None, Bucket=b, Key='k')
        self.s3.delete_bucket(Bucket=b)

    def test_a_bucket_holding_only_markers_is_not_empty(self):
        b = self.versioned_bucket()
        marker = self.s3.delete_object(Bucket=b, Key='never-written')
        self.assertTrue(marker['DeleteMarker'])
        self.assertClientError(self.s3.delete_bucket, 409, 'BucketNotEmpty', Bucket=b)
        self.s3.delete_object(Bucket=b, Key='never-written', VersionId=marker['VersionId'])
        self.s3.delete_bucket(Bucket=b)

    def test_quotas_and_billed_size_count_every_version(self):
        # docs/versioning.md, "Space accounting": noncurrent versions count
        # against a quota and in the size a provider bills. Each version is a
        # copy of one 48 MiB seed (charged in full, its extents shared): the
        # volume stores the seed once, a RADOS memstore has room for that.
        MiB = 1 << 20
        seed = self.new_bucket(prefix='seed')
        self.put(seed, 'seed', os.urandom(48 * MiB))
        b = self.versioned_bucket()
        r = self.gw.request('PUT', '/', f'ostor-quotas&bucket={b}&quota-size=1')
        self.assertEqual(r.status, 200, repr(r))

        def billed_size():
            r = self.gw.request('GET', '/', 'ostor-buckets')
            self.assertEqual(r.status, 200, repr(r))
            (entry,) = [e for e in json.loads(r.body)['Buckets'] if e['name'] == b]
            return entry['size']['current']

        ids = [self.s3.copy_object(Bucket=b, Key='k', CopySource={'Bucket': seed, 'Key': 'seed'})['VersionId']
               for _ in range(21)]  # 1008 of the 1024 MiB, in versions of one key
        self.assertEqual(billed_size(), 21 * 48 * MiB)
        # The current version and the write fit the quota; all the versions do not.
        small = os.urandom(20 * MiB)
        self.assertClientError(self.put, 403, 'QuotaExceeded', b, 'k', small)
        self.assertClientError(self.s3.copy_object, 403, 'QuotaExceeded', Bucket=b, Key='k',
                               CopySource={'Bucket': seed, 'Key': 'seed'})
        # Nothing stored by the refusals.
        listed = self.s3.list_object_versions(Bucket=b)
        self.assertEqual([v['VersionId'] for v in listed['Versions']], ids[::-1])
        self.assertNotIn('DeleteMarkers', listed)
        self.assertEqual(self.s3.head_object(Bucket=b, Key='k')['VersionId'], ids[-1])
        self.assertEqual(billed_size(), 21 * 48 * MiB)
        # Removing a noncurrent version by id makes room.
        self.s3.delete_object(Bucket=b, Key='k', VersionId=ids[0])
        self.assertEqual(billed_size(), 20 * 48 * MiB)
        v = self.put(b, 'k', small, ContentMD5=md5_b64(small))['VersionId']
        self.assertEqual(self.s3.head_object(Bucket=b, Key='k')['VersionId'], v)
        self.assertEqual(billed_size(), 20 * 48 * MiB + len(small))

    def test_suspended_bucket_writes_the_null_version(self):
        b = self.versioned_bucket()
        (kept,) = self.put_versions(b, 'k', b'kept')
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Suspended'})
        # A write of the null version answers without x-amz-version-id, as
        # S3 does (a GET or HEAD of it shows 'null'): PUT, copy, complete.
        for body in [b'null one', b'null two']:
            self.assertNotIn('x-amz-version-id', headers_of(self.put(b, 'k', body)))
        copied = self.s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'k'})
        self.assertNotIn('x-amz-version-id', headers_of(copied))
        upload = self.s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
        part = self.s3.upload_part(Bucket=b, Key='mp', UploadId=upload, PartNumber=1, Body=b'p')
        done = self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=upload, MultipartUpload={
            'Parts': [{'ETag': part['ETag'], 'PartNumber': 1}]})
        self.assertNotIn('x-amz-version-id', headers_of(done))
        self.assertEqual(self.s3.head_object(Bucket=b, Key='mp')['VersionId'], 'null')
        # One null version, the last written; the versioned one stays.
        r = self.s3.get_object(Bucket=b, Key='k', VersionId='null')
        self.assertEqual((r['Body'].read(), r['VersionId']), (b'null two', 'null'))
        self.assertEqual(self.get_body(b, 'k', VersionId=kept), b'kept')
        self.assertEqual(self.s3.head_object(Bucket=b, Key='k')['VersionId'], 'null')
        # A DELETE makes a marker that is the null version, replacing it.
        d = self.s3.delete_object(Bucket=b, Key='k')
        self.assertEqual((d['DeleteMarker'], d['VersionId']), (True, 'null'))
        self.assertError(self.gw.request('GET', f'/{b}/k', 'versionId=null'), 405, 'MethodNotAllowed')
        self.assertEqual(self.get_body(b, 'k', VersionId=kept), b'kept')
        # Removing it brings the versioned one back.
        r = self.gw.request('DELETE', f'/{b}/k', 'versionId=null')
        self.assertEqual((r.status, r.header('x-amz-delete-marker'), r.header('x-amz-version-id')),
                         (204, 'true', 'null'))
        self.assertEqual(self.get_body(b, 'k'), b'kept')

    def test_objects_of_before_versioning_are_the_null_version(self):
        b = self.new_bucket(prefix='ver')
        r = self.put(b, 'old', b'written unversioned')
        self.assertNotIn('VersionId', r)
        self.assertNotIn('x-amz-version-id', headers_of(self.s3.head_object(Bucket=b, Key='old')))
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
        self.assertEqual(self.s3.head_object(Bucket=b, Key='old')['VersionId'], 'null')
        (new,) = self.put_versions(b, 'old', b'written versioned')
        self.assertEqual(self.get_body(b, 'old', VersionId='null'), b'written unversioned')
        self.assertEqual(self.get_body(b, 'old', VersionId=new), b'written versioned')

    def test_versions_survive_a_restart(self):
        b = self.versioned_bucket()
        ids = self.put_versions(b, 'k', b'a', b'bb')
        marker = self.s3.delete_object(Bucket=b, Key='k')['VersionId']
        self.gw.restart()
        self.s3 = type(self).s3 = self.gw.client()
        self.assertEqual(self.status_of(b), 'Enabled')
        self.assertEqual([self.get_body(b, 'k', VersionId=v) for v in ids], [b'a', b'bb'])
        e = self.assertClientError(self.s3.head_object, 404, None, Bucket=b, Key='k')
        self.assertEqual(headers_of(e)['x-amz-version-id'], marker)

    # ---- copies -----------------------------------------------------------
    def test_copy_of_a_version(self):
        b = self.versioned_bucket()
        v1, v2 = self.put_versions(b, 'src', b'version one', b'version two')
        r = self.s3.copy_object(Bucket=b, Key='dst', CopySource={'Bucket': b, 'Key': 'src', 'VersionId': v1})
        self.assertEqual(r['CopySourceVersionId'], v1)
        self.assertRegex(r['VersionId'], INSTANCE)
        self.assertEqual(self.get_body(b, 'dst', VersionId=r['VersionId']), b'version one')
        # Without an id the current is copied, and named.
        r = self.s3.copy_object(Bucket=b, Key='dst2', CopySource={'Bucket': b, 'Key': 'src'})
        self.assertEqual((r['CopySourceVersionId'], self.get_body(b, 'dst2')), (v2, b'version two'))
        # An older version copied onto its own key restores it as a new version.
        r = self.s3.copy_object(Bucket=b, Key='src', CopySource={'Bucket': b, 'Key': 'src', 'VersionId': v1})
        self.assertNotIn(r['VersionId'], [v1, v2])
        self.assertEqual(self.get_body(b, 'src'), b'version one')
        self.assertEqual(self.get_body(b, 'src', VersionId=v2), b'version two')
        # The current copied onto itself without a change is still refused.
        self.assertClientError(self.s3.copy_object, 400, 'InvalidRequest', Bucket=b, Key='src',
                               CopySource={'Bucket': b, 'Key': 'src', 'VersionId': r['VersionId']})
        # Into an unversioned bucket: the copy has no version id, the source's is named.
        plain = self.new_bucket(prefix='ver')
        r = self.s3.copy_object(Bucket=plain, Key='c', CopySource={'Bucket': b, 'Key': 'src', 'VersionId': v2})
        self.assertNotIn('VersionId', r)
        self.assertEqual(r['CopySourceVersionId'], v2)
        self.assertEqual(self.get_body(plain, 'c'), b'version two')

    def test_a_copy_of_the_current_copies_the_version_it_names(self):
        """Racing overwrites of the source: each copy (CopyObject and
        UploadPartCopy) holds the very version its
        x-amz-copy-source-version-id names, the one its checks were made on."""
        b = self.versioned_bucket()
        self.put_versions(b, 'src', b'body 0')
        stop = threading.Event()
        writer = self.gw.client()

        def overwrite():
            n = 0
            while not stop.is_set():
                n += 1
                writer.put_object(Bucket=b, Key='src', Body=f'body {n}'.encode())

        t = threading.Thread(target=overwrite)
        t.start()
        try:
            for i in range(60):
                r = self.s3.copy_object(Bucket=b, Key=f'c{i}', CopySource={'Bucket': b, 'Key': 'src'})
                shown = r['CopySourceVersionId']
                self.assertEqual(self.get_body(b, f'c{i}'), self.get_body(b, 'src', VersionId=shown), i)
                up = self.s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
                r = self.s3.upload_part_copy(Bucket=b, Key='mp', UploadId=up, PartNumber=1,
                                             CopySource={'Bucket': b, 'Key': 'src'})
                shown = r['CopySourceVersionId']
                done = self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={
                    'Parts': [{'PartNumber': 1, 'ETag': r['CopyPartResult']['ETag']}]})
                self.assertEqual(self.get_body(b, 'mp', VersionId=done['VersionId']),
                                 self.get_body(b, 'src', VersionId=shown), i)
        finally:
            stop.set()
            t.join()

    def test_copy_source_refusals(self):
        b = self.versioned_bucket()
        (v1,) = self.put_versions(b, 'src', b'data')
        marker = self.s3.delete_object(Bucket=b, Key='src')['VersionId']
        e = self.assertClientError(self.s3.copy_object, 400, 'InvalidRequest', Bucket=b, Key='dst',
                                   CopySource={'Bucket': b, 'Key': 'src', 'VersionId': marker})
        self.assertIn('delete marker', e.response['Error']['Message'])
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchKey', Bucket=b, Key='dst',
                               CopySource={'Bucket': b, 'Key': 'src'})
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchVersion', Bucket=b, Key='dst',
                               CopySource={'Bucket': b, 'Key': 'src', 'VersionId': UNKNOWN_ID})
        for bad in ['not-a-version', '']:
            r = self.gw.request('PUT', f'/{b}/dst', headers={'x-amz-copy-source': f'/{b}/src?versionId={bad}'})
            self.assertError(r, 400, 'InvalidArgument')
        self.assertClientError(self.s3.head_object, 404, None, Bucket=b, Key='dst')
        # The version under the marker is still a source.
        self.s3.copy_object(Bucket=b, Key='dst', CopySource={'Bucket': b, 'Key': 'src', 'VersionId': v1})
        self.assertEqual(self.get_body(b, 'dst'), b'data')

    def test_upload_part_copy_of_a_version_and_complete(self):
        b = self.versioned_bucket()
        big = bytes(range(256)) * 64 * 5  # past the inline size: shared extents
        v1, _ = self.put_versions(b, 'src', big, b'small current')
        (small,) = self.put_versions(b, 'small', b'a small version')
        self.put_versions(b, 'small', b'replaced')
        up = self.s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
        parts = []
        for n, (key, vid) in enumerate([('src', v1), ('small', small)], start=1):
            r = self.s3.upload_part_copy(Bucket=b, Key='mp', UploadId=up, PartNumber=n,
                                         CopySource={'Bucket': b, 'Key': key, 'VersionId': vid})
            self.assertEqual(r['CopySourceVersionId'], vid)
            parts.append({'PartNumber': n, 'ETag': r['CopyPartResult']['ETag']})
        self.assertClientError(self.s3.upload_part_copy, 404, 'NoSuchVersion', Bucket=b, Key='mp', UploadId=up,
                               PartNumber=3, CopySource={'Bucket': b, 'Key': 'src', 'VersionId': UNKNOWN_ID})
        # Only the last part may be small: list the big one alone first.
        r = self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up,
                                              MultipartUpload={'Parts': parts[:1]})
        self.assertRegex(r['VersionId'], INSTANCE)
        self.assertEqual(self.get_body(b, 'mp', VersionId=r['VersionId']), big)
        # A ranged part copy of the small version.
        up = self.s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
        r = self.s3.upload_part_copy(Bucket=b, Key='mp', UploadId=up, PartNumber=1, CopySourceRange='bytes=2-6',
                                     CopySource={'Bucket': b, 'Key': 'small', 'VersionId': small})
        done = self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': r['CopyPartResult']['ETag']}]})
        self.assertEqual(self.get_body(b, 'mp', VersionId=done['VersionId']), b'small')

    # ---- ACLs and tags of a version ---------------------------------------
    def test_acl_of_a_version(self):
        b = self.versioned_bucket()
        v1, v2 = self.put_versions(b, 'k', b'public one', b'private two')
        self.s3.put_object_acl(Bucket=b, Key='k', VersionId=v1, ACL='public-read')
        grants = self.s3.get_object_acl(Bucket=b, Key='k', VersionId=v1)['Grants']
        self.assertIn('http://acs.amazonaws.com/groups/global/AllUsers',
                      [g['Grantee'].get('URI') for g in grants])
        current = self.s3.get_object_acl(Bucket=b, Key='k')['Grants']
        self.assertEqual([g['Grantee'].get('ID') for g in current], [self.owner_id])
        anon = self.gw.anonymous_client()
        self.assertEqual(self.get_body(b, 'k', client=anon, VersionId=v1), b'public one')
        self.assertClientError(anon.get_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v2)
        self.assertClientError(anon.get_object, 403, 'AccessDenied', Bucket=b, Key='k')

    def test_tags_of_a_version(self):
        b = self.versioned_bucket()
        v1, v2 = self.put_versions(b, 'k', b'one', b'two')
        r = self.s3.put_object_tagging(Bucket=b, Key='k', VersionId=v1,
                                       Tagging={'TagSet': [{'Key': 'era', 'Value': 'old'}]})
        self.assertEqual(r['VersionId'], v1)
        r = self.s3.get_object_tagging(Bucket=b, Key='k', VersionId=v1)
        self.assertEqual((r['TagSet'], r['VersionId']), ([{'Key': 'era', 'Value': 'old'}], v1))
        r = self.s3.get_object_tagging(Bucket=b, Key='k')
        self.assertEqual((r['TagSet'], r['VersionId']), ([], v2))
        self.s3.put_object_tagging(Bucket=b, Key='k', Tagging={'TagSet': [{'Key': 'era', 'Value': 'new'}]})
        r = self.s3.delete_object_tagging(Bucket=b, Key='k', VersionId=v1)
        self.assertEqual(r['VersionId'], v1)
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='k', VersionId=v1)['TagSet'], [])
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='k')['TagSet'], [{'Key': 'era', 'Value': 'new'}])
        self.assertClientError(self.s3.put_object_tagging, 404, 'NoSuchVersion', Bucket=b, Key='k',
                               VersionId=UNKNOWN_ID, Tagging={'TagSet': []})

    # ---- DeleteObjects ----------------------------------------------------
    def test_delete_objects_with_versions(self):
        b = self.versioned_bucket()
        v1, v2 = self.put_versions(b, 'k', b'one', b'two')
        self.put_versions(b, 'plain', b'p')
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [
            {'Key': 'k', 'VersionId': v1}, {'Key': 'plain'}, {'Key': 'k', 'VersionId': UNKNOWN_ID},
            {'Key': 'never', 'VersionId': 'not-a-version'}]})
        # A malformed id is that entry's error (S3: NoSuchVersion); a
        # well-formed one naming nothing is deleted.
        self.assertEqual([(e['Key'], e['VersionId'], e['Code']) for e in r['Errors']],
                         [('never', 'not-a-version', 'NoSuchVersion')])
        deleted = {(d['Key'], d.get('VersionId')): d for d in r['Deleted']}
        self.assertEqual(set(deleted), {('k', v1), ('plain', None), ('k', UNKNOWN_ID)})
        self.assertNotIn('DeleteMarker', deleted[('k', v1)])
        marker = deleted[('plain', None)]
        self.assertTrue(marker['DeleteMarker'])
        self.assertRegex(marker['DeleteMarkerVersionId'], INSTANCE)
        self.assertClientError(self.s3.get_object, 404, 'NoSuchVersion', Bucket=b, Key='k', VersionId=v1)
        self.assertEqual(self.get_body(b, 'k'), b'two')
        # The marker removed by id: named as a marker, with its id.
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [
            {'Key': 'plain', 'VersionId': marker['DeleteMarkerVersionId']}, {'Key': 'k', 'VersionId': v2}]})
        got = {d['Key']: d for d in r['Deleted']}
        self.assertEqual((got['plain']['DeleteMarker'], got['plain']['DeleteMarkerVersionId']),
                         (True, marker['DeleteMarkerVersionId']))
        self.assertEqual(self.get_body(b, 'plain'), b'p')
        self.assertClientError(self.s3.head_object, 404, None, Bucket=b, Key='k')

    def test_a_version_id_as_sent_cannot_break_the_answer(self):
        """A control character in a version id the client sent comes back
        in XML that parses (percent-encoded, as other text as sent), or is
        refused."""
        b = self.versioned_bucket()
        self.put_versions(b, 'k', b'kept')
        body = (f'<Delete xmlns="{XMLNS}"><Object><Key>k</Key><VersionId>a&#x1;b</VersionId></Object>'
                '</Delete>').encode()
        r = self.gw.request('POST', f'/{b}', 'delete', headers={'Content-MD5': md5_b64(body)}, body=body)
        self.assertEqual(r.status, 200, repr(r))
        error = r.xml().find('Error')
        self.assertEqual((error.findtext('Code'), error.findtext('VersionId')), ('NoSuchVersion', 'a%01b'))
        # As a listing's marker it is refused before any answer echoes it.
        r = self.gw.request('GET', f'/{b}', 'versions&key-marker=k&version-id-marker=a%01b')
        self.assertError(r, 400, 'InvalidArgument')
        self.assertEqual(self.get_body(b, 'k'), b'kept')

    # ---- who may -----------------------------------------------------------
    def test_only_the_bucket_owner_removes_versions_by_acl(self):
        b = self.versioned_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantWrite=f'id={self.other_id}', GrantFullControl=f'id={self.owner_id}')
        (v1,) = self.put_versions(b, 'k', b'kept')
        self.assertClientError(self.other.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1)
        r = self.other.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'k', 'VersionId': v1}]})
        self.assertEqual([(e['Key'], e['VersionId'], e['Code']) for e in r['Errors']], [('k', v1, 'AccessDenied')])
        self.assertEqual(self.get_body(b, 'k', VersionId=v1), b'kept')
        # WRITE still lets it add a marker.
        self.assertTrue(self.other.delete_object(Bucket=b, Key='k')['DeleteMarker'])
        self.assertEqual(self.get_body(b, 'k', VersionId=v1), b'kept')

    def test_a_missing_version_is_hidden_from_who_may_not_list(self):
        """A caller who may not list the bucket learns nothing of its keys
        from a versionId: a version that is not there is 403, as a key that
        is not there is, whether or not the key holds other versions."""
        b = self.versioned_bucket()
        self.put_versions(b, 'k', b'private')
        marker = self.s3.delete_object(Bucket=b, Key='gone')['VersionId']  # a key holding a marker alone
        anon = dict(auth=None)
        for key in ['k', 'missing', 'gone']:
            for vid in ['null', UNKNOWN_ID, marker]:
                for query in ['', 'acl&', 'tagging&', 'attributes&']:
                    headers = {'x-amz-object-attributes': 'ETag'} if query == 'attributes&' else None
                    q = f'{query}versionId={vid}'
                    self.assertError(self.gw.request('GET', f'/{b}/{key}', q, headers=headers, **anon),
                                     403, 'AccessDenied')
                self.assertEqual(self.gw.request('HEAD', f'/{b}/{key}', f'versionId={vid}', **anon).status, 403)
        # Who may list learns it.
        self.assertError(self.gw.request('GET', f'/{b}/k', 'versionId=null'), 404, 'NoSuchVersion')
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read')
        self.assertError(self.gw.request('GET', f'/{b}/k', 'versionId=null', **anon), 404, 'NoSuchVersion')

    def test_a_copy_source_missing_or_a_marker_is_hidden_from_who_may_not_list(self):
        b = self.versioned_bucket()
        (v1,) = self.put_versions(b, 'k', b'private')
        marker = self.s3.delete_object(Bucket=b, Key='k')['VersionId']
        dst = self.new_bucket(client=self.other, prefix='ver')
        for vid in [UNKNOWN_ID, 'null', marker, v1]:
            for copy in [self.other.copy_object, self.other.upload_part_copy]:
                kw = dict(Bucket=dst, Key='c', CopySource={'Bucket': b, 'Key': 'k', 'VersionId': vid})
                if copy == self.other.upload_part_copy:
                    kw.update(UploadId=self.other.create_multipart_upload(Bucket=dst, Key='c')['UploadId'],
                              PartNumber=1)
                self.assertClientError(copy, 403, 'AccessDenied', **kw)
        self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=dst, Key='c',
                               CopySource={'Bucket': b, 'Key': 'k'})
        self.assertClientError(self.other.head_object, 404, None, Bucket=dst, Key='c')
        # The owner, who may list, is told.
        self.assertClientError(self.s3.copy_object, 400, 'InvalidRequest', Bucket=b, Key='c',
                               CopySource={'Bucket': b, 'Key': 'k', 'VersionId': marker})

    def test_policy_version_id_condition_of_per_key_checks(self):
        """s3:versionid is the version each DeleteObjects entry or copy
        source names, not only the query's."""
        b = self.versioned_bucket()
        v1, v2, v3 = self.put_versions(b, 'k', b'one', b'two', b'three')
        other = {'AWS': self.other_id}
        self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [
            {'Effect': 'Deny', 'Principal': '*', 'Action': 's3:DeleteObjectVersion',
             'Resource': f'arn:aws:s3:::{b}/*', 'Condition': {'StringEquals': {'s3:versionid': v1}}},
            {'Effect': 'Allow', 'Principal': other, 'Action': 's3:GetObjectVersion',
             'Resource': f'arn:aws:s3:::{b}/*', 'Condition': {'StringEquals': {'s3:versionid': v2}}}]}))
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'k', 'VersionId': v1},
                                                                 {'Key': 'k', 'VersionId': v3}]})
        self.assertEqual([(e['VersionId'], e['Code']) for e in r.get('Errors', [])], [(v1, 'AccessDenied')])
        self.assertEqual([d['VersionId'] for d in r['Deleted']], [v3])
        self.assertEqual(self.get_body(b, 'k', VersionId=v1), b'one')
        dst = self.new_bucket(client=self.other, prefix='ver')
        r = self.other.copy_object(Bucket=dst, Key='c', CopySource={'Bucket': b, 'Key': 'k', 'VersionId': v2})
        self.assertEqual(r['CopySourceVersionId'], v2)
        self.assertEqual(self.get_body(dst, 'c', client=self.other), b'two')
        self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=dst, Key='c',
                               CopySource={'Bucket': b, 'Key': 'k', 'VersionId': v1})

    def test_policy_version_actions(self):
        b = self.versioned_bucket()
        v1, _ = self.put_versions(b, 'k', b'one', b'two')
        other = {'AWS': self.other_id}

        def set_policy(*statements):
            self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Effect': effect, 'Principal': principal, 'Action': action, 'Resource': f'arn:aws:s3:::{b}/*'}
                for effect, principal, action in statements]}))

        # s3:GetObject reads the current only; a version needs s3:GetObjectVersion.
        set_policy(('Allow', other, ['s3:GetObject', 's3:PutObject']))
        self.assertEqual(self.get_body(b, 'k', client=self.other), b'two')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1)
        self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=b, Key='copy',
                               CopySource={'Bucket': b, 'Key': 'k', 'VersionId': v1})
        set_policy(('Allow', other, ['s3:GetObjectVersion', 's3:PutObject']))
        self.assertEqual(self.get_body(b, 'k', client=self.other, VersionId=v1), b'one')
        self.other.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'k', 'VersionId': v1})
        self.assertEqual(self.get_body(b, 'copy', client=self.other), b'one')  # the other's own
        # A Deny of s3:DeleteObjectVersion stops removals by id, the
        # owner's too, not markers; one of s3:DeleteObject stops both.
        set_policy(('Deny', '*', 's3:DeleteObjectVersion'))
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=v1)
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'k', 'VersionId': v1}]})
        self.assertEqual([e['Code'] for e in r['Errors']], ['AccessDenied'])
        marker = self.s3.delete_object(Bucket=b, Key='k')['VersionId']
        set_policy(('Deny', '*', 's3:DeleteObject'))
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='k', VersionId=marker)
        self.s3.delete_bucket_policy(Bucket=b)
        self.s3.delete_object(Bucket=b, Key='k', VersionId=marker)
        self.assertEqual(self.get_body(b, 'k', VersionId=v1), b'one')
        self.assertEqual(self.get_body(b, 'k'), b'two')


class VersionIdsOfUnversionedBuckets(GatewayTestCase):
    """Both backends: in a bucket never versioned every object is its
    key's null version, named by no header; other ids name nothing."""

    def test_null_is_the_object_and_nothing_else_is(self):
        b = self.new_bucket(prefix='nv')
        r = self.put(b, 'k', b'only version')
        self.assertNotIn('x-amz-version-id', headers_of(r))
        self.assertNotIn('x-amz-version-id', headers_of(self.s3.head_object(Bucket=b, Key='k')))
        r = self.gw.request('GET', f'/{b}/k', 'versionId=null')
        self.assertEqual((r.status, r.body), (200, b'only version'))
        self.assertError(self.gw.request('GET', f'/{b}/k', f'versionId={UNKNOWN_ID}'), 404, 'NoSuchVersion')
        self.assertError(self.gw.request('GET', f'/{b}/k', 'versionId=bad'), 400, 'InvalidArgument')
        r = self.s3.copy_object(Bucket=b, Key='c', CopySource={'Bucket': b, 'Key': 'k', 'VersionId': 'null'})
        self.assertNotIn('VersionId', r)
        self.assertEqual(self.get_body(b, 'c'), b'only version')
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchVersion', Bucket=b, Key='c2',
                               CopySource={'Bucket': b, 'Key': 'k', 'VersionId': UNKNOWN_ID})
        r = self.gw.request('DELETE', f'/{b}/k', f'versionId={UNKNOWN_ID}')
        self.assertEqual((r.status, r.header('x-amz-version-id')), (204, UNKNOWN_ID))
        self.assertEqual(self.get_body(b, 'k'), b'only version')
        r = self.s3.delete_object(Bucket=b, Key='k')
        self.assertNotIn('DeleteMarker', r)
        self.assertNotIn('VersionId', r)
        self.assertClientError(self.s3.head_object, 404, None, Bucket=b, Key='k')



if __name__ == '__main__':
    main()
