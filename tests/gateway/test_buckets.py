#!/usr/bin/env python3
"""Buckets: create/head/delete/list, their errors, GetBucketLocation, and the
answers for unversioned buckets that SDK cleanup code relies on
(GET ?versioning, GET ?versions, deleting VersionId "null")."""

import datetime

from harness import GatewayTestCase, main, query, unique_bucket


class BucketTests(GatewayTestCase):

    def test_create_head_list_delete(self):
        name = unique_bucket()
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
        r = self.s3.create_bucket(Bucket=name)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(r.get('Location'), '/' + name)

        self.assertEqual(self.s3.head_bucket(Bucket=name)['ResponseMetadata']['HTTPStatusCode'], 200)

        listed = self.s3.list_buckets()
        by_name = {b['Name']: b for b in listed['Buckets']}
        self.assertIn(name, by_name)
        created = by_name[name]['CreationDate']
        self.assertGreater(created, before)
        self.assertLess(created, datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5))
        self.assertTrue(listed['Owner']['ID'])

        r = self.s3.delete_bucket(Bucket=name)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.head_bucket, 404, None, Bucket=name)
        self.assertNotIn(name, [b['Name'] for b in self.s3.list_buckets()['Buckets']])

    def test_list_buckets_sorted(self):
        names = [unique_bucket('zs') for _ in range(3)]
        for n in reversed(names):
            self.s3.create_bucket(Bucket=n)
        listed = [b['Name'] for b in self.s3.list_buckets()['Buckets']]
        self.assertEqual(listed, sorted(listed))
        for n in names:
            self.assertIn(n, listed)

    def test_list_buckets_pages(self):
        # A user of its own, so that the listing holds just these.
        s3 = self.gw.client(self.gw.create_user())
        names = sorted(f'pg-{i}-{unique_bucket()}' for i in range(5)) + [unique_bucket('other')]
        for n in names:
            s3.create_bucket(Bucket=n)
        pages, token = [], None
        while True:
            kw = {'ContinuationToken': token} if token else {}
            r = s3.list_buckets(MaxBuckets=2, Prefix='pg-', **kw)
            self.assertEqual(r['Prefix'], 'pg-')
            pages.append([b['Name'] for b in r['Buckets']])
            token = r.get('ContinuationToken')
            if not token:
                break
        self.assertEqual(pages, [names[0:2], names[2:4], names[4:5]])
        # A page that ends with the last bucket says so: no token.
        r = s3.list_buckets(MaxBuckets=5, Prefix='pg-')
        self.assertEqual([b['Name'] for b in r['Buckets']], names[0:5])
        self.assertNotIn('ContinuationToken', r)
        # The paginator follows the tokens; without max-buckets all come at once.
        listed = [b['Name'] for page in s3.get_paginator('list_buckets').paginate(PaginationConfig={'PageSize': 4})
                  for b in page['Buckets']]
        self.assertEqual(listed, sorted(names))
        r = s3.list_buckets()
        self.assertEqual([b['Name'] for b in r['Buckets']], sorted(names))
        self.assertNotIn('ContinuationToken', r)
        self.assertNotIn('Prefix', r)
        for bad in ({'max-buckets': '0'}, {'max-buckets': '10001'}, {'max-buckets': 'x'},
                    {'continuation-token': 'not a token'}):
            with self.subTest(query=bad):
                self.assertError(self.gw.request('GET', '/', query(bad)), 400, 'InvalidArgument')

    def test_recreate_own_bucket(self):
        # In us-east-1 (the gateway's default region) AWS answers 200 and
        # changes nothing: `aws s3 mb` of an existing bucket of one's own works.
        name = self.new_bucket()
        self.put(name, 'k', b'kept')
        r = self.s3.create_bucket(Bucket=name)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(self.get_body(name, 'k'), b'kept')
        # Asking for the ACL it already has (private) is the same request.
        self.s3.create_bucket(Bucket=name, ACL='private')
        # Another ACL than the bucket's: refused, as Ceph RGW does, and the ACL stays.
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyExists', Bucket=name, ACL='public-read')
        grants = self.s3.get_bucket_acl(Bucket=name)['Grants']
        self.assertEqual([g['Permission'] for g in grants], ['FULL_CONTROL'])
        public = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=public, ACL='public-read')
        self.s3.create_bucket(Bucket=public, ACL='public-read')
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyExists', Bucket=public)
        # An ACL read and put back unchanged stores the owner's FULL_CONTROL
        # grant, which every bucket has anyway: still the bucket's ACL.
        rmw = self.new_bucket()
        policy = self.s3.get_bucket_acl(Bucket=rmw)
        policy.pop('ResponseMetadata')
        self.s3.put_bucket_acl(Bucket=rmw, AccessControlPolicy=policy)
        r = self.s3.create_bucket(Bucket=rmw)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.s3.create_bucket(Bucket=rmw, ACL='private')
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyExists', Bucket=rmw, ACL='public-read')
        # With a LocationConstraint (another region's request): BucketAlreadyOwnedByYou.
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyOwnedByYou', Bucket=name,
                               CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
        self.assertEqual(self.get_body(name, 'k'), b'kept')

    def test_create_with_location_constraint(self):
        # Any region is accepted (clients configured for another region send one).
        name = unique_bucket()
        self.s3.create_bucket(Bucket=name, CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
        self.s3.head_bucket(Bucket=name)

    def test_delete_not_empty(self):
        name = self.new_bucket()
        self.put(name, 'k', b'x')
        self.assertClientError(self.s3.delete_bucket, 409, 'BucketNotEmpty', Bucket=name)
        self.s3.head_bucket(Bucket=name)
        self.s3.delete_object(Bucket=name, Key='k')
        self.s3.delete_bucket(Bucket=name)
        self.assertClientError(self.s3.head_bucket, 404, None, Bucket=name)

    def test_recreate_after_delete(self):
        # A deleted bucket's name can be taken again, and the new bucket is empty.
        name = self.new_bucket()
        self.put(name, 'k', b'old')
        self.s3.delete_object(Bucket=name, Key='k')
        self.s3.delete_bucket(Bucket=name)
        self.s3.create_bucket(Bucket=name)
        self.assertEqual(self.s3.list_objects_v2(Bucket=name)['KeyCount'], 0)
        self.assertNoObject(name, 'k')

    def test_no_such_bucket(self):
        name = unique_bucket('missing')
        self.assertClientError(self.s3.delete_bucket, 404, 'NoSuchBucket', Bucket=name)
        self.assertClientError(self.s3.head_bucket, 404, None, Bucket=name)
        self.assertClientError(self.s3.list_objects_v2, 404, 'NoSuchBucket', Bucket=name)
        self.assertClientError(self.s3.list_objects, 404, 'NoSuchBucket', Bucket=name)
        self.assertClientError(self.s3.put_object, 404, 'NoSuchBucket', Bucket=name, Key='k', Body=b'x')
        self.assertClientError(self.s3.get_object, 404, 'NoSuchBucket', Bucket=name, Key='k')
        self.assertClientError(self.s3.get_bucket_location, 404, 'NoSuchBucket', Bucket=name)
        r = self.gw.request('GET', '/' + name)
        self.assertError(r, 404, 'NoSuchBucket')
        self.assertEqual(r.xml().findtext('BucketName'), name)

    def test_invalid_bucket_names(self):
        bad = ['ab', 'a' * 64, 'UpperCase', 'under_score', '-leading', 'trailing-', 'two..dots',
               '192.168.5.4', '.dot', 'dot.', 'sp%20ace']
        for name in bad:
            with self.subTest(name=name):
                r = self.gw.request('PUT', '/' + name)
                self.assertError(r, 400, 'InvalidBucketName')
        names = [b['Name'] for b in self.s3.list_buckets()['Buckets']]
        for name in bad:
            self.assertNotIn(name, names)
        # The limits themselves are fine (each class has its own fresh gateway).
        for name in ['abc', 'a' * 63, 'a.b-c.d1', '0ab']:
            with self.subTest(name=name):
                r = self.gw.request('PUT', '/' + name)
                self.assertEqual(r.status, 200, repr(r))

    def test_bucket_location(self):
        name = self.new_bucket()
        r = self.s3.get_bucket_location(Bucket=name)
        # us-east-1 is reported as an empty LocationConstraint; any region we accept
        # is acceptable as long as it parses.
        self.assertIn(r.get('LocationConstraint'), (None, '', 'us-east-1'))
        raw = self.gw.request('GET', '/' + name, 'location')
        self.assertEqual(raw.status, 200, repr(raw))
        self.assertEqual(raw.xml().tag, 'LocationConstraint')

    def test_versioning_configuration_of_unversioned_bucket(self):
        name = self.new_bucket()
        r = self.s3.get_bucket_versioning(Bucket=name)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertNotIn('Status', r)
        self.assertNotIn('MFADelete', r)
        raw = self.gw.request('GET', '/' + name, 'versioning')
        self.assertEqual(raw.status, 200)
        root = raw.xml()
        self.assertEqual(root.tag, 'VersioningConfiguration')
        self.assertIsNone(root.find('Status'))
        self.assertClientError(self.s3.get_bucket_versioning, 404, 'NoSuchBucket', Bucket=unique_bucket('nv'))

    def test_put_versioning_with_whitespace_only_status(self):
        # An indented empty <Status> is no status (only DeleteObjects keeps
        # whitespace-only text, for its keys).
        name = self.new_bucket()
        body = (b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b'<Status>\n  </Status></VersioningConfiguration>')
        raw = self.gw.request('PUT', '/' + name, 'versioning', body=body)
        self.assertEqual(raw.status, 200, repr(raw))

    def test_list_object_versions_of_unversioned_bucket(self):
        name = self.new_bucket()
        bodies = {'a': b'1', 'b/c': b'22', 'b/d': b'333', 'e': b'4444', 'f g': b'55555'}
        etags = {k: self.put(name, k, v)['ETag'] for k, v in bodies.items()}
        r = self.s3.list_object_versions(Bucket=name)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertFalse(r['IsTruncated'])
        versions = r.get('Versions', [])
        self.assertEqual([v['Key'] for v in versions], sorted(bodies))
        for v in versions:
            self.assertEqual(v['VersionId'], 'null')
            self.assertTrue(v['IsLatest'])
            self.assertEqual(v['ETag'], etags[v['Key']])
            self.assertEqual(v['Size'], len(bodies[v['Key']]))
        self.assertEqual(r.get('DeleteMarkers', []), [])

        r = self.s3.list_object_versions(Bucket=name, Prefix='b/')
        self.assertEqual([v['Key'] for v in r.get('Versions', [])], ['b/c', 'b/d'])
        r = self.s3.list_object_versions(Bucket=name, Delimiter='/')
        self.assertEqual([v['Key'] for v in r.get('Versions', [])], ['a', 'e', 'f g'])
        self.assertEqual([p['Prefix'] for p in r.get('CommonPrefixes', [])], ['b/'])

        # Paginated the way cleanup code walks it.
        pages = self.s3.get_paginator('list_object_versions').paginate(Bucket=name, MaxKeys=2)
        keys = [v['Key'] for page in pages for v in page.get('Versions', [])]
        self.assertEqual(keys, sorted(bodies))

        # Cleanup code then deletes each listed version by its VersionId "null".
        r = self.s3.delete_objects(Bucket=name, Delete={
            'Objects': [{'Key': v['Key'], 'VersionId': v['VersionId']} for v in versions]})
        self.assertEqual(r.get('Errors', []), [])
        self.assertEqual(sorted(d['Key'] for d in r['Deleted']), sorted(bodies))
        self.assertEqual(self.s3.list_objects_v2(Bucket=name)['KeyCount'], 0)
        self.s3.delete_bucket(Bucket=name)

    def test_versions_of_missing_bucket(self):
        self.assertClientError(self.s3.list_object_versions, 404, 'NoSuchBucket', Bucket=unique_bucket('nv'))


class SecondUserBucketTests(GatewayTestCase):

    def test_buckets_are_per_user(self):
        other = self.gw.client(self.gw.create_user())
        mine = self.new_bucket()
        theirs = self.new_bucket(client=other)
        self.assertNotIn(theirs, [b['Name'] for b in self.s3.list_buckets()['Buckets']])
        self.assertNotIn(mine, [b['Name'] for b in other.list_buckets()['Buckets']])
        self.assertIn(theirs, [b['Name'] for b in other.list_buckets()['Buckets']])
        # A name taken by someone else.
        self.assertClientError(other.create_bucket, 409, 'BucketAlreadyExists', Bucket=mine)
        # Nor can they delete it.
        self.assertClientError(other.delete_bucket, 403, 'AccessDenied', Bucket=mine)
        self.s3.head_bucket(Bucket=mine)
        self.assertClientError(other.head_bucket, 403, None, Bucket=mine)


class ExpectedBucketOwnerTests(GatewayTestCase):

    def test_another_expected_owner_is_refused_everywhere(self):
        other = self.gw.client(self.gw.create_user())
        mine_id = self.s3.list_buckets()['Owner']['ID']
        other_id = other.list_buckets()['Owner']['ID']
        b = self.new_bucket()
        self.put(b, 'k', b'kept')
        uid = self.s3.create_multipart_upload(Bucket=b, Key='mpu')['UploadId']
        calls = {
            'head_bucket': lambda **o: self.s3.head_bucket(Bucket=b, **o),
            'list_objects_v2': lambda **o: self.s3.list_objects_v2(Bucket=b, **o),
            'list_objects': lambda **o: self.s3.list_objects(Bucket=b, **o),
            'get_bucket_acl': lambda **o: self.s3.get_bucket_acl(Bucket=b, **o),
            'get_bucket_location': lambda **o: self.s3.get_bucket_location(Bucket=b, **o),
            'get_bucket_versioning': lambda **o: self.s3.get_bucket_versioning(Bucket=b, **o),
            'list_multipart_uploads': lambda **o: self.s3.list_multipart_uploads(Bucket=b, **o),
            'put_object': lambda **o: self.s3.put_object(Bucket=b, Key='k', Body=b'changed', **o),
            'get_object': lambda **o: self.s3.get_object(Bucket=b, Key='k', **o),
            'head_object': lambda **o: self.s3.head_object(Bucket=b, Key='k', **o),
            'get_object_acl': lambda **o: self.s3.get_object_acl(Bucket=b, Key='k', **o),
            'put_object_acl': lambda **o: self.s3.put_object_acl(Bucket=b, Key='k', ACL='public-read', **o),
            'copy_object': lambda **o: self.s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'k'},
                                                           **o),
            'list_parts': lambda **o: self.s3.list_parts(Bucket=b, Key='mpu', UploadId=uid, **o),
            'upload_part': lambda **o: self.s3.upload_part(Bucket=b, Key='mpu', UploadId=uid, PartNumber=1,
                                                           Body=b'p', **o),
            'create_multipart_upload': lambda **o: self.s3.create_multipart_upload(Bucket=b, Key='mpu2', **o),
            'delete_objects': lambda **o: self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'k'}]}, **o),
            'delete_object': lambda **o: self.s3.delete_object(Bucket=b, Key='k', **o),
            'abort_multipart_upload': lambda **o: self.s3.abort_multipart_upload(Bucket=b, Key='mpu', UploadId=uid,
                                                                                 **o),
            'delete_bucket': lambda **o: self.s3.delete_bucket(Bucket=b, **o),
        }
        for name, call in calls.items():
            with self.subTest(call=name):
                self.assertClientError(call, 403, None if name.startswith('head') else 'AccessDenied',
                                       ExpectedBucketOwner=other_id)
        # Nothing changed.
        self.assertEqual(self.get_body(b, 'k'), b'kept')
        self.assertEqual([u['UploadId'] for u in self.s3.list_multipart_uploads(Bucket=b)['Uploads']], [uid])
        self.assertNotIn('copy', [o['Key'] for o in self.s3.list_objects_v2(Bucket=b)['Contents']])
        # The owner's own id passes; a copy's source is checked by its own header.
        self.assertEqual(self.s3.get_object(Bucket=b, Key='k', ExpectedBucketOwner=mine_id)['Body'].read(), b'kept')
        self.s3.head_bucket(Bucket=b, ExpectedBucketOwner=mine_id)
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', Bucket=b, Key='copy',
                               CopySource={'Bucket': b, 'Key': 'k'}, ExpectedSourceBucketOwner=other_id)
        self.s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'k'},
                            ExpectedBucketOwner=mine_id, ExpectedSourceBucketOwner=mine_id)
        self.s3.abort_multipart_upload(Bucket=b, Key='mpu', UploadId=uid)


class OtherRegionBucketTests(GatewayTestCase):
    gateway_args = ['--region', 'eu-west-1']

    def test_recreate_own_bucket_outside_us_east_1(self):
        name = self.new_bucket()
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyOwnedByYou', Bucket=name)
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyOwnedByYou', Bucket=name,
                               CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})


if __name__ == '__main__':
    main()
