#!/usr/bin/env python3
"""The admin REST API through the vendor guide's PHP helper `S3_requestCurl`
(S3_requestCurl.php, verbatim from the WHMCS chapter of 000_*.txt), called by
rest_php_driver.php with the query strings of the guide's WHMCS scripts:
create, list, query, genKey, revokeKey, disable, enable, user and bucket
limits, the usage list, delete. The helper signs "?ostor-users" (no leading
slash), sends a Host header without the port, PUT and POST without a body
and an empty Content-Type; the gateway must take all of that as printed.

php-cli with the curl extension is required (scripts/install-deps.sh
installs php-cli and php-curl): without it these tests FAIL, they are not
skipped. OSTOR_PHP names another php binary.
"""

import json
import os
import shutil
import subprocess
import unittest

from admin_common import AdminAssertions, Gateway, HERE, main, parse_json, query
from test_rest_s3_curl import (GUIDE_CREATE_USER, GUIDE_GEN_KEY, GUIDE_LIST_USERS, GUIDE_QUERY_USER, GUIDE_USAGE_LIST,
                               LIMITS_NONE)

DRIVER = os.path.join(HERE, 'rest_php_driver.php')
GUIDE_LIMITS = {'ops:default': '0.00', 'ops:get': '3600.00', 'ops:put': '0.00', 'ops:list': '0.00',
                'ops:delete': '0.00', 'bandwidth:out': '100'}


