#!/usr/bin/env python3
"""What counts as a public bucket policy, as AWS's "The meaning of public"
says: an Allow whose principals are not fixed ("*", or everyone but those a
NotPrincipal names) is public unless a condition pins it to fixed values
(aws:SourceIp within bounded CIDR blocks, aws:userid equal to fixed ids).
BlockPublicPolicy refuses such a policy, RestrictPublicBuckets keeps its
grants to the owner, and GetBucketPolicyStatus reports it public (the
policy's own status, whatever the block restricts)."""

import json

from harness import TwoUserTestCase, main
from test_bucket_policy import allow, policy
from test_ownership_public_access import block


def read_for_all_but(bucket, principal):
    statement = allow(principal, 's3:GetObject', f'arn:aws:s3:::{bucket}/*')
    statement['NotPrincipal'] = statement.pop('Principal')
    return json.dumps({'Version': '2012-10-17', 'Statement': [statement]})


class PublicPolicyTests(TwoUserTestCase):
    def open_policies(self, b):
        """Policies that let anyone read (over this plain-HTTP gateway, from
        127.0.0.1, with a User-Agent; 'userid like *' any signed request), none
        of them pinned."""
        objects = f'arn:aws:s3:::{b}/*'
        return {
            'SecureTransport false': policy(allow('*', 's3:GetObject', objects,
                                                  {'Bool': {'aws:SecureTransport': 'false'}})),
            'UserAgent like *': policy(allow('*', 's3:GetObject', objects, {'StringLike': {'aws:UserAgent': '*'}})),
            'SourceIp 0.0.0.0/0': policy(allow('*', 's3:GetObject', objects,
                                               {'IpAddress': {'aws:SourceIp': '0.0.0.0/0'}})),
            'SourceIp 10/8 and 0/0': policy(allow('*', 's3:GetObject', objects,
                                                  {'IpAddress': {'aws:SourceIp': ['10.0.0.0/8', '0.0.0.0/0']}})),
            'not SourceIp 10/8': policy(allow('*', 's3:GetObject', objects,
                                              {'NotIpAddress': {'aws:SourceIp': '10.0.0.0/8'}})),
            'userid like *': policy(allow('*', 's3:GetObject', objects, {'StringLike': {'aws:userid': '*'}})),
            'NotPrincipal': read_for_all_but(b, {'AWS': self.other_id}),
        }

    def pinned_policies(self, b):
        objects = f'arn:aws:s3:::{b}/*'
        return {
            'SourceIp 127.0.0.0/8': policy(allow('*', 's3:GetObject', objects,
                                                 {'IpAddress': {'aws:SourceIp': '127.0.0.0/8'}})),
            'userid equals': policy(allow('*', 's3:GetObject', objects,
                                          {'StringEquals': {'aws:userid': self.other_id}})),
            'named user': policy(allow({'AWS': self.other_id}, 's3:GetObject', objects)),
        }

    def read_status(self, b, name):
        """A read of `page` by a caller the open policy `name` lets in."""
        if name == 'userid like *':
            try:
                self.other.get_object(Bucket=b, Key='page')
                return 200
            except self.other.exceptions.ClientError as e:
                return e.response['ResponseMetadata']['HTTPStatusCode']
        return self.gw.request('GET', f'/{b}/page', headers={'User-Agent': 'reader'}, auth=None).status

    def is_public(self, b):
        return self.s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic']

    def test_open_policies_are_public(self):
        b = self.new_bucket()
        self.put(b, 'page', b'page')
        for name, text in self.open_policies(b).items():
            with self.subTest(name):
                self.s3.put_bucket_policy(Bucket=b, Policy=text)
                self.assertTrue(self.is_public(b))
        for name, text in self.pinned_policies(b).items():
            with self.subTest(name):
                self.s3.put_bucket_policy(Bucket=b, Policy=text)
                self.assertFalse(self.is_public(b))

    def test_block_public_policy_refuses_every_open_policy(self):
        b = self.new_bucket()
        self.put(b, 'page', b'page')
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=block(BlockPublicPolicy=True))
        for name, text in self.open_policies(b).items():
            with self.subTest(name):
                self.assertClientError(self.s3.put_bucket_policy, 403, 'AccessDenied', Bucket=b, Policy=text)
                self.assertClientError(self.s3.get_bucket_policy, 404, 'NoSuchBucketPolicy', Bucket=b)
                self.assertError(self.gw.request('GET', f'/{b}/page', auth=None), 403, 'AccessDenied')
        for name, text in self.pinned_policies(b).items():
            with self.subTest(name):
                self.s3.put_bucket_policy(Bucket=b, Policy=text)
                self.s3.delete_bucket_policy(Bucket=b)

    def test_restrict_public_buckets_restricts_every_open_policy(self):
        b = self.new_bucket()
        self.put(b, 'page', b'page')
        for name, text in self.open_policies(b).items():
            with self.subTest(name):
                self.s3.delete_public_access_block(Bucket=b)
                self.s3.put_bucket_policy(Bucket=b, Policy=text)
                self.assertEqual(self.read_status(b, name), 200)
                self.s3.put_public_access_block(Bucket=b,
                                                PublicAccessBlockConfiguration=block(RestrictPublicBuckets=True))
                self.assertEqual(self.read_status(b, name), 403)
                # IsPublic is the policy's own status: still public.
                self.assertTrue(self.is_public(b))
        # A pinned policy is not restricted: the user it names still reads.
        self.s3.put_bucket_policy(Bucket=b, Policy=self.pinned_policies(b)['userid equals'])
        self.assertEqual(self.get_body(b, 'page', client=self.other), b'page')


if __name__ == '__main__':
    main()
