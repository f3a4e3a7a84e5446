"""Changes through the tree are enforced by a running gateway on its next
request: `echo "ops:get=5" > users/<email>/limits` makes the 6th GET within
a second answer 503 SlowDown, `echo disabled > users/<email>/state` makes the
next request 403 AccessDenied and `echo enabled` restores it."""

import time

import fuse_common
from fuse_common import ClientError, FuseTestCase, error_code, http_status


class LiveGatewayTest(FuseTestCase):

    def user_with_object(self):
        email = self.new_user('live')
        s3 = self.client_of(email)  # no retries (the harness client)
        bucket = self.new_bucket_of(email)
        s3.put_object(Bucket=bucket, Key='k', Body=b'data')
        self.assertEqual(s3.get_object(Bucket=bucket, Key='k')['Body'].read(), b'data')
        return email, s3, bucket

    def assertRefused(self, fn, status, code, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        self.assertEqual((http_status(cm.exception), error_code(cm.exception)), (status, code),
                         cm.exception.response)

    def assertServedAfterEmptying(self, s3, bucket, path):
        """Right after `: > path` returned, 20 GETs must all be served."""
        for i in range(20):
            try:
                self.assertEqual(s3.get_object(Bucket=bucket, Key='k')['Body'].read(), b'data')
            except ClientError as e:
                self.fail(f'GET {i + 1} after `: > {path}` returned was refused '
                          f'({http_status(e)} {error_code(e)}): the limit was still in force')

    def test_echo_ops_get_5_to_user_limits_makes_the_6th_get_within_a_second_answer_503_slowdown(self):
        email, s3, bucket = self.user_with_object()
        self.ok(f'echo "ops:get=5" > users/{email}/limits')
        start = time.monotonic()
        for i in range(5):
            self.assertEqual(s3.get_object(Bucket=bucket, Key='k')['Body'].read(), b'data', f'GET {i + 1}')
        self.assertRefused(s3.get_object, 503, 'SlowDown', Bucket=bucket, Key='k')
        self.assertLess(time.monotonic() - start, 1.0, 'the 6 GETs took more than a second')
        # Other classes are not limited by a get limit.
        s3.list_objects_v2(Bucket=bucket)
        # Emptying the file lifts the limit at once.
        self.ok(f': > users/{email}/limits')
        self.assertServedAfterEmptying(s3, bucket, f'users/{email}/limits')

    def test_echo_ops_get_5_to_bucket_limits_makes_the_6th_get_answer_503_slowdown(self):
        email, s3, bucket = self.user_with_object()
        self.ok(f'echo "ops:get=5" > buckets/{bucket}/limits')
        for _ in range(5):
            s3.get_object(Bucket=bucket, Key='k')['Body'].read()
        self.assertRefused(s3.get_object, 503, 'SlowDown', Bucket=bucket, Key='k')
        self.ok(f': > buckets/{bucket}/limits')
        self.assertServedAfterEmptying(s3, bucket, f'buckets/{bucket}/limits')

    def test_echo_disabled_to_state_makes_the_next_request_403_and_enabled_restores_it(self):
        email, s3, bucket = self.user_with_object()
        self.ok(f'echo disabled > users/{email}/state')
        self.assertRefused(s3.get_object, 403, 'AccessDenied', Bucket=bucket, Key='k')
        self.assertRefused(s3.list_buckets, 403, 'AccessDenied')
        self.ok(f'echo enabled > users/{email}/state')
        self.assertEqual(s3.get_object(Bucket=bucket, Key='k')['Body'].read(), b'data')
        s3.list_buckets()

    def test_a_refused_state_write_leaves_the_user_served(self):
        email, s3, bucket = self.user_with_object()
        self.fails(f'echo off > users/{email}/state', 'Invalid argument')
        self.assertEqual(s3.get_object(Bucket=bucket, Key='k')['Body'].read(), b'data')

    def test_a_refused_limits_write_leaves_the_limit_enforced(self):
        email, s3, bucket = self.user_with_object()
        self.ok(f'echo "ops:get=5" > users/{email}/limits')
        self.fails(f'echo "ops:get=lots" > users/{email}/limits', 'Invalid argument')
        for _ in range(5):
            s3.get_object(Bucket=bucket, Key='k')['Body'].read()
        self.assertRefused(s3.get_object, 503, 'SlowDown', Bucket=bucket, Key='k')
        self.ok(f': > users/{email}/limits')

    def test_a_user_removed_by_rmdir_is_refused_by_the_gateway(self):
        email = self.new_user('live')
        s3 = self.client_of(email)
        s3.list_buckets()
        self.ok(f'rmdir users/{email}')
        self.assertRefused(s3.list_buckets, 403, 'InvalidAccessKeyId')


if __name__ == '__main__':
    fuse_common.main()
