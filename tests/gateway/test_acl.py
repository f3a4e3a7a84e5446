#!/usr/bin/env python3
"""ACLs: canned private/public-read on buckets and objects, Get/Put bucket
and object ACL, grants to another user, anonymous access where (and only
where) an ACL grants it, and a second user kept out of private data; a policy
with no grant (or none for the owner), grant headers stored as listed,
policies refused (malformed, another owner, a mistyped grantee), the bucket
owner's rights on an object another user wrote, the bucket-owner-* canned
ACLs, and the order grants are listed in."""

from harness import ClientError, GatewayTestCase, TwoUserTestCase, error_code, http_status, main, unique_bucket

ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'


def grants(acl):
    """{(grantee kind, id-or-uri): set(permissions)}"""
    out = {}
    for g in acl['Grants']:
        gr = g['Grantee']
        key = (gr['Type'], gr.get('ID') or gr.get('URI'))
        out.setdefault(key, set()).add(g['Permission'])
    return out


class AclTests(TwoUserTestCase):
    def anon(self, method, path):
        return self.gw.request(method, path, auth=None)

    def assert_private_grants(self, acl):
        self.assertEqual(acl['Owner']['ID'], self.owner_id)
        self.assertEqual(grants(acl), {('CanonicalUser', self.owner_id): {'FULL_CONTROL'}})

    def assert_public_read_grants(self, acl):
        self.assertEqual(acl['Owner']['ID'], self.owner_id)
        self.assertEqual(grants(acl), {('CanonicalUser', self.owner_id): {'FULL_CONTROL'},
                                       ('Group', ALL_USERS): {'READ'}})

    def assert_grantees_named(self, acl):
        # Every user grantee carries its display name, not only the owner.
        names = {self.owner_id: self.s3.list_buckets()['Owner']['DisplayName'],
                 self.other_id: self.other.list_buckets()['Owner']['DisplayName']}
        users = [g['Grantee'] for g in acl['Grants'] if g['Grantee']['Type'] == 'CanonicalUser']
        self.assertEqual({u['ID']: u.get('DisplayName') for u in users}, {u['ID']: names[u['ID']] for u in users})

    def test_owner_ids(self):
        self.assertTrue(self.owner_id)
        self.assertTrue(self.other_id)
        self.assertNotEqual(self.owner_id, self.other_id)

    def test_private_bucket_default(self):
        b = self.new_bucket()
        self.assert_private_grants(self.s3.get_bucket_acl(Bucket=b))
        self.put(b, 'o', b'private data')
        self.assert_private_grants(self.s3.get_object_acl(Bucket=b, Key='o'))
        self.assertError(self.anon('GET', f'/{b}'), 403, 'AccessDenied')
        self.assertError(self.anon('GET', f'/{b}/o'), 403, 'AccessDenied')
        self.assertEqual(self.anon('HEAD', f'/{b}/o').status, 403)

    def test_public_read_bucket(self):
        b = unique_bucket()
        self.s3.create_bucket(Bucket=b, ACL='public-read')
        self.assert_public_read_grants(self.s3.get_bucket_acl(Bucket=b))
        self.put(b, 'private-in-public', b'still private')
        # Anyone may list it...
        r = self.anon('GET', f'/{b}')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual([c.findtext('Key') for c in r.xml().findall('Contents')], ['private-in-public'])
        # ...but objects do not inherit the bucket's ACL.
        self.assertError(self.anon('GET', f'/{b}/private-in-public'), 403, 'AccessDenied')
        # And READ on a bucket is not WRITE.
        self.assertError(self.anon('PUT', f'/{b}/anon-upload'), 403, 'AccessDenied')
        self.assertNoObject(b, 'anon-upload')
        self.assertError(self.anon('DELETE', f'/{b}/private-in-public'), 403, 'AccessDenied')
        self.assertError(self.anon('DELETE', f'/{b}'), 403, 'AccessDenied')
        self.s3.head_object(Bucket=b, Key='private-in-public')

    def test_public_read_object(self):
        b = self.new_bucket()
        self.put(b, 'pub', b'public data', ACL='public-read', ContentType='text/plain')
        self.assert_public_read_grants(self.s3.get_object_acl(Bucket=b, Key='pub'))
        r = self.anon('GET', f'/{b}/pub')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'public data')
        self.assertEqual(r.header('Content-Type'), 'text/plain')
        r = self.anon('HEAD', f'/{b}/pub')
        self.assertEqual(r.status, 200)
        r = self.gw.request('GET', f'/{b}/pub', auth=None, headers={'Range': 'bytes=0-5'})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, b'public')
        # boto3 with unsigned requests, as a public download would do it.
        anon = self.gw.anonymous_client()
        self.assertEqual(anon.get_object(Bucket=b, Key='pub')['Body'].read(), b'public data')
        # Public read is not public write.
        self.assertError(self.anon('PUT', f'/{b}/pub'), 403, 'AccessDenied')
        self.assertError(self.anon('DELETE', f'/{b}/pub'), 403, 'AccessDenied')
        self.assertEqual(self.get_body(b, 'pub'), b'public data')
        # Reading the ACL itself needs READ_ACP.
        self.assertError(self.anon('GET', f'/{b}/pub?acl'), 403, 'AccessDenied')

    def test_put_object_acl_canned(self):
        b = self.new_bucket()
        self.put(b, 'toggle', b'toggle')
        self.assertEqual(self.anon('GET', f'/{b}/toggle').status, 403)
        self.s3.put_object_acl(Bucket=b, Key='toggle', ACL='public-read')
        self.assert_public_read_grants(self.s3.get_object_acl(Bucket=b, Key='toggle'))
        self.assertEqual(self.anon('GET', f'/{b}/toggle').status, 200)
        self.s3.put_object_acl(Bucket=b, Key='toggle', ACL='private')
        self.assert_private_grants(self.s3.get_object_acl(Bucket=b, Key='toggle'))
        self.assertError(self.anon('GET', f'/{b}/toggle'), 403, 'AccessDenied')
        self.assertEqual(self.get_body(b, 'toggle'), b'toggle')

    def test_put_bucket_acl_canned(self):
        b = self.new_bucket()
        self.assertEqual(self.anon('GET', f'/{b}').status, 403)
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read')
        self.assert_public_read_grants(self.s3.get_bucket_acl(Bucket=b))
        self.assertEqual(self.anon('GET', f'/{b}').status, 200)
        self.s3.put_bucket_acl(Bucket=b, ACL='private')
        self.assert_private_grants(self.s3.get_bucket_acl(Bucket=b))
        self.assertEqual(self.anon('GET', f'/{b}').status, 403)

    def test_acl_xml_round_trip(self):
        # Read the policy, add a grant, write it back: how s3cmd setacl works.
        b = self.new_bucket()
        self.put(b, 'shared', b'shared with one user')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='shared')
        acl = self.s3.get_object_acl(Bucket=b, Key='shared')
        policy = {'Owner': acl['Owner'], 'Grants': acl['Grants'] + [
            {'Grantee': {'Type': 'CanonicalUser', 'ID': self.other_id}, 'Permission': 'READ'}]}
        self.s3.put_object_acl(Bucket=b, Key='shared', AccessControlPolicy=policy)
        acl = self.s3.get_object_acl(Bucket=b, Key='shared')
        g = grants(acl)
        self.assertEqual(g[('CanonicalUser', self.other_id)], {'READ'})
        self.assertEqual(g[('CanonicalUser', self.owner_id)], {'FULL_CONTROL'})
        self.assert_grantees_named(acl)
        self.assertEqual(self.other.get_object(Bucket=b, Key='shared')['Body'].read(), b'shared with one user')
        # READ on the object does not let them overwrite it or list the bucket.
        self.assertClientError(self.other.put_object, 403, 'AccessDenied', Bucket=b, Key='shared', Body=b'x')
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.get_body(b, 'shared'), b'shared with one user')

    def test_grant_header(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantRead=f'id="{self.other_id}"', GrantFullControl=f'id="{self.owner_id}"')
        acl = self.s3.get_bucket_acl(Bucket=b)
        self.assertEqual(grants(acl)[('CanonicalUser', self.other_id)], {'READ'})
        self.assert_grantees_named(acl)
        self.put(b, 'listed', b'')
        self.assertEqual([o['Key'] for o in self.other.list_objects_v2(Bucket=b)['Contents']], ['listed'])

    def test_malformed_acl_body(self):
        b = self.new_bucket()
        r = self.gw.request('PUT', f'/{b}', 'acl', body=b'<AccessControlPolicy><Owner>')
        self.assertEqual(r.status, 400, repr(r))
        self.assertIn(r.error_code, ('MalformedACLError', 'MalformedXML'))
        self.assert_private_grants(self.s3.get_bucket_acl(Bucket=b))

    def test_object_written_by_a_grantee_is_owned_by_its_writer(self):
        bucket = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{self.other_id}"',
                               GrantFullControl=f'id="{self.owner_id}"')
        self.other.put_object(Bucket=bucket, Key='theirs', Body=b'written by the grantee')
        listed = self.s3.list_objects_v2(Bucket=bucket, FetchOwner=True)['Contents']
        self.assertEqual([(o['Key'], o['Owner']['ID']) for o in listed], [('theirs', self.other_id)])
        # The writer owns it: it may read it and its ACL without any grant...
        self.assertEqual(self.other.get_object(Bucket=bucket, Key='theirs')['Body'].read(), b'written by the grantee')
        acl = self.other.get_object_acl(Bucket=bucket, Key='theirs')
        self.assertEqual(acl['Owner']['ID'], self.other_id)
        # The bucket's owner has no right on it that its ACL does not give
        # (as in S3 with ACLs enabled, and in Ceph RGW)...
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=bucket, Key='theirs')
        self.assertClientError(self.s3.get_object_acl, 403, 'AccessDenied', Bucket=bucket, Key='theirs')
        # ...the writer keeps owning it when it changes the ACL...
        self.other.put_object_acl(Bucket=bucket, Key='theirs', ACL='public-read')
        self.assertEqual(self.other.get_object_acl(Bucket=bucket, Key='theirs')['Owner']['ID'], self.other_id)
        # ...and the bucket's owner reads it as anyone now may, but still
        # not its ACL.
        self.assertEqual(self.get_body(bucket, 'theirs'), b'written by the grantee')
        self.assertClientError(self.s3.get_object_acl, 403, 'AccessDenied', Bucket=bucket, Key='theirs')
        # An object the bucket's owner writes stays its own.
        self.put(bucket, 'mine', b'x')
        owners = {o['Key']: o['Owner']['ID'] for o in self.s3.list_objects_v2(Bucket=bucket, FetchOwner=True)['Contents']}
        self.assertEqual(owners, {'theirs': self.other_id, 'mine': self.owner_id})

    def test_uploads_started_by_a_grantee_name_it(self):
        bucket = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{self.other_id}"',
                               GrantRead=f'id="{self.other_id}"', GrantFullControl=f'id="{self.owner_id}"')
        theirs = self.other.create_multipart_upload(Bucket=bucket, Key='theirs')['UploadId']
        mine = self.s3.create_multipart_upload(Bucket=bucket, Key='mine')['UploadId']
        other_owner = self.other.list_buckets()['Owner']
        my_owner = self.s3.list_buckets()['Owner']
        expected = {theirs: other_owner, mine: my_owner}
        for client in (self.s3, self.other):
            uploads = client.list_multipart_uploads(Bucket=bucket)['Uploads']
            self.assertEqual({u['UploadId']: (u['Initiator']['ID'], u['Initiator']['DisplayName'],
                                              u['Owner']['ID'], u['Owner']['DisplayName']) for u in uploads},
                             {uid: (o['ID'], o['DisplayName'], o['ID'], o['DisplayName'])
                              for uid, o in expected.items()})
        parts = self.s3.list_parts(Bucket=bucket, Key='theirs', UploadId=theirs)
        self.assertEqual((parts['Initiator']['ID'], parts['Owner']['ID']), (self.other_id, self.other_id))
        self.assertNotEqual(other_owner['DisplayName'], my_owner['DisplayName'])
        for key, uid in (('theirs', theirs), ('mine', mine)):
            self.s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)


class SecondUserTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.gw.client(cls.gw.create_user())
        cls.bucket = unique_bucket('priv')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key='secret', Body=b'first user only')

    def test_other_user_cannot_read(self):
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=self.bucket)
        self.assertClientError(self.other.list_objects, 403, 'AccessDenied', Bucket=self.bucket)
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=self.bucket, Key='secret')
        self.assertClientError(self.other.head_object, 403, None, Bucket=self.bucket, Key='secret')
        self.assertClientError(self.other.get_bucket_acl, 403, 'AccessDenied', Bucket=self.bucket)
        self.assertClientError(self.other.get_object_acl, 403, 'AccessDenied', Bucket=self.bucket, Key='secret')
        # Nor through a URL they presign.
        url = self.other.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'secret'})
        r = self.gw.send('GET', url.split(self.gw.hostport, 1)[1], [('Host', self.gw.hostport)])
        self.assertError(r, 403, 'AccessDenied')

    def test_other_user_cannot_write(self):
        self.assertClientError(self.other.put_object, 403, 'AccessDenied', Bucket=self.bucket, Key='intruder',
                               Body=b'x')
        self.assertNoObject(self.bucket, 'intruder')
        self.assertClientError(self.other.delete_object, 403, 'AccessDenied', Bucket=self.bucket, Key='secret')
        self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=self.bucket, Key='copy',
                               CopySource={'Bucket': self.bucket, 'Key': 'secret'})
        self.assertClientError(self.other.put_bucket_acl, 403, 'AccessDenied', Bucket=self.bucket, ACL='public-read')
        self.assertClientError(self.other.put_object_acl, 403, 'AccessDenied', Bucket=self.bucket, Key='secret',
                               ACL='public-read')
        self.assertClientError(self.other.create_multipart_upload, 403, 'AccessDenied', Bucket=self.bucket, Key='mpu')
        self.assertEqual(self.get_body(self.bucket, 'secret'), b'first user only')
        self.assertEqual(self.anon_status(), 403)

    def anon_status(self):
        return self.gw.request('GET', f'/{self.bucket}/secret', auth=None).status

    def test_other_user_cannot_copy_out(self):
        mine = self.new_bucket(client=self.other)
        self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=mine, Key='stolen',
                               CopySource={'Bucket': self.bucket, 'Key': 'secret'})
        self.assertNoObject(mine, 'stolen', client=self.other)
        uid = self.other.create_multipart_upload(Bucket=mine, Key='stolen-part')['UploadId']
        self.assertClientError(self.other.upload_part_copy, 403, 'AccessDenied', Bucket=mine, Key='stolen-part',
                               UploadId=uid, PartNumber=1, CopySource={'Bucket': self.bucket, 'Key': 'secret'})
        self.other.abort_multipart_upload(Bucket=mine, Key='stolen-part', UploadId=uid)

    def test_copy_does_not_tell_another_users_missing_key(self):
        # Without the right to list the source bucket, a missing source key
        # answers as a forbidden one: a copy must not probe for keys.
        mine = self.new_bucket(client=self.other)
        for key in ('secret', 'no-such-key'):
            self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=mine, Key='probe',
                                   CopySource={'Bucket': self.bucket, 'Key': key})
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchKey', Bucket=self.bucket, Key='probe',
                               CopySource={'Bucket': self.bucket, 'Key': 'no-such-key'})

    def test_other_user_bulk_delete_refused(self):
        # Refused as a whole (403) or per key (an AccessDenied entry); never deleted.
        try:
            r = self.other.delete_objects(Bucket=self.bucket, Delete={'Objects': [{'Key': 'secret'}]})
        except ClientError as e:
            self.assertEqual(http_status(e), 403)
            self.assertEqual(error_code(e), 'AccessDenied')
        else:
            self.assertEqual([(x['Key'], x['Code']) for x in r.get('Errors', [])], [('secret', 'AccessDenied')])
            self.assertEqual(r.get('Deleted', []), [])
        self.assertEqual(self.get_body(self.bucket, 'secret'), b'first user only')


AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'


class GrantListTests(GatewayTestCase):
    """ACLs set as a whole policy (no grant at all, none for the owner), the
    bucket-owner-* canned ACLs, and the order GetBucketAcl lists grants in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner_id = cls.s3.list_buckets()['Owner']['ID']
        cls.other = cls.gw.client(cls.gw.create_user())
        cls.other_id = cls.other.list_buckets()['Owner']['ID']
        cls.third_id = cls.gw.client(cls.gw.create_user()).list_buckets()['Owner']['ID']

    def policy(self, acl, grants_):
        return {'Owner': acl['Owner'], 'Grants': grants_}

    def user(self, user_id, permission):
        return {'Grantee': {'Type': 'CanonicalUser', 'ID': user_id}, 'Permission': permission}

    def group(self, uri, permission):
        return {'Grantee': {'Type': 'Group', 'URI': uri}, 'Permission': permission}

    def raw_grant(self, xsi_type, fields, permission='READ'):
        typed = f' xsi:type="{xsi_type}"' if xsi_type else ''
        return (f'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"{typed}>{fields}</Grantee>'
                f'<Permission>{permission}</Permission></Grant>')

    def raw_policy(self, owner_xml, acl_xml):
        return ('<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f'{owner_xml}{acl_xml}</AccessControlPolicy>').encode()

    def assert_still_private(self, b, key):
        private = {('CanonicalUser', self.owner_id): {'FULL_CONTROL'}}
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)), private)
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=key)), private)
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=b)['Contents']], [key])
        self.assertEqual(self.get_body(b, key), b'x')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key=key)

    def test_grant_headers_give_exactly_what_they_list(self):
        read = f'id="{self.other_id}"'
        only_other = {('CanonicalUser', self.other_id): {'READ'}}
        # CreateBucket and PutBucketAcl: the owner keeps READ_ACP / WRITE_ACP only.
        b = unique_bucket()
        self.s3.create_bucket(Bucket=b, GrantRead=read)
        for how in ('CreateBucket', 'PutBucketAcl'):
            with self.subTest(how=how):
                if how == 'PutBucketAcl':
                    self.s3.put_bucket_acl(Bucket=b, GrantRead=read)
                self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)), only_other)
                self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='k', Body=b'x')
                self.assertClientError(self.s3.list_objects_v2, 403, 'AccessDenied', Bucket=b)
                self.assertEqual(self.other.list_objects_v2(Bucket=b)['KeyCount'], 0)
                self.s3.put_bucket_acl(Bucket=b, ACL='private')
        # PutObject, CopyObject, CreateMultipartUpload, PutObjectAcl.
        self.put(b, 'src', b'data')
        self.s3.put_object(Bucket=b, Key='put', Body=b'data', GrantRead=read)
        self.s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'src'}, GrantRead=read)
        uid = self.s3.create_multipart_upload(Bucket=b, Key='mp', GrantRead=read)['UploadId']
        etag = self.s3.upload_part(Bucket=b, Key='mp', UploadId=uid, PartNumber=1, Body=b'data')['ETag']
        self.s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=uid,
                                          MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})
        self.put(b, 'acl', b'data')
        self.s3.put_object_acl(Bucket=b, Key='acl', GrantRead=read)
        for key in ('put', 'copy', 'mp', 'acl'):
            with self.subTest(key=key):
                self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=key)), only_other)
                self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key=key)
                self.assertEqual(self.get_body(b, key, client=self.other), b'data')
                # Deleting needs WRITE on the bucket, which the owner has.
                self.s3.delete_object(Bucket=b, Key=key)
                self.assertNoObject(b, key)

    def test_policy_without_its_list_or_owner_is_refused_and_changes_nothing(self):
        b = self.new_bucket()
        self.put(b, 'o', b'x')
        owner = f'<Owner><ID>{self.owner_id}</ID></Owner>'
        acl = f'<AccessControlList>{self.raw_grant("Group", f"<URI>{ALL_USERS}</URI>")}</AccessControlList>'
        for what, body in (('no AccessControlList', self.raw_policy(owner, '')),
                           ('no Owner', self.raw_policy('', acl)),
                           ('an Owner without ID',
                            self.raw_policy('<Owner><DisplayName>me</DisplayName></Owner>', acl))):
            for path in (f'/{b}', f'/{b}/o'):
                with self.subTest(what=what, path=path):
                    self.assertError(self.gw.request('PUT', path, 'acl', body=body), 400, 'MalformedACLError')
        self.assert_still_private(b, 'o')
        self.assertEqual(self.gw.request('GET', f'/{b}/o', auth=None).status, 403)

    def test_policy_naming_another_owner_is_refused(self):
        b = self.new_bucket()
        self.put(b, 'o', b'x')
        body = self.raw_policy(f'<Owner><ID>{self.other_id}</ID></Owner>',
                               '<AccessControlList>' +
                               self.raw_grant('CanonicalUser', f'<ID>{self.other_id}</ID>', 'FULL_CONTROL') +
                               '</AccessControlList>')
        for path in (f'/{b}', f'/{b}/o'):
            with self.subTest(path=path):
                self.assertError(self.gw.request('PUT', path, 'acl', body=body), 403, 'AccessDenied')
        self.assert_still_private(b, 'o')

    def test_grantee_type_must_match_its_fields(self):
        b = self.new_bucket()
        self.put(b, 'o', b'x')
        owner = f'<Owner><ID>{self.owner_id}</ID></Owner>'
        for xsi_type, fields in (('Group', f'<ID>{self.other_id}</ID>'),
                                 ('CanonicalUser', f'<URI>{ALL_USERS}</URI>'),
                                 ('AmazonCustomerByEmail', f'<ID>{self.other_id}</ID>'),
                                 ('Nobody', f'<ID>{self.other_id}</ID>'),
                                 (None, f'<ID>{self.other_id}</ID>')):
            body = self.raw_policy(owner, f'<AccessControlList>{self.raw_grant(xsi_type, fields)}</AccessControlList>')
            for path in (f'/{b}', f'/{b}/o'):
                with self.subTest(xsi_type=xsi_type, path=path):
                    self.assertError(self.gw.request('PUT', path, 'acl', body=body), 400, 'MalformedACLError')
        self.assert_still_private(b, 'o')
        # Typed as its fields are, the same grant is taken.
        body = self.raw_policy(owner, '<AccessControlList>' +
                               self.raw_grant('CanonicalUser', f'<ID>{self.owner_id}</ID>', 'FULL_CONTROL') +
                               self.raw_grant('CanonicalUser',
                                              f'<ID>{self.other_id}</ID><DisplayName>x</DisplayName>') +
                               '</AccessControlList>')
        r = self.gw.request('PUT', f'/{b}/o', 'acl', body=body)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.get_body(b, 'o', client=self.other), b'x')

    def test_bucket_acl_with_no_grants_leaves_none(self):
        b = self.new_bucket()
        self.put(b, 'foo', b'bar')
        acl = self.s3.get_bucket_acl(Bucket=b)
        self.s3.put_bucket_acl(Bucket=b, AccessControlPolicy=self.policy(acl, []))
        after = self.s3.get_bucket_acl(Bucket=b)
        self.assertEqual(after['Grants'], [])
        self.assertEqual(after['Owner']['ID'], self.owner_id)
        # The owner keeps its object (whose ACL is its own) but not the
        # bucket's READ and WRITE...
        self.assertEqual(self.get_body(b, 'foo'), b'bar')
        self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='baz', Body=b'a')
        self.assertClientError(self.s3.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='foo')
        # ...nor does anyone else get them.
        self.assertClientError(self.other.get_bucket_acl, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        # It may still read and change the ACL, and so get its rights back.
        self.s3.put_bucket_acl(Bucket=b, ACL='private')
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)), {('CanonicalUser', self.owner_id): {'FULL_CONTROL'}})
        self.put(b, 'baz', b'a')
        self.assertEqual(self.get_body(b, 'baz'), b'a')

    def test_empty_access_control_list_in_raw_xml(self):
        b = self.new_bucket()
        body = ('<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f'<Owner><ID>{self.owner_id}</ID></Owner><AccessControlList/></AccessControlPolicy>').encode()
        r = self.gw.request('PUT', f'/{b}', 'acl', body=body)
        self.assertEqual(r.status, 200, repr(r))
        r = self.gw.request('GET', f'/{b}', 'acl')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.xml().findall('AccessControlList/Grant'), [])

    def test_policy_without_the_owner_gives_the_owner_only_what_it_lists(self):
        b = self.new_bucket()
        self.put(b, 'listed', b'x')
        acl = self.s3.get_bucket_acl(Bucket=b)
        self.s3.put_bucket_acl(Bucket=b, AccessControlPolicy=self.policy(acl, [self.group(ALL_USERS, 'READ')]))
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)), {('Group', ALL_USERS): {'READ'}})
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=b)['Contents']], ['listed'])
        self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='new', Body=b'a')
        self.assertEqual(self.gw.request('GET', f'/{b}', auth=None).status, 200)

    def test_object_acl_with_no_grants(self):
        b = self.new_bucket()
        self.put(b, 'o', b'data')
        acl = self.s3.get_object_acl(Bucket=b, Key='o')
        self.s3.put_object_acl(Bucket=b, Key='o', AccessControlPolicy=self.policy(acl, []))
        self.assertEqual(self.s3.get_object_acl(Bucket=b, Key='o')['Grants'], [])
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='o')
        self.s3.put_object_acl(Bucket=b, Key='o', ACL='private')
        self.assertEqual(self.get_body(b, 'o'), b'data')

    def writable_bucket(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantWrite=f'id="{self.other_id}"', GrantFullControl=f'id="{self.owner_id}"')
        return b

    def test_bucket_owner_lists_and_deletes_but_does_not_read_another_users_private_object(self):
        b = self.writable_bucket()
        self.other.put_object(Bucket=b, Key='theirs', Body=b'private to its writer')
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=b)['Contents']], ['theirs'])
        for fn in (self.s3.get_object, self.s3.get_object_acl, self.s3.get_object_attributes):
            with self.subTest(fn=fn.__name__):
                kw = {'ObjectAttributes': ['ETag']} if fn == self.s3.get_object_attributes else {}
                self.assertClientError(fn, 403, 'AccessDenied', Bucket=b, Key='theirs', **kw)
        self.assertClientError(self.s3.head_object, 403, None, Bucket=b, Key='theirs')
        self.assertClientError(self.s3.put_object_acl, 403, 'AccessDenied', Bucket=b, Key='theirs', ACL='public-read')
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', Bucket=b, Key='copy',
                               CopySource={'Bucket': b, 'Key': 'theirs'})
        self.assertEqual(self.get_body(b, 'theirs', client=self.other), b'private to its writer')
        # WRITE on the bucket: the bucket's owner overwrites it (and owns
        # what it wrote)...
        self.put(b, 'theirs', b'overwritten by the bucket owner')
        self.assertEqual(self.get_body(b, 'theirs'), b'overwritten by the bucket owner')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='theirs')
        # ...and deletes what others wrote.
        self.other.put_object(Bucket=b, Key='second', Body=b'x')
        self.s3.delete_object(Bucket=b, Key='second')
        self.assertNoObject(b, 'second')

    def test_bucket_owner_canned_acls_on_another_users_object(self):
        b = self.writable_bucket()
        for canned, permission in (('bucket-owner-read', 'READ'), ('bucket-owner-full-control', 'FULL_CONTROL')):
            with self.subTest(canned=canned):
                key = 'theirs-' + canned
                self.other.put_object(Bucket=b, Key=key, Body=b'for the bucket owner', ACL=canned)
                want = {('CanonicalUser', self.other_id): {'FULL_CONTROL'},
                        ('CanonicalUser', self.owner_id): {permission}}
                acl = self.other.get_object_acl(Bucket=b, Key=key)
                self.assertEqual(acl['Owner']['ID'], self.other_id)
                self.assertEqual(grants(acl), want)
                # The bucket's owner has what the canned ACL gives it: READ,
                # and READ_ACP only with FULL_CONTROL.
                self.assertEqual(self.get_body(b, key), b'for the bucket owner')
                if permission == 'FULL_CONTROL':
                    self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=key)), want)
                else:
                    self.assertClientError(self.s3.get_object_acl, 403, 'AccessDenied', Bucket=b, Key=key)
                # Set afterwards (PutObjectAcl), the same.
                self.other.put_object(Bucket=b, Key=key + '-later', Body=b'later')
                self.other.put_object_acl(Bucket=b, Key=key + '-later', ACL=canned)
                self.assertEqual(grants(self.other.get_object_acl(Bucket=b, Key=key + '-later')), want)
        # Multipart: the ACL given at creation.
        uid = self.other.create_multipart_upload(Bucket=b, Key='mp', ACL='bucket-owner-read')['UploadId']
        etag = self.other.upload_part(Bucket=b, Key='mp', UploadId=uid, PartNumber=1, Body=b'part')['ETag']
        self.other.complete_multipart_upload(Bucket=b, Key='mp', UploadId=uid,
                                             MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})
        self.assertEqual(grants(self.other.get_object_acl(Bucket=b, Key='mp')),
                         {('CanonicalUser', self.other_id): {'FULL_CONTROL'},
                          ('CanonicalUser', self.owner_id): {'READ'}})

    def test_bucket_owner_canned_acls_on_the_bucket_owners_object_are_private(self):
        b = self.new_bucket()
        for canned in ('bucket-owner-read', 'bucket-owner-full-control'):
            with self.subTest(canned=canned):
                self.put(b, canned, b'mine', ACL=canned)
                self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=canned)),
                                 {('CanonicalUser', self.owner_id): {'FULL_CONTROL'}})
                self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key=canned)

    def test_group_grants_are_listed_first_then_user_grants_by_id(self):
        # As Ceph RGW lists them: its grant map is keyed by the grantee's
        # user id (a group's key is empty), grants of one key in the order given.
        b = self.new_bucket()
        acl = self.s3.get_bucket_acl(Bucket=b)
        lo, hi = sorted((self.other_id, self.third_id))
        given = [self.user(hi, 'READ'), self.user(self.owner_id, 'FULL_CONTROL'), self.group(ALL_USERS, 'READ'),
                 self.user(lo, 'WRITE'), self.user(hi, 'WRITE'), self.group(AUTHENTICATED_USERS, 'READ_ACP'),
                 self.user(lo, 'READ')]
        self.s3.put_bucket_acl(Bucket=b, AccessControlPolicy=self.policy(acl, given))
        listed = [(g['Grantee'].get('ID') or g['Grantee'].get('URI'), g['Permission'])
                  for g in self.s3.get_bucket_acl(Bucket=b)['Grants']]
        users = [(g['Grantee']['ID'], g['Permission']) for g in given if 'ID' in g['Grantee']]
        self.assertEqual(listed, [(ALL_USERS, 'READ'), (AUTHENTICATED_USERS, 'READ_ACP')] +
                         sorted(users, key=lambda u: u[0]))
        # Canned: the same order on an object.
        self.put(b, 'pub', b'x', ACL='public-read')
        listed = [(g['Grantee'].get('ID') or g['Grantee'].get('URI'), g['Permission'])
                  for g in self.s3.get_object_acl(Bucket=b, Key='pub')['Grants']]
        self.assertEqual(listed, [(ALL_USERS, 'READ'), (self.owner_id, 'FULL_CONTROL')])


if __name__ == '__main__':
    main()
