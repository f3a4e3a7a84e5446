#!/usr/bin/env python3
"""Object ownership controls (Put/Get/DeleteBucketOwnershipControls,
CreateBucket's x-amz-object-ownership) and the public access block
(Put/Get/DeletePublicAccessBlock), enforced as S3 does: BucketOwnerEnforced
turns ACLs off (the bucket's owner owns every object, ACL grants give
nothing, only the owner's full control can be set), BucketOwnerPreferred
gives the bucket's owner what is written with bucket-owner-full-control;
BlockPublicAcls refuses public ACLs, IgnorePublicAcls makes their grants
count for nothing, BlockPublicPolicy refuses a public policy and
RestrictPublicBuckets keeps a public policy's grants to the owner. A bucket
without controls keeps ACLs on (ObjectWriter)."""

import unittest

from harness import TwoUserTestCase, main, md5_header, on_rados
from test_bucket_policy import allow, policy, public_read

OWNERSHIP_NOT_FOUND = 'OwnershipControlsNotFoundError'
BLOCK_NOT_FOUND = 'NoSuchPublicAccessBlockConfiguration'


def controls(ownership):
    return {'Rules': [{'ObjectOwnership': ownership}]}


def block(**settings):
    return {name: settings.get(name, False)
            for name in ('BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets')}


