#!/usr/bin/env python3
"""Bucket policies: Put/Get/DeleteBucketPolicy (owner only, a refused
document stores nothing), GetBucketPolicyStatus, and the policy deciding
requests with the ACLs as S3 does: an explicit Deny refuses (the owner
included), an Allow grants what the ACLs would not (anonymous requests
included), neither leaves it to the ACLs. Conditions on the peer address,
TLS and the listing's prefix; DeleteObjects per key; a browser upload
under the form's key; a copy's source under its own bucket's policy; on
RADOS, a second gateway on the volume following a change at once."""

import json
import shutil
import tempfile
import unittest

from harness import GatewayTestCase, main, on_rados, unique_bucket
from test_post_object import BOUNDARY, form_body
from test_tls import self_signed_certificate


def policy(*statements):
    return json.dumps({'Version': '2012-10-17', 'Statement': list(statements)})


def allow(principal, action, resource, condition=None, effect='Allow'):
    s = {'Effect': effect, 'Principal': principal, 'Action': action, 'Resource': resource}
    if condition:
        s['Condition'] = condition
    return s


def deny(principal, action, resource, condition=None):
    return allow(principal, action, resource, condition, effect='Deny')


def public_read(bucket):
    return policy(allow('*', 's3:GetObject', f'arn:aws:s3:::{bucket}/*'))


class BucketPolicyTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_creds = cls.gw.create_user()
        cls.other = cls.gw.client(cls.other_creds)
        cls.other_id = cls.other.list_buckets()['Owner']['ID']

    def anon(self, method, path, query='', body=b''):
        return self.gw.request(method, path, query, body=body, auth=None)

    def get_policy(self, bucket):
        return self.gw.request('GET', f'/{bucket}', 'policy')

    def test_put_get_delete_round_trip(self):
        b = self.new_bucket()
        e = self.assertClientError(self.s3.get_bucket_policy, 404, 'NoSuchBucketPolicy', Bucket=b)
        self.assertEqual(e.response['Error']['Message'], 'The bucket policy does not exist')
        doc = public_read(b)
        r = self.s3.put_bucket_policy(Bucket=b, Policy=doc)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertEqual(self.s3.get_bucket_policy(Bucket=b)['Policy'], doc)
        raw = self.get_policy(b)
        self.assertEqual(raw.status, 200, repr(raw))
        self.assertEqual(raw.header('Content-Type'), 'application/json')
        self.assertEqual(raw.body, doc.encode())
        self.assertEqual(self.s3.delete_bucket_policy(Bucket=b)['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.get_bucket_policy, 404, 'NoSuchBucketPolicy', Bucket=b)
        # Deleting what is not there is no error, as in S3.
        self.assertEqual(self.s3.delete_bucket_policy(Bucket=b)['ResponseMetadata']['HTTPStatusCode'], 204)

    def test_malformed_policy_is_refused_and_changes_nothing(self):
        b = self.new_bucket()
        for bad in ['not json', policy(allow('*', 's3:GetObject', 'arn:aws:s3:::another-bucket/*')),
                    policy(allow('*', 's3:NoSuchAction', f'arn:aws:s3:::{b}/*')),
                    json.dumps({'Version': '2012-10-17', 'Statement': []})]:
            self.assertClientError(self.s3.put_bucket_policy, 400, 'MalformedPolicy', Bucket=b, Policy=bad)
            self.assertClientError(self.s3.get_bucket_policy, 404, 'NoSuchBucketPolicy', Bucket=b)
        doc = public_read(b)
        self.s3.put_bucket_policy(Bucket=b, Policy=doc)
        self.assertClientError(self.s3.put_bucket_policy, 400, 'MalformedPolicy', Bucket=b, Policy='{')
        self.assertEqual(self.s3.get_bucket_policy(Bucket=b)['Policy'], doc)
        # Past 20 KB.
        huge = policy(*[allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/k{i:05}') for i in range(400)])
        self.assertGreater(len(huge), 20 * 1024)
        self.assertClientError(self.s3.put_bucket_policy, 400, 'MalformedPolicy', Bucket=b, Policy=huge)
        self.assertEqual(self.s3.get_bucket_policy(Bucket=b)['Policy'], doc)

    def test_only_the_owner_manages_the_policy(self):
        b = self.new_bucket()
        doc = public_read(b)
        self.assertClientError(self.other.put_bucket_policy, 403, 'AccessDenied', Bucket=b, Policy=doc)
        self.s3.put_bucket_policy(Bucket=b, Policy=doc)
        self.assertClientError(self.other.get_bucket_policy, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.delete_bucket_policy, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.s3.get_bucket_policy(Bucket=b)['Policy'], doc)

    def test_public_read_policy(self):
        b = self.new_bucket()
        self.put(b, 'page.html', b'<html>hello</html>')
        self.assertError(self.anon('GET', f'/{b}/page.html'), 403, 'AccessDenied')
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        r = self.anon('GET', f'/{b}/page.html')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'<html>hello</html>')
        self.assertEqual(self.get_body(b, 'page.html', client=self.other), b'<html>hello</html>')
        self.assertError(self.anon('PUT', f'/{b}/page.html', body=b'defaced'), 403, 'AccessDenied')
        self.assertEqual(self.get_body(b, 'page.html'), b'<html>hello</html>')
        self.assertError(self.anon('GET', f'/{b}'), 403, 'AccessDenied')
        self.assertError(self.anon('GET', f'/{b}', 'list-type=2'), 403, 'AccessDenied')
        # A key that is not there: 403 without s3:ListBucket, as S3 answers.
        self.assertError(self.anon('GET', f'/{b}/missing'), 403, 'AccessDenied')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/*'), allow('*', 's3:ListBucket', f'arn:aws:s3:::{b}')))
        r = self.anon('GET', f'/{b}', 'list-type=2')
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn(b'<Key>page.html</Key>', r.body)
        self.assertError(self.anon('GET', f'/{b}/missing'), 404, 'NoSuchKey')
        self.s3.delete_bucket_policy(Bucket=b)
        self.assertError(self.anon('GET', f'/{b}/page.html'), 403, 'AccessDenied')

    def test_deny_binds_the_owner(self):
        b = self.new_bucket()
        self.put(b, 'keep', b'precious')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(deny('*', 's3:DeleteObject', f'arn:aws:s3:::{b}/*')))
        self.assertClientError(self.s3.delete_object, 403, 'AccessDenied', Bucket=b, Key='keep')
        self.assertEqual(self.get_body(b, 'keep'), b'precious')
        # The owner still manages the policy that denies it.
        self.assertIn('Deny', self.s3.get_bucket_policy(Bucket=b)['Policy'])
        self.s3.delete_bucket_policy(Bucket=b)
        self.s3.delete_object(Bucket=b, Key='keep')
        self.assertNoObject(b, 'keep')

    def test_deny_of_everything_leaves_the_owner_its_policy_calls(self):
        b = self.new_bucket()
        self.put(b, 'keep', b'precious')
        doc = policy(deny('*', 's3:*', [f'arn:aws:s3:::{b}', f'arn:aws:s3:::{b}/*']))
        self.s3.put_bucket_policy(Bucket=b, Policy=doc)
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='keep')
        self.assertClientError(self.s3.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.s3.get_bucket_policy(Bucket=b)['Policy'], doc)
        self.s3.put_bucket_policy(Bucket=b, Policy=doc)
        self.s3.delete_bucket_policy(Bucket=b)
        self.assertEqual(self.get_body(b, 'keep'), b'precious')

    def test_a_version_id_does_not_get_past_a_deny(self):
        b = self.new_bucket()
        self.put(b, 'keep', b'precious')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            deny('*', ['s3:GetObject', 's3:DeleteObject'], f'arn:aws:s3:::{b}/*')))
        # A request naming a version is refused by a Deny of the plain action too.
        for version in ['whatever', 'null']:
            self.assertError(self.gw.request('GET', f'/{b}/keep', f'versionId={version}'), 403, 'AccessDenied')
            self.assertError(self.gw.request('DELETE', f'/{b}/keep', f'versionId={version}'), 403, 'AccessDenied')
        self.s3.delete_bucket_policy(Bucket=b)
        # In an unversioned bucket the object is the version "null": another
        # id names nothing (a malformed one is refused), and never reaches
        # the object; a DELETE of a well-formed one is answered 204, as S3
        # does, of a malformed one 400.
        self.assertError(self.gw.request('GET', f'/{b}/keep', 'versionId=whatever'), 400, 'InvalidArgument')
        self.assertError(self.gw.request('GET', f'/{b}/keep', 'versionId=' + '0' * 24), 404, 'NoSuchVersion')
        r = self.gw.request('DELETE', f'/{b}/keep', 'versionId=' + '0' * 24)
        self.assertEqual((r.status, r.header('x-amz-version-id')), (204, '0' * 24), repr(r))
        self.assertError(self.gw.request('DELETE', f'/{b}/keep', 'versionId=whatever'), 400, 'InvalidArgument')
        self.assertEqual(self.get_body(b, 'keep'), b'precious')
        r = self.gw.request('GET', f'/{b}/keep', 'versionId=null')
        self.assertEqual((r.status, r.body), (200, b'precious'))

    def test_the_owners_policy_does_not_open_another_writers_object(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, GrantWrite=f'id={self.other_id}',
                               GrantFullControl=f'id={self.s3.list_buckets()["Owner"]["ID"]}')
        self.put(b, 'theirs', b'private to other', client=self.other)
        self.put(b, 'ours', b'public')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow('*', ['s3:GetObject', 's3:PutObjectTagging'], f'arn:aws:s3:::{b}/*')))
        self.assertEqual(self.anon('GET', f'/{b}/ours').status, 200)
        # Written by another user with a private ACL: the bucket's policy
        # does not speak for it (S3 with ACLs on).
        self.assertError(self.anon('GET', f'/{b}/theirs'), 403, 'AccessDenied')
        self.assertEqual(self.get_body(b, 'theirs', client=self.other), b'private to other')
        # The same as a copy's source: the policy lets the bucket owner copy
        # its own object, not the other writer's (which it may not GET).
        self.s3.copy_object(Bucket=b, Key='copy-of-ours', CopySource={'Bucket': b, 'Key': 'ours'})
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='theirs')
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', Bucket=b, Key='copy-of-theirs',
                               CopySource={'Bucket': b, 'Key': 'theirs'})
        self.assertClientError(self.s3.head_object, 404, None, Bucket=b, Key='copy-of-theirs')
        # Nor when PutObjectTagging decides the policy itself (its body's
        # tags are condition keys): the ACL's refusal changes nothing.
        tagging = b'<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>'
        self.assertEqual(self.anon('PUT', f'/{b}/ours', 'tagging', body=tagging).status, 200)
        self.assertError(self.anon('PUT', f'/{b}/theirs', 'tagging', body=tagging), 403, 'AccessDenied')
        self.assertEqual(self.other.get_object_tagging(Bucket=b, Key='theirs')['TagSet'], [])

    def test_allow_for_another_user(self):
        b = self.new_bucket()
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, ['s3:PutObject', 's3:GetObject'], f'arn:aws:s3:::{b}/shared/*')))
        self.put(b, 'shared/doc', b'from other', client=self.other)
        self.assertEqual(self.get_body(b, 'shared/doc', client=self.other), b'from other')
        self.assertClientError(self.other.put_object, 403, 'AccessDenied', Bucket=b, Key='private/doc', Body=b'x')
        self.assertError(self.anon('GET', f'/{b}/shared/doc'), 403, 'AccessDenied')
        # A user that does not exist is refused, as S3 does.
        self.assertClientError(self.s3.put_bucket_policy, 400, 'MalformedPolicy', Bucket=b, Policy=policy(
            allow({'AWS': '0123456789abcdef'}, 's3:GetObject', f'arn:aws:s3:::{b}/*')))

    def test_ip_address_condition(self):
        b = self.new_bucket()
        self.put(b, 'obj', b'data')
        for cidr, status in [('127.0.0.1/32', 200), ('10.0.0.0/8', 403)]:
            self.s3.put_bucket_policy(Bucket=b, Policy=policy(
                allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/*', {'IpAddress': {'aws:SourceIp': cidr}})))
            self.assertEqual(self.anon('GET', f'/{b}/obj').status, status, cidr)

    def test_secure_transport_false_denies_plain_http(self):
        b = self.new_bucket()
        self.put(b, 'obj', b'data')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            deny('*', 's3:*', [f'arn:aws:s3:::{b}', f'arn:aws:s3:::{b}/*'], {'Bool': {'aws:SecureTransport': 'false'}})))
        self.assertClientError(self.s3.get_object, 403, 'AccessDenied', Bucket=b, Key='obj')
        self.assertClientError(self.s3.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        self.s3.delete_bucket_policy(Bucket=b)
        self.assertEqual(self.get_body(b, 'obj'), b'data')

    def test_prefix_condition_on_listing(self):
        b = self.new_bucket()
        self.put(b, 'public/a', b'a')
        self.put(b, 'secret/b', b'b')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:ListBucket', f'arn:aws:s3:::{b}',
                  {'StringLike': {'s3:prefix': 'public/*'}})))
        got = self.other.list_objects_v2(Bucket=b, Prefix='public/')
        self.assertEqual([o['Key'] for o in got['Contents']], ['public/a'])
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.list_objects_v2, 403, 'AccessDenied', Bucket=b, Prefix='secret/')
        self.assertClientError(self.other.list_objects, 403, 'AccessDenied', Bucket=b, Prefix='secret/')

    def test_tag_and_grant_conditions(self):
        b = self.new_bucket()
        objects = f'arn:aws:s3:::{b}/*'
        self.put(b, 'public', b'p', Tagging='security=public&foo=bar')
        self.put(b, 'private', b's', Tagging='security=private')
        # s3:ExistingObjectTag/<key>: the tags the object has now.
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, ['s3:GetObject', 's3:PutObjectTagging'], objects,
                  {'StringEquals': {'s3:ExistingObjectTag/security': 'public'}})))
        self.assertEqual(self.get_body(b, 'public', client=self.other), b'p')
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='private')
        self.other.put_object_tagging(Bucket=b, Key='public', Tagging={'TagSet': [
            {'Key': 'security', 'Value': 'private'}]})
        self.assertClientError(self.other.get_object, 403, 'AccessDenied', Bucket=b, Key='public')
        # s3:RequestObjectTag/<key>: the tags a write asks for. An Allow of
        # s3:PutObject alone speaks for them (Ceph's s3-tests
        # test_bucket_policy_put_obj_request_obj_tag).
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:PutObject', objects,
                  {'StringEquals': {'s3:RequestObjectTag/security': 'public'}})))
        self.assertClientError(self.other.put_object, 403, 'AccessDenied', Bucket=b, Key='new', Body=b'n')
        self.put(b, 'new', b'n', client=self.other, Tagging='security=public')
        # s3:x-amz-grant-full-control: the write must give the owner full
        # control (s3-tests' test_bucket_policy_put_obj_grant).
        owner = 'id=' + self.s3.list_buckets()['Owner']['ID']
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:PutObject', objects,
                  {'StringEquals': {'s3:x-amz-grant-full-control': owner}})))
        self.assertClientError(self.other.put_object, 403, 'AccessDenied', Bucket=b, Key='granted', Body=b'g')
        self.put(b, 'granted', b'g', client=self.other, GrantFullControl=owner)
        self.assertEqual(self.get_body(b, 'granted'), b'g')

    def test_tag_keys_go_with_the_actions_s3_gives_them(self):
        b = self.new_bucket()
        objects = f'arn:aws:s3:::{b}/*'
        self.put(b, 'public', b'p', Tagging='env=public')
        # s3:RequestObjectTag: a PUT's x-amz-tagging, never a GET's.
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:*', objects, {'StringEquals': {'s3:RequestObjectTag/env': 'public'}})))
        self.put(b, 'tagged', b't', client=self.other, Tagging='env=public')
        r = self.gw.request('GET', f'/{b}/public', headers={'x-amz-tagging': 'env=public'},
                            credentials=self.other_creds)
        self.assertError(r, 403, 'AccessDenied')
        # Nor s3:x-amz-acl (an ACL write's) with a GET.
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:*', objects, {'StringEquals': {'s3:x-amz-acl': 'public-read'}})))
        r = self.gw.request('GET', f'/{b}/public', headers={'x-amz-acl': 'public-read'}, credentials=self.other_creds)
        self.assertError(r, 403, 'AccessDenied')
        self.put(b, 'acl', b'a', client=self.other, ACL='public-read')
        # s3:ExistingObjectTag: for reading the object, never for
        # overwriting or deleting it.
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow({'AWS': self.other_id}, 's3:*', objects, {'StringEquals': {'s3:ExistingObjectTag/env': 'public'}})))
        self.assertEqual(self.get_body(b, 'public', client=self.other), b'p')
        self.assertClientError(self.other.put_object, 403, 'AccessDenied', Bucket=b, Key='public', Body=b'x')
        self.assertClientError(self.other.delete_object, 403, 'AccessDenied', Bucket=b, Key='public')
        self.assertEqual(self.get_body(b, 'public'), b'p')
        # A Deny on s3:RequestObjectTag stops PutObjectTagging (the body's
        # tags) and a browser upload (the form's `tagging` field).
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read-write')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            deny('*', ['s3:PutObject', 's3:PutObjectTagging'], objects,
                 {'StringEquals': {'s3:RequestObjectTag/env': 'secret'}})))

        def tag_set(value):
            return {'TagSet': [{'Key': 'env', 'Value': value}]}

        self.assertClientError(self.s3.put_object_tagging, 403, 'AccessDenied', Bucket=b, Key='public',
                               Tagging=tag_set('secret'))
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='public')['TagSet'], tag_set('public')['TagSet'])
        self.s3.put_object_tagging(Bucket=b, Key='public', Tagging=tag_set('open'))
        # The Deny answers before anything about the object or the body.
        self.assertClientError(self.s3.put_object_tagging, 403, 'AccessDenied', Bucket=b, Key='no-such-key',
                               Tagging=tag_set('secret'))

        def post(key, value):
            tagging = f'<Tagging><TagSet><Tag><Key>env</Key><Value>{value}</Value></Tag></TagSet></Tagging>'
            body = form_body([('key', key), ('tagging', tagging)], b'form data')
            headers = [('Host', self.gw.hostport), ('Content-Type', f'multipart/form-data; boundary={BOUNDARY}'),
                       ('Content-Length', str(len(body)))]
            return self.gw.send('POST', '/' + b, headers, body)

        self.assertError(post('posted-secret', 'secret'), 403, 'AccessDenied')
        self.assertNoObject(b, 'posted-secret')
        self.assertEqual(post('posted-open', 'open').status, 204)
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='posted-open')['TagSet'], tag_set('open')['TagSet'])

    def post_form(self, bucket, fields):
        """An anonymous browser upload of b'form data' with these fields."""
        body = form_body(fields, b'form data')
        headers = [('Host', self.gw.hostport), ('Content-Type', f'multipart/form-data; boundary={BOUNDARY}'),
                   ('Content-Length', str(len(body)))]
        return self.gw.send('POST', '/' + bucket, headers, body)

    def bucket_denying(self, action):
        """A bucket anyone may write (the form), holding 'src' and 'tagged-src'
        (tagged env=src), whose policy denies everyone this action on its objects."""
        b = self.new_bucket()
        self.put(b, 'src', b'source')
        self.put(b, 'tagged-src', b'tagged source', Tagging='env=src')
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read-write')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(deny('*', action, f'arn:aws:s3:::{b}/*')))
        return b

    def test_a_deny_of_put_object_tagging_refuses_writes_with_tags(self):
        # AWS's PutObject: setting the tag-set is s3:PutObjectTagging too;
        # so is a copy's, its own or its source's, a multipart upload's and
        # a form's. The owner is denied; the ACL lets anyone write (the form).
        b = self.bucket_denying('s3:PutObjectTagging')
        self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='put', Body=b'p',
                               Tagging='env=x')
        self.assertNoObject(b, 'put')
        self.put(b, 'put', b'p')
        # An empty x-amz-tagging sets no tags: it asks nothing more.
        r = self.gw.request('PUT', f'/{b}/empty', headers={'x-amz-tagging': ''}, body=b'e')
        self.assertEqual(r.status, 200, repr(r))
        copy = {'Bucket': b, 'CopySource': {'Bucket': b, 'Key': 'src'}}
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', Key='copy', TaggingDirective='REPLACE',
                               Tagging='env=x', **copy)
        self.assertNoObject(b, 'copy')
        self.s3.copy_object(Key='copy', **copy)
        self.s3.copy_object(Key='copy', TaggingDirective='REPLACE', **copy)
        # A source's tags, copied by default, are set on the copy too.
        tagged = {'Bucket': b, 'Key': 'tagged-copy', 'CopySource': {'Bucket': b, 'Key': 'tagged-src'}}
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', **tagged)
        self.assertNoObject(b, 'tagged-copy')
        self.s3.copy_object(TaggingDirective='REPLACE', **tagged)
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='tagged-copy')['TagSet'], [])
        self.assertClientError(self.s3.create_multipart_upload, 403, 'AccessDenied', Bucket=b, Key='mpu',
                               Tagging='env=x')
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []), [])
        upload = self.s3.create_multipart_upload(Bucket=b, Key='mpu')['UploadId']
        self.s3.abort_multipart_upload(Bucket=b, Key='mpu', UploadId=upload)
        tagging = '<Tagging><TagSet><Tag><Key>env</Key><Value>x</Value></Tag></TagSet></Tagging>'
        self.assertError(self.post_form(b, [('key', 'form'), ('tagging', tagging)]), 403, 'AccessDenied')
        self.assertNoObject(b, 'form')
        self.assertEqual(self.post_form(b, [('key', 'form')]).status, 204)

    def test_a_deny_of_put_object_acl_refuses_writes_with_acl_headers(self):
        b = self.bucket_denying('s3:PutObjectAcl')
        self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='put', Body=b'p', ACL='private')
        owner = 'id=' + self.s3.list_buckets()['Owner']['ID']
        self.assertClientError(self.s3.put_object, 403, 'AccessDenied', Bucket=b, Key='put', Body=b'p',
                               GrantFullControl=owner)
        self.assertNoObject(b, 'put')
        self.put(b, 'put', b'p')
        copy = {'Bucket': b, 'Key': 'copy', 'CopySource': {'Bucket': b, 'Key': 'src'}}
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', ACL='private', **copy)
        self.assertNoObject(b, 'copy')
        self.s3.copy_object(**copy)
        # No Deny of s3:PutObjectTagging here: a tagged source copies with
        # its tags.
        self.s3.copy_object(Bucket=b, Key='tagged-copy', CopySource={'Bucket': b, 'Key': 'tagged-src'})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='tagged-copy')['TagSet'],
                         [{'Key': 'env', 'Value': 'src'}])
        self.assertClientError(self.s3.create_multipart_upload, 403, 'AccessDenied', Bucket=b, Key='mpu',
                               ACL='private')
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get('Uploads', []), [])
        self.assertError(self.post_form(b, [('key', 'form'), ('acl', 'private')]), 403, 'AccessDenied')
        self.assertNoObject(b, 'form')
        self.assertEqual(self.post_form(b, [('key', 'form')]).status, 204)

    def test_delete_objects_per_key_deny(self):
        b = self.new_bucket()
        for k in ('keep/a', 'gone/b'):
            self.put(b, k, b'x')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(deny('*', 's3:DeleteObject', f'arn:aws:s3:::{b}/keep/*')))
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'keep/a'}, {'Key': 'gone/b'}]})
        self.assertEqual([d['Key'] for d in r.get('Deleted', [])], ['gone/b'])
        self.assertEqual([(e['Key'], e['Code']) for e in r.get('Errors', [])], [('keep/a', 'AccessDenied')])
        self.assertEqual(self.get_body(b, 'keep/a'), b'x')
        self.assertNoObject(b, 'gone/b')

    def test_copy_source_under_its_own_policy(self):
        src, dst = self.new_bucket(), self.new_bucket()
        self.put(src, 'secret/doc', b'classified')
        self.put(src, 'open/doc', b'open')
        self.s3.put_bucket_policy(Bucket=src, Policy=policy(deny('*', 's3:GetObject', f'arn:aws:s3:::{src}/secret/*')))
        self.assertClientError(self.s3.copy_object, 403, 'AccessDenied', Bucket=dst, Key='copy',
                               CopySource={'Bucket': src, 'Key': 'secret/doc'})
        self.assertNoObject(dst, 'copy')
        self.s3.copy_object(Bucket=dst, Key='copy', CopySource={'Bucket': src, 'Key': 'open/doc'})
        self.assertEqual(self.get_body(dst, 'copy'), b'open')
        # Another user's copy out of the bucket needs the source's Allow.
        mine = self.new_bucket(client=self.other)
        self.assertClientError(self.other.copy_object, 403, 'AccessDenied', Bucket=mine, Key='c',
                               CopySource={'Bucket': src, 'Key': 'open/doc'})
        self.s3.put_bucket_policy(Bucket=src, Policy=policy(
            allow({'AWS': self.other_id}, 's3:GetObject', f'arn:aws:s3:::{src}/open/*')))
        self.other.copy_object(Bucket=mine, Key='c', CopySource={'Bucket': src, 'Key': 'open/doc'})
        self.assertEqual(self.get_body(mine, 'c', client=self.other), b'open')

    def test_browser_upload_is_put_object_of_the_form_key(self):
        b = self.new_bucket()
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(allow('*', 's3:PutObject', f'arn:aws:s3:::{b}/uploads/*')))

        def post(key):
            body = form_body([('key', key)], b'form data')
            headers = [('Host', self.gw.hostport), ('Content-Type', f'multipart/form-data; boundary={BOUNDARY}'),
                       ('Content-Length', str(len(body)))]
            return self.gw.send('POST', '/' + b, headers, body)

        r = post('uploads/${filename}')
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.get_body(b, 'uploads/photo.jpg'), b'form data')
        self.assertError(post('private/${filename}'), 403, 'AccessDenied')
        self.assertNoObject(b, 'private/photo.jpg')
        # A Deny on the key the form names wins over the ACL's grant.
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read-write')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(deny('*', 's3:PutObject', f'arn:aws:s3:::{b}/private/*')))
        self.assertError(post('private/other'), 403, 'AccessDenied')
        self.assertNoObject(b, 'private/other')
        self.assertEqual(post('anywhere/else').status, 204)
        self.assertEqual(self.get_body(b, 'anywhere/else'), b'form data')

    def test_policy_status(self):
        b = self.new_bucket()
        self.assertClientError(self.s3.get_bucket_policy_status, 404, 'NoSuchBucketPolicy', Bucket=b)
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.assertTrue(self.s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic'])
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/*', {'IpAddress': {'aws:SourceIp': '10.0.0.0/8'}})))
        self.assertFalse(self.s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic'])

    def test_policy_survives_a_restart(self):
        b = self.new_bucket()
        self.put(b, 'obj', b'data')
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.gw.restart()  # on another port: new clients
        type(self).s3 = self.gw.client()
        type(self).other = self.gw.client(self.other_creds)
        self.assertEqual(self.anon('GET', f'/{b}/obj').status, 200)

    @unittest.skipUnless(on_rados(), 'two gateways share a volume only on RADOS')
    def test_a_second_gateway_sees_a_policy_at_once(self):
        b = self.new_bucket()
        self.put(b, 'obj', b'shared')
        second = self.gw.sharing_volume().start()
        self.addCleanup(second.stop)
        self.assertError(second.request('GET', f'/{b}/obj', auth=None), 403, 'AccessDenied')
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        r = second.request('GET', f'/{b}/obj', auth=None)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'shared')
        self.s3.delete_bucket_policy(Bucket=b)
        self.assertError(second.request('GET', f'/{b}/obj', auth=None), 403, 'AccessDenied')


class SecureTransportTests(GatewayTestCase):
    """aws:SecureTransport true on the TLS listener."""

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.mkdtemp(prefix='ostor-policy-tls-')
        cls.addClassCleanup(shutil.rmtree, cls.cert_dir, ignore_errors=True)
        cls.cert, key = self_signed_certificate(cls.cert_dir)
        cls.ca_file = cls.cert
        cls.gateway_args = ('--tls-cert', cls.cert, '--tls-key', key)
        super().setUpClass()

    def test_secure_transport_true_allows_over_https(self):
        b = unique_bucket('tls')
        self.s3.create_bucket(Bucket=b)
        self.put(b, 'obj', b'over tls')
        self.s3.put_bucket_policy(Bucket=b, Policy=policy(
            allow('*', 's3:GetObject', f'arn:aws:s3:::{b}/*', {'Bool': {'aws:SecureTransport': 'true'}}),
            deny('*', 's3:*', f'arn:aws:s3:::{b}/*', {'Bool': {'aws:SecureTransport': 'false'}})))
        r = self.gw.request('GET', f'/{b}/obj', auth=None)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'over tls')
        self.assertEqual(self.get_body(b, 'obj'), b'over tls')


if __name__ == '__main__':
    main()