def php_problem():
    """Why php cannot run the guide's helper here, or None."""
    php = os.environ.get('OSTOR_PHP') or 'php'
    if not shutil.which(php):
        return (f'{php!r} is not installed: the WHMCS helper S3_requestCurl needs php-cli and php-curl '
                '(run scripts/install-deps.sh, or apt-get install php-cli php-curl)')
    p = subprocess.run([php, '-r', 'exit(function_exists("curl_init") ? 0 : 3);'], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        return f'php has no curl extension (apt-get install php-curl): {p.stderr.strip()}'
    return None


class PhpS3RequestCurlTests(unittest.TestCase, AdminAssertions):

    def setUp(self):
        problem = php_problem()
        if problem:
            self.fail(problem)
        self.gw = Gateway().start()
        self.addCleanup(self.gw.stop)

    def run_driver(self, email, bucket, key, secret):
        php = os.environ.get('OSTOR_PHP') or 'php'
        # The gateway URL as the guide's S3_getConfig() has it: no trailing slash.
        p = subprocess.run([php, DRIVER, self.gw.endpoint, key, secret, email, bucket], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, TZ='UTC'))
        self.assertEqual(p.returncode, 0, f'php driver failed: {p.stderr}')
        self.assertNotIn('Warning', p.stdout + p.stderr, p.stdout + p.stderr)
        self.assertNotIn('Deprecated', p.stdout + p.stderr, p.stdout + p.stderr)
        steps = {}
        for line in p.stdout.splitlines():
            doc = json.loads(line)
            steps[doc['step']] = doc['result']
        return steps

    def admin_status(self, guide_query):
        r = self.gw.request('GET', '/', query=query([tuple(p.split('=', 1)) if '=' in p else (p, None)
                                                      for p in guide_query.split('&')]))
        return r.status

    def test_whmcs_user_lifecycle_through_S3_requestCurl(self):
        self.gw.client().create_bucket(Bucket='client')
        r = self.run_driver('user@example.com', 'client', self.gw.access_key, self.gw.secret_key)

        created = r['create']
        self.assertShapeLikeGuide(created, parse_json(GUIDE_CREATE_USER), 'PUT ?ostor-users')
        uid = created['UserId']
        self.assertEqual(created['UserEmail'], 'user@example.com')
        self.assertKeyPairOf(uid, created['AWSAccessKeys'][0])
        first_key = created['AWSAccessKeys'][0]['AWSAccessKeyId']

        self.assertShapeLikeGuide(r['list'], parse_json(GUIDE_LIST_USERS), 'GET ?ostor-users')
        self.assertIn(uid, [u['UserId'] for u in r['list']])

        self.assertShapeLikeGuide(r['query'], parse_json(GUIDE_QUERY_USER), 'GET ?ostor-users&emailAddress')
        self.assertEqual((r['query']['UserId'], r['query']['State'], r['query']['AccountCount']),
                         (uid, 'enabled', '0'))

        self.assertShapeLikeGuide(r['genKey'], parse_json(GUIDE_GEN_KEY), 'genKey')
        new_key = r['genKey']['AWSAccessKeys'][0]['AWSAccessKeyId']
        self.assertKeyPairOf(uid, r['genKey']['AWSAccessKeys'][0])
        self.assertEqual([k['AWSAccessKeyId'] for k in r['query-after-genKey']['AWSAccessKeys']], [first_key, new_key])

        # S3_revokeAccessKey.php revokes the first pair it reads.
        self.assertIsNone(r['revokeKey'])
        self.assertEqual([k['AWSAccessKeyId'] for k in r['query-after-revokeKey']['AWSAccessKeys']], [new_key])

        self.assertIsNone(r['disable'])
        self.assertEqual(r['query-after-disable']['State'], 'disabled')
        self.assertIsNone(r['enable'])
        self.assertEqual(r['query-after-enable']['State'], 'enabled')

        self.assertIsNone(r['set-limits-ops'])
        self.assertIsNone(r['set-limits-bandwidth'])
        self.assertEqual(r['get-limits'], GUIDE_LIMITS)
        self.assertEqual(list(r['get-limits']), list(GUIDE_LIMITS))
        self.assertIsNone(r['delete-limits'])
        self.assertEqual(r['get-limits-after-delete'], LIMITS_NONE)

        self.assertIsNone(r['set-bucket-limits-ops'])
        self.assertEqual(r['get-bucket-limits'], dict(LIMITS_NONE, **{'ops:put': '12.50'}))
        self.assertIsNone(r['delete-bucket-limits'])

        self.assertEqual(r['usage-list'], {'nr_items': 0, 'truncated': False, 'items': []})
        self.assertEqual(list(r['usage-list']), list(parse_json(GUIDE_USAGE_LIST)))

        self.assertEqual(r['get-before-delete']['UserId'], uid)
        self.assertIsNone(r['delete'])
        self.assertEqual(list(r['query-after-delete']), ['Code', 'Message', 'RequestId'])
        self.assertEqual(r['query-after-delete']['Code'], 'NoSuchUser')
        self.assertEqual(self.admin_status('ostor-users&emailAddress=user@example.com'), 404)

    def test_S3_requestCurl_signed_by_a_user_without_the_system_flag_is_denied_everything(self):
        self.gw.client().create_bucket(Bucket='client')
        plain = self.gw.create_user('plain@example.com')
        r = self.run_driver('victim@example.com', 'client', plain.access_key, plain.secret_key)
        self.assertEqual(len(r), 24, r)
        for step, result in r.items():
            with self.subTest(step=step):
                self.assertIsInstance(result, dict, result)
                self.assertEqual(list(result), ['Code', 'Message', 'RequestId'])
                self.assertEqual(result['Code'], 'AccessDenied')
        self.assertEqual(self.admin_status('ostor-users&emailAddress=victim@example.com'), 404,
                         'a denied create made the user')
        r = self.gw.request('GET', '/', query='ostor-limits&bucket=client')
        self.assertEqual(parse_json(r.body), LIMITS_NONE, 'a denied call changed the bucket limits')

    def test_S3_requestCurl_with_a_wrong_secret_changes_nothing(self):
        self.gw.client().create_bucket(Bucket='client')
        r = self.run_driver('victim@example.com', 'client', self.gw.access_key, 'x' * 40)
        # The helper json_decode()s the S3 XML error: null.
        self.assertEqual(len(r), 24, r)
        for step, result in r.items():
            with self.subTest(step=step):
                self.assertIsNone(result)
        self.assertEqual(self.admin_status('ostor-users&emailAddress=victim@example.com'), 404)
        r = self.gw.request('GET', '/', query='ostor-limits&bucket=client')
        self.assertEqual(parse_json(r.body), LIMITS_NONE, 'a refused call changed the bucket limits')


if __name__ == '__main__':
    main()