class OwnershipAndPublicAccessTests(TwoUserTestCase):
    def anon(self, method, path, query='', body=b''):
        return self.gw.request(method, path, query, body=body, auth=None)

    def assertAnonGets(self, bucket, key, body):
        r = self.anon('GET', f'/{bucket}/{key}')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, body)

    def ownership(self, bucket):
        return self.s3.get_bucket_ownership_controls(Bucket=bucket)['OwnershipControls']['Rules'][0]['ObjectOwnership']

    def object_owner(self, bucket, key, client=None):
        return (client or self.s3).get_object_acl(Bucket=bucket, Key=key)['Owner']['ID']

    def enforced_bucket(self):
        b = self.new_bucket()
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        return b

    # ---- ownership controls: the calls ------------------------------------

    def test_ownership_controls_round_trip(self):
        b = self.new_bucket()
        self.assertClientError(self.s3.get_bucket_ownership_controls, 404, OWNERSHIP_NOT_FOUND, Bucket=b)
        for value in ('BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'):
            r = self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls(value))
            self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
            self.assertEqual(self.ownership(b), value)
        r = self.s3.delete_bucket_ownership_controls(Bucket=b)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.get_bucket_ownership_controls, 404, OWNERSHIP_NOT_FOUND, Bucket=b)
        # Deleting what is not there is no error.
        self.s3.delete_bucket_ownership_controls(Bucket=b)

    def test_bad_ownership_controls_are_refused_and_change_nothing(self):
        b = self.new_bucket()
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('ObjectWriter'))
        for bad in [b'<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>',
                    b'<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>'
                    b'<Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>',
                    b'<OwnershipControls></OwnershipControls>',
                    b'<PublicAccessBlockConfiguration/>', b'not xml']:
            r = self.gw.request('PUT', f'/{b}', 'ownershipControls', headers=md5_header(bad), body=bad)
            self.assertError(r, 400, 'MalformedXML')
        good = b'<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule>' \
               b'</OwnershipControls>'
        # S3 asks for a digest of the body.
        self.assertError(self.gw.request('PUT', f'/{b}', 'ownershipControls', body=good), 400, 'InvalidRequest')
        self.assertEqual(self.ownership(b), 'ObjectWriter')

    def test_only_the_owner_manages_ownership_controls(self):
        b = self.new_bucket()
        self.assertClientError(self.other.put_bucket_ownership_controls, 403, 'AccessDenied', Bucket=b,
                               OwnershipControls=controls('BucketOwnerEnforced'))
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerPreferred'))
        self.assertClientError(self.other.get_bucket_ownership_controls, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.delete_bucket_ownership_controls, 403, 'AccessDenied', Bucket=b)
        self.assertError(self.anon('GET', f'/{b}', 'ownershipControls'), 403, 'AccessDenied')
        self.assertEqual(self.ownership(b), 'BucketOwnerPreferred')

    def test_a_policy_lets_no_one_else_manage_the_settings(self):
        b = self.new_bucket()
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(IgnorePublicAcls=True))
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerPreferred'))
        actions = ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock', 's3:GetBucketOwnershipControls',
                   's3:PutBucketOwnershipControls']
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(allow('*', actions, f'arn:aws:s3:::{b}')))
        for query in ('publicAccessBlock', 'ownershipControls'):
            self.assertError(self.anon('DELETE', f'/{b}', query), 403, 'AccessDenied')
            self.assertError(self.anon('GET', f'/{b}', query), 403, 'AccessDenied')
        self.assertClientError(self.other.delete_public_access_block, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.put_public_access_block, 403, 'AccessDenied', Bucket=b,
                               PublicAccessBlockConfiguration=block())
        self.assertClientError(self.other.put_bucket_ownership_controls, 403, 'AccessDenied', Bucket=b,
                               OwnershipControls=controls('ObjectWriter'))
        self.assertClientError(self.other.get_bucket_ownership_controls, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration'],
                         block(IgnorePublicAcls=True))
        self.assertEqual(self.ownership(b), 'BucketOwnerPreferred')

    def test_create_bucket_again_with_other_ownership_is_refused(self):
        b = f'own-{self.id().rsplit(".", 1)[-1][:20].replace("_", "-")}'
        self.s3.create_bucket(Bucket=b)
        # us-east-1 answers 200 to the owner re-creating its bucket as it is,
        # but not to one asking for other controls than it has.
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyExists', Bucket=b,
                               ObjectOwnership='BucketOwnerEnforced')
        self.assertClientError(self.s3.get_bucket_ownership_controls, 404, OWNERSHIP_NOT_FOUND, Bucket=b)
        self.s3.create_bucket(Bucket=b, ObjectOwnership='ObjectWriter')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.s3.create_bucket(Bucket=b, ObjectOwnership='BucketOwnerEnforced')
        self.assertClientError(self.s3.create_bucket, 409, 'BucketAlreadyExists', Bucket=b,
                               ObjectOwnership='BucketOwnerPreferred')
        self.assertEqual(self.ownership(b), 'BucketOwnerEnforced')

    def test_create_bucket_with_object_ownership(self):
        b = f'own-{self.id().rsplit(".", 1)[-1][:20].replace("_", "-")}'
        self.s3.create_bucket(Bucket=b, ObjectOwnership='BucketOwnerEnforced')
        self.assertEqual(self.ownership(b), 'BucketOwnerEnforced')
        # Without the header a bucket has no controls: ACLs stay on.
        plain = self.new_bucket()
        self.assertClientError(self.s3.get_bucket_ownership_controls, 404, OWNERSHIP_NOT_FOUND, Bucket=plain)
        # An unknown value, and ACLs off with a public ACL, create nothing.
        r = self.gw.request('PUT', '/own-bad-value', headers={'x-amz-object-ownership': 'Everyone'})
        self.assertError(r, 400, 'InvalidArgument')
        self.assertClientError(self.s3.create_bucket, 400, 'InvalidBucketAclWithObjectOwnership',
                               Bucket='own-bad-acl', ACL='public-read', ObjectOwnership='BucketOwnerEnforced')
        for name in ('own-bad-value', 'own-bad-acl'):
            self.assertClientError(self.s3.head_bucket, 404, None, Bucket=name)
        self.s3.create_bucket(Bucket='own-private', ACL='private', ObjectOwnership='BucketOwnerEnforced')
        self.assertEqual(self.ownership('own-private'), 'BucketOwnerEnforced')

    # ---- BucketOwnerEnforced ------------------------------------------------

    def test_enforced_refuses_acls_other_than_the_owners(self):
        b = self.new_bucket()
        self.put(b, 'kept', b'kept', ACL='public-read')
        self.assertAnonGets(b, 'kept', b'kept')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        acl_error = 'AccessControlListNotSupported'
        self.assertClientError(self.s3.put_object, 400, acl_error, Bucket=b, Key='pub', Body=b'x', ACL='public-read')
        self.assertClientError(self.s3.put_object, 400, acl_error, Bucket=b, Key='pub', Body=b'x',
                               GrantRead=f'id={self.other_id}')
        self.assertNoObject(b, 'pub')
        self.assertClientError(self.s3.copy_object, 400, acl_error, Bucket=b, Key='pub',
                               CopySource={'Bucket': b, 'Key': 'kept'}, ACL='public-read')
        self.assertNoObject(b, 'pub')
        self.assertClientError(self.s3.create_multipart_upload, 400, acl_error, Bucket=b, Key='pub',
                               ACL='authenticated-read')
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []), [])
        self.assertClientError(self.s3.put_object_acl, 400, acl_error, Bucket=b, Key='kept', ACL='public-read')
        self.assertClientError(self.s3.put_bucket_acl, 400, acl_error, Bucket=b, ACL='public-read')
        # Its public-read, set before, gives nothing now.
        self.assertError(self.anon('GET', f'/{b}/kept'), 403, 'AccessDenied')
        # The owner's full control is accepted, as S3 accepts it.
        self.put(b, 'bofc', b'y', ACL='bucket-owner-full-control')
        self.put(b, 'private', b'z', ACL='private')
        self.s3.put_object_acl(Bucket=b, Key='kept', ACL='bucket-owner-full-control')
        self.s3.put_bucket_acl(Bucket=b, ACL='private')
        grants = self.s3.get_bucket_acl(Bucket=b)['Grants']
        self.assertEqual([(g['Grantee']['ID'], g['Permission']) for g in grants], [(self.owner_id, 'FULL_CONTROL')])

    def test_enforced_refuses_canned_acls_by_name(self):
        # These encode to the owner's full control here, yet S3 refuses them.
        b = self.enforced_bucket()
        self.put(b, 'kept', b'kept')
        acl_error = 'AccessControlListNotSupported'
        for acl in ('bucket-owner-read', 'log-delivery-write', 'aws-exec-read'):
            with self.subTest(acl):
                self.assertClientError(self.s3.put_object, 400, acl_error, Bucket=b, Key='new', Body=b'x', ACL=acl)
                self.assertClientError(self.s3.put_object_acl, 400, acl_error, Bucket=b, Key='kept', ACL=acl)
                self.assertClientError(self.s3.put_bucket_acl, 400, acl_error, Bucket=b, ACL=acl)
                self.assertClientError(self.s3.create_bucket, 400, 'InvalidBucketAclWithObjectOwnership',
                                       Bucket='own-canned', ACL=acl, ObjectOwnership='BucketOwnerEnforced')
        self.assertNoObject(b, 'new')
        self.assertClientError(self.s3.head_bucket, 404, None, Bucket='own-canned')

    def test_enforced_covers_form_uploads_and_listings(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantWrite=f'id={self.other_id}', GrantFullControl=f'id={self.owner_id}')
        self.put(b, 'theirs', b'by other', client=self.other)
        self.s3.put_bucket_acl(Bucket=b, ACL='private')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        listed = self.s3.list_objects_v2(Bucket=b, FetchOwner=True)['Contents']
        self.assertEqual([(o['Key'], o['Owner']['ID']) for o in listed], [('theirs', self.owner_id)])
        self.assertEqual(self.s3.list_objects(Bucket=b)['Contents'][0]['Owner']['ID'], self.owner_id)
        self.assertEqual(self.get_body(b, 'theirs'), b'by other')
        # A browser upload's acl field is an ACL like any other.
        post = self.s3.generate_presigned_post(b, 'form', Fields={'acl': 'public-read'},
                                               Conditions=[{'acl': 'public-read'}], ExpiresIn=600)
        self.assertError(self.post_form(b, post), 400, 'AccessControlListNotSupported')
        self.assertNoObject(b, 'form')

    def post_form(self, bucket, post, data=b'form data'):
        from test_post_object import BOUNDARY, form_body
        body = form_body(list(post['fields'].items()), data)
        headers = [('Host', self.gw.hostport), ('Content-Type', f'multipart/form-data; boundary={BOUNDARY}'),
                   ('Content-Length', str(len(body)))]
        return self.gw.send('POST', '/' + bucket, headers, body, timeout=120)

    def test_settings_apply_at_multipart_completion(self):
        b = self.new_bucket()
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:PutObject', f'arn:aws:s3:::{b}/*')))
        public = self.other.create_multipart_upload(Bucket=b, Key='public', ACL='public-read')['UploadId']
        private = self.other.create_multipart_upload(Bucket=b, Key='private')['UploadId']
        parts = {}
        for key, upload in (('public', public), ('private', private)):
            etag = self.other.upload_part(Bucket=b, Key=key, UploadId=upload, PartNumber=1, Body=key.encode())['ETag']
            parts[key] = {'Parts': [{'PartNumber': 1, 'ETag': etag}]}
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(BlockPublicAcls=True))
        self.assertClientError(self.other.complete_multipart_upload, 403, 'AccessDenied', Bucket=b, Key='public',
                               UploadId=public, MultipartUpload=parts['public'])
        self.s3.delete_public_access_block(Bucket=b)
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.assertClientError(self.other.complete_multipart_upload, 400, 'AccessControlListNotSupported', Bucket=b,
                               Key='public', UploadId=public, MultipartUpload=parts['public'])
        self.assertNoObject(b, 'public')
        self.other.complete_multipart_upload(Bucket=b, Key='private', UploadId=private,
                                             MultipartUpload=parts['private'])
        # The bucket's owner owns it, and keeps it once ACLs are back on.
        self.s3.delete_bucket_ownership_controls(Bucket=b)
        self.assertEqual(self.object_owner(b, 'private'), self.owner_id)
        self.assertEqual(self.get_body(b, 'private'), b'private')

    def test_enforced_asks_the_same_bucket_acl_as_create_bucket(self):
        # An ACL listing the owner's READ alone (no FULL_CONTROL): refused by
        # CreateBucket with BucketOwnerEnforced, and so by the controls' PUT.
        self.assertClientError(self.s3.create_bucket, 400, 'InvalidBucketAclWithObjectOwnership',
                               Bucket='own-read-only', GrantRead=f'id={self.owner_id}',
                               ObjectOwnership='BucketOwnerEnforced')
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantRead=f'id={self.owner_id}')
        self.assertClientError(self.s3.put_bucket_ownership_controls, 400, 'InvalidBucketAclWithObjectOwnership',
                               Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.assertClientError(self.s3.get_bucket_ownership_controls, 404, OWNERSHIP_NOT_FOUND, Bucket=b)

    def test_enforced_gives_every_object_to_the_bucket_owner(self):
        b = self.new_bucket()
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:PutObject', f'arn:aws:s3:::{b}/*')))
        # ACLs on: the writer owns its object, which is private to it.
        self.put(b, 'before', b'written before', client=self.other)
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='before')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.assertEqual(self.get_body(b, 'before'), b'written before')
        acl = self.s3.get_object_acl(Bucket=b, Key='before')
        self.assertEqual(acl['Owner']['ID'], self.owner_id)
        self.assertEqual([(g['Grantee']['ID'], g['Permission']) for g in acl['Grants']],
                         [(self.owner_id, 'FULL_CONTROL')])
        self.put(b, 'after', b'written after', client=self.other, ACL='bucket-owner-full-control')
        self.assertEqual(self.object_owner(b, 'after'), self.owner_id)
        # The writer has what the policy gives it, no more: not a read.
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='after')
        # ACLs back on: the earlier object is its writer's again, as in S3.
        self.s3.delete_bucket_ownership_controls(Bucket=b)
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='before')
        self.assertEqual(self.get_body(b, 'after'), b'written after')

    def test_enforced_acl_grants_give_nothing(self):
        b = self.new_bucket()
        self.put(b, 'page', b'public page', ACL='public-read')
        self.s3.put_bucket_acl(Bucket=b, GrantRead=f'id={self.other_id}', GrantFullControl=f'id={self.owner_id}')
        self.assertAnonGets(b, 'page', b'public page')
        # ACLs go off only once the bucket's ACL grants nobody else.
        self.assertClientError(self.s3.put_bucket_ownership_controls, 400, 'InvalidBucketAclWithObjectOwnership',
                               Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.assertClientError(self.s3.get_bucket_ownership_controls, 404, OWNERSHIP_NOT_FOUND, Bucket=b)
        self.assertEqual(self.other.list_objects_v2(Bucket=b)['KeyCount'], 1)
        self.s3.put_bucket_acl(Bucket=b, ACL='private')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.assertError(self.anon('GET', f'/{b}/page'), 403, 'AccessDenied')
        # A policy still grants.
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.assertAnonGets(b, 'page', b'public page')
        self.s3.delete_bucket_policy(Bucket=b)
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('ObjectWriter'))
        self.assertAnonGets(b, 'page', b'public page')

    # ---- BucketOwnerPreferred -------------------------------------------------

    def test_preferred_takes_objects_given_bucket_owner_full_control(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantWrite=f'id={self.other_id}', GrantFullControl=f'id={self.owner_id}')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerPreferred'))
        self.put(b, 'given', b'given away', client=self.other, ACL='bucket-owner-full-control')
        self.put(b, 'kept', b'kept', client=self.other)
        self.assertEqual(self.object_owner(b, 'given'), self.owner_id)
        self.assertEqual(self.get_body(b, 'given'), b'given away')
        self.assertEqual(self.object_owner(b, 'kept', client=self.other), self.other_id)
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='kept')
        # ObjectWriter (as without controls): the writer keeps it.
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('ObjectWriter'))
        self.put(b, 'writers', b'w', client=self.other, ACL='bucket-owner-full-control')
        self.assertEqual(self.object_owner(b, 'writers', client=self.other), self.other_id)

    # ---- public access block: the calls ---------------------------------------

    def test_public_access_block_round_trip(self):
        b = self.new_bucket()
        self.assertClientError(self.s3.get_public_access_block, 404, BLOCK_NOT_FOUND, Bucket=b)
        r = self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={'BlockPublicAcls': True})
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        got = self.s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration']
        self.assertEqual(got, block(BlockPublicAcls=True))
        every = block(BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True)
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=every)
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration'], every)
        r = self.s3.delete_public_access_block(Bucket=b)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.get_public_access_block, 404, BLOCK_NOT_FOUND, Bucket=b)
        self.s3.delete_public_access_block(Bucket=b)

    def test_bad_public_access_block_is_refused_and_changes_nothing(self):
        b = self.new_bucket()
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={'IgnorePublicAcls': True})
        for bad in [b'<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>'
                    b'</PublicAccessBlockConfiguration>',
                    b'<PublicAccessBlockConfiguration><BlockEverything>true</BlockEverything>'
                    b'</PublicAccessBlockConfiguration>',
                    b'<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>'
                    b'<BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>',
                    b'<OwnershipControls/>']:
            r = self.gw.request('PUT', f'/{b}', 'publicAccessBlock', headers=md5_header(bad), body=bad)
            self.assertError(r, 400, 'MalformedXML')
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration'],
                         block(IgnorePublicAcls=True))

    def test_only_the_owner_manages_the_public_access_block(self):
        b = self.new_bucket()
        self.assertClientError(self.other.put_public_access_block, 403, 'AccessDenied', Bucket=b,
                               PublicAccessBlockConfiguration=block())
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(IgnorePublicAcls=True))
        self.assertClientError(self.other.get_public_access_block, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.delete_public_access_block, 403, 'AccessDenied', Bucket=b)
        self.assertError(self.anon('DELETE', f'/{b}', 'publicAccessBlock'), 403, 'AccessDenied')
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration'],
                         block(IgnorePublicAcls=True))

    # ---- public access block: enforced ---------------------------------------

    def test_block_public_acls(self):
        b = self.new_bucket()
        self.put(b, 'was-public', b'before', ACL='public-read')
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(BlockPublicAcls=True))
        for acl in ('public-read', 'public-read-write', 'authenticated-read'):
            self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='new', Body=b'x', ACL=acl)
        self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='new', Body=b'x',
                               GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
        self.assertNoObject(b, 'new')
        self.assertClientError(self.s3.create_multipart_upload, 403, 'AccessDenied', Bucket=b, Key='new',
                               ACL='public-read')
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', Bucket=b, Key='new',
                               CopySource={'Bucket': b, 'Key': 'was-public'}, ACL='public-read')
        self.assertNoObject(b, 'new')
        self.assertClientError(self.s3.put_object_acl, 403, 'AccessDenied', Bucket=b, Key='was-public',
                               ACL='authenticated-read')
        self.assertClientError(self.s3.put_bucket_acl, 403, 'AccessDenied', Bucket=b, ACL='public-read')
        self.assertNotIn('AllUsers', str(self.s3.get_bucket_acl(Bucket=b)['Grants']))
        # ACLs that are not public still go through; the existing public
        # one is kept and still counts (that is IgnorePublicAcls' part).
        self.put(b, 'shared', b'y', GrantRead=f'id={self.other_id}')
        self.assertEqual(self.get_body(b, 'shared', client=self.other), b'y')
        self.assertAnonGets(b, 'was-public', b'before')

    def test_ignore_public_acls(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read')
        self.put(b, 'page', b'public page', ACL='public-read')
        self.put(b, 'members', b'for users', ACL='authenticated-read')
        self.put(b, 'named', b'for other', GrantRead=f'id={self.other_id}')
        self.assertAnonGets(b, 'page', b'public page')
        self.assertEqual(self.anon('GET', f'/{b}').status, 200)
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(IgnorePublicAcls=True))
        self.assertError(self.anon('GET', f'/{b}/page'), 403, 'AccessDenied')
        self.assertError(self.anon('GET', f'/{b}'), 403, 'AccessDenied')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='members')
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        # A grant to a named user is not public: it still counts.
        self.assertEqual(self.get_body(b, 'named', client=self.other), b'for other')
        # The ACLs are kept, and count again once the block goes.
        self.assertIn('AllUsers', str(self.s3.get_object_acl(Bucket=b, Key='page')['Grants']))
        self.s3.delete_public_access_block(Bucket=b)
        self.assertAnonGets(b, 'page', b'public page')

    def test_block_public_policy(self):
        b = self.new_bucket()
        self.put(b, 'page', b'public page')
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(BlockPublicPolicy=True))
        # The stored policy stays in force; a new public one is refused.
        self.assertAnonGets(b, 'page', b'public page')
        self.s3.delete_bucket_policy(Bucket=b)
        self.assertClientError(self.s3.put_bucket_policy, 403, 'AccessDenied', Bucket=b, Policy=public_read(b))
        self.assertClientError(self.s3.get_bucket_policy, 404, 'NoSuchBucketPolicy', Bucket=b)
        self.assertError(self.anon('GET', f'/{b}/page'), 403, 'AccessDenied')
        # One naming a user, or narrowed by a condition, is not public.
        named = policy(allow({'AWS': self.other_id}, 's3:GetObject', f'arn:aws:s3:::{b}/*'))
        self.s3.put_bucket_policy(Bucket=b, Policy=named)
        self.assertEqual(self.get_body(b, 'page', client=self.other), b'public page')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/*', {'IpAddress': {'aws:SourceIp': '10.0.0.0/8'}})))

    def test_restrict_public_buckets(self):
        b = self.new_bucket()
        self.put(b, 'page', b'public page')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/*'),
            allow({'AWS': self.other_id}, 's3:ListBucket', f'arn:aws:s3:::{b}')))
        self.assertTrue(self.s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic'])
        self.assertAnonGets(b, 'page', b'public page')
        self.assertEqual(self.other.list_objects_v2(Bucket=b)['KeyCount'], 1)
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(RestrictPublicBuckets=True))
        self.assertError(self.anon('GET', f'/{b}/page'), 403, 'AccessDenied')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='page')
        # Even the statement naming the other user: the policy is public.
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.get_body(b, 'page'), b'public page')
        # The policy's own status, as AWS documents IsPublic: still public.
        self.assertTrue(self.s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic'])
        # A policy that is not public is not restricted.
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:GetObject', f'arn:aws:s3:::{b}/*')))
        self.assertEqual(self.get_body(b, 'page', client=self.other), b'public page')
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.s3.delete_public_access_block(Bucket=b)
        self.assertAnonGets(b, 'page', b'public page')
        self.assertTrue(self.s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic'])

    # ---- kept ----------------------------------------------------------------

    def test_settings_survive_a_restart(self):
        b = self.new_bucket()
        self.put(b, 'page', b'public page', ACL='public-read')
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerPreferred'))
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(IgnorePublicAcls=True))
        self.gw.restart()  # on another port: new clients
        type(self).s3 = self.gw.client()
        type(self).other = self.gw.client(self.other_creds)
        self.assertEqual(self.ownership(b), 'BucketOwnerPreferred')
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration'],
                         block(IgnorePublicAcls=True))
        self.assertError(self.anon('GET', f'/{b}/page'), 403, 'AccessDenied')
        # Preferred still takes effect: what is given bucket-owner-full-control is the owner's.
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:PutObject', f'arn:aws:s3:::{b}/*')))
        self.put(b, 'given', b'given', client=self.other, ACL='bucket-owner-full-control')
        self.assertEqual(self.object_owner(b, 'given'), self.owner_id)

    @unittest.skipUnless(on_rados(), 'two gateways share a volume only on RADOS')
    def test_a_second_gateway_follows_the_settings_at_once(self):
        b = self.new_bucket()
        self.put(b, 'page', b'shared page', ACL='public-read')
        second = self.gw.sharing_volume().start()
        self.addCleanup(second.stop)
        self.assertEqual(second.request('GET', f'/{b}/page', auth=None).status, 200)
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(IgnorePublicAcls=True))
        self.assertError(second.request('GET', f'/{b}/page', auth=None), 403, 'AccessDenied')
        self.s3.delete_public_access_block(Bucket=b)
        self.assertEqual(second.request('GET', f'/{b}/page', auth=None).status, 200)
        self.s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=controls('BucketOwnerEnforced'))
        self.assertError(second.request('GET', f'/{b}/page', auth=None), 403, 'AccessDenied')


if __name__ == '__main__':
    main()
