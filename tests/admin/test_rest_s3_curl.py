#!/usr/bin/env python3
"""The admin REST API against the vendor guide's REST chapter (000_*.txt,
"Integration via REST API"), driven by the guide's own `s3_curl` bash helper
(s3_curl.sh, verbatim) signed with the gateway's system user, as a provider
would run it.

Every example of the chapter is replayed (the guide's host replaced by the
gateway's, its sample emails kept where the test can, its sample ids replaced
by the store's) and each JSON answer is compared with the guide's document:
the same keys in the same order, values of the same types and formats
("AccountCount" a string, limits "3600.00" strings, quota sizes strings, ids,
key ids, secrets, ISO 8601 dates), printed the guide's way (two-space indent).
Where the guide's values are fixed (limits, quotas, the empty usage list) the
answer must equal them.

Then the refusals: a JSON error {"Code", "Message", "RequestId"} with the
right HTTP status, and nothing changed.
"""

import os
import re
import subprocess
import time
import unittest
from datetime import timedelta

from admin_common import (ISO8601_MS_000_RE, AdminAssertions, Credentials, Gateway, S3Curl, cli_path, encoded_query,
                          guide_json_text, main, parse_json, shape_differences)

import harness

# ---- the guide's documents, transcribed ----------------------------------
# (The PDF extraction added trailing spaces and broke indentation in some of
# them; JSON whitespace does not matter to the comparison. It also dropped a
# character of some secrets; value_kind(guide=True) allows for that.)

GUIDE_CREATE_USER = '''{
  "UserEmail": "user@example.com",
  "UserId": "ca55631f9f3d59dc",
  "AWSAccessKeys": [
    {
      "AWSAccessKeyId": "ca55631f9f3d59dcDF4M",
      "AWSSecretAccessKey": "QCb17BzeepyvUAdJeFNFYW9fCzbq0uFa16e5pGm"
    }
  ]
}'''

GUIDE_LIST_USERS = '''[
  {
    "UserEmail": "user@example.com",
    "UserId": "a14040e0b2ef8b28",
    "State": "enabled",
    "OwnerId": "0000000000000000"
  },
  {
    "UserEmail": "user@example.com",
    "UserId": "ca55631f9f3d59dc",
    "State": "enabled",
    "OwnerId": "0000000000000000"
  }
]'''

GUIDE_QUERY_USER = '''{
  "UserEmail": "user@email.com",
  "UserId": "b09693b73b3c7686",
  "State": "enabled",
  "OwnerId": "0000000000000000",
  "Flags": [],
  "AWSAccessKeys": [
    {
      "AWSAccessKeyId": "b09693b73b3c7686FIGH",
      "AWSSecretAccessKey": "j02p4JBN1tWc4FEGxwZ8qW2jPCJBYP8RJ4KgBcZP"
    }
  ],
  "AccountCount": "3",
  "Accounts": [
    {
      "Name": "account1",
      "AWSAccessKeys": [
        {
          "AWSAccessKeyId": "b09693b73b3c768613NV",
          "AWSSecretAccessKey": "CBUpFmnpUGlXskTivgDQu4qjYksWpceGZeH6Qyct"
        }
      ]
    },
    {
      "Name": "account2",
      "AWSAccessKeys": [
        {
          "AWSAccessKeyId": "b09693b73b3c7686LCZ5",
          "AWSSecretAccessKey": "xLpUDFJMFM05rR9acAbUDp1rPqIO6fneKNFjEB5c"
        },
        {
          "AWSAccessKeyId": "b09693b73b3c76866NI2",
          "AWSSecretAccessKey": "ajowU8pWSGW5ZJhA7AR90jTrt11HmHPCJsMd247W"
        }
      ]
    },
    {
      "Name": "account3",
      "AWSAccessKeys": []
    }
  ]
}'''

GUIDE_USER_BUCKETS = '''{
  "Buckets": [
    {
      "size": {
        "current": 12288,
        "h_integral": 7360512,
        "hmax": 12288,
        "last_ts": 424241
      },
      "epoch": 0,
      "owner_id": "ba7eba06129464c5",
      "name": "bucketname",
      "creation_date": "2018-05-25T17:12:00.000Z"
    }
  ]
}'''

GUIDE_GEN_KEY = '''{
  "UserEmail": "user@example.com",
  "UserId": "ca55631f9f3d59dc",
  "AWSAccessKeys": [
    {
      "AWSAccessKeyId": "ca55631f9f3d59dcZMDX",
      "AWSSecretAccessKey": "ffWvnOcNiH0jkQod4huv51BMYBuSws4zRLFVwd4d"
    }
  ]
}'''

# The PDF split this one over two code blocks; joined.
GUIDE_ALL_BUCKETS = '''{
  "Buckets": [
    {
      "size": {
        "current": 12288,
        "h_integral": 7360512,
        "hmax": 12288,
        "last_ts": 424241
      },
      "epoch": 0,
      "owner_id": "ba7eba06129464c5",
      "name": "bucket1",
      "creation_date": "2018-05-25T17:12:00.000Z"
    },
    {
      "size": {
        "current": 46700160,
        "h_integral": 28160196480,
        "hmax": 46700160,
        "last_ts": 424237
      },
      "epoch": 0,
      "owner_id": "ccbec013d9fd3918",
      "name": "bucket2",
      "creation_date": "2018-05-25T13:51:55.000Z"
    },
    {
      "size": {
        "current": 12288,
        "h_integral": 8036352,
        "hmax": 12288,
        "last_ts": 424186
      },
      "epoch": 0,
      "owner_id": "9d80d59edbe2862a",
      "name": "bucket3",
      "creation_date": "2018-05-23T10:30:49.000Z"
    }
  ]
}'''

GUIDE_CREATE_ACCOUNT = '''{
  "Name": "account",
  "AWSAccessKeys": [
    {
      "AWSAccessKeyId": "bc6265392b818465V8NZ",
      "AWSSecretAccessKey": "KcPbLkq0rbtLXCn3UgqAz3CEurRXtikrT9ZeDVF"
    }
  ]
}'''

GUIDE_ACCOUNT_GEN_KEY = '''{
  "UserEmail": "user@email.com",
  "UserId": "b09693b73b3c7686",
  "AWSAccessKeys": [
    {
      "AWSAccessKeyId": "b09693b73b3c7686Z8BU",
      "AWSSecretAccessKey": "m8PgWFLXPeJVSwojCE3DxWDoRk80g7CMYB7xK3Hd"
    }
  ]
}'''

# Limits and quotas: the guide's text exactly (trailing spaces of the PDF removed).
GUIDE_LIMITS = '''{
  "ops:default": "0.00",
  "ops:get": "3600.00",
  "ops:put": "0.00",
  "ops:list": "0.00",
  "ops:delete": "0.00",
  "bandwidth:out": "100"
}
'''

GUIDE_QUOTA_USER = '''{
  "version": "1",
  "type": "user",
  "size": "1024"
}
'''

GUIDE_QUOTA_BUCKET = '''{
  "version": "1",
  "type": "bucket",
  "size": "256"
}
'''

GUIDE_USAGE_LIST = '''{
  "nr_items": 7,
  "truncated": false,
  "items": [
    "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800",
    "s3-usage-8000000000000067-2017-02-01T16:30:51.000Z-1800",
    "s3-usage-8000000000000068-2017-02-01T16:27:25.000Z-1800",
    "s3-usage-8000000000000069-2017-02-01T16:27:24.000Z-1800",
    "s3-usage-8000000000000069-2017-02-01T16:31:07.000Z-1800",
    "s3-usage-800000000000006a-2017-02-01T16:27:24.000Z-1800",
    "s3-usage-800000000000006a-2017-02-01T16:31:08.000Z-1800"
  ]
}'''

LIMITS_NONE = {'ops:default': '0.00', 'ops:get': '0.00', 'ops:put': '0.00', 'ops:list': '0.00',
               'ops:delete': '0.00', 'bandwidth:out': '0'}


class RestCase(unittest.TestCase, AdminAssertions):
    """Each test on a fresh store (a gateway on a new data directory), so that
    it can use the guide's own emails and bucket names; requests through the
    guide's s3_curl, signed with the gateway's system user."""

    shared_store = False  # True: one store for the whole class

    @classmethod
    def setUpClass(cls):
        if cls.shared_store:
            cls.start_store(cls, cls.addClassCleanup)

    @staticmethod
    def start_store(target, add_cleanup):
        target.gw = Gateway().start()
        add_cleanup(target.gw.stop)
        target.curl = S3Curl(target.gw.root)
        target.system = (target.gw.access_key, target.gw.secret_key)

    def setUp(self):
        if not self.shared_store:
            self.start_store(self, self.addCleanup)
        self.subst = {}  # guide sample token -> the store's value, for URLs

    # ---- s3_curl ---------------------------------------------------------
    def s3_curl(self, method, guide_url, creds=None, env=None):
        """s3_curl METHOD URL as the guide prints it (its host replaced by the
        gateway's, bound sample tokens by the store's values). Returns
        (status, body, headers)."""
        url = guide_url.replace('http://s3.example.com', self.gw.endpoint)
        for token, value in self.subst.items():
            url = url.replace(token, value)
        key, secret = creds or self.system
        status, body, headers, _ = self.curl.run(method, url, key, secret, env=env)
        return status, body, headers

    def call_json(self, method, guide_url, creds=None, env=None):
        """A call answered 200 with a JSON document printed as the guide
        prints JSON; returns the document."""
        status, body, headers = self.s3_curl(method, guide_url, creds, env)
        self.assertEqual(status, 200, f'{method} {guide_url}: {body!r}')
        doc = parse_json(body)
        self.assertEqual(body.decode(), guide_json_text(doc), f'{method} {guide_url}: not printed as the guide does')
        self.assertTrue(headers.get('content-type', '').startswith('application/json'), headers)
        return doc

    def call_empty(self, method, guide_url, creds=None):
        """A call the guide shows no output for: success, empty body."""
        status, body, _ = self.s3_curl(method, guide_url, creds)
        self.assertIn(status, (200, 204), f'{method} {guide_url}: {body!r}')
        self.assertEqual(body, b'', f'{method} {guide_url}')

    def call_refused(self, method, guide_url, status, code, creds=None):
        st, body, headers = self.s3_curl(method, guide_url, creds)
        doc = self.assertJsonError((st, body), status, code)
        self.assertTrue(headers.get('content-type', '').startswith('application/json'), headers)
        return doc

    def assertLikeGuide(self, doc, guide_text, what=''):
        self.assertShapeLikeGuide(doc, parse_json(guide_text), what)

    # ---- helpers -----------------------------------------------------------
    def admin_get(self, guide_query):
        """GET with a SigV4-signed request (not s3_curl): a second client's view."""
        r = self.gw.request('GET', '/', query=encoded_query(guide_query))
        return r.status, r.body

    def create_user(self, email):
        doc = self.call_json('PUT', f'http://s3.example.com/?ostor-users&emailAddress={email}')
        pair = doc['AWSAccessKeys'][0]
        return doc['UserId'], Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])

    def s3_status(self, creds):
        return self.gw.request('GET', '/', credentials=creds).status

    def user_info(self, email):
        return self.call_json('GET', f'http://s3.example.com/?ostor-users&emailAddress={email}')


# ---- users ---------------------------------------------------------------

class RestUserTests(RestCase):

    def test_put_ostor_users_creates_a_user_with_one_key_pair_like_guide(self):
        doc = self.call_json('PUT', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com')
        self.assertLikeGuide(doc, GUIDE_CREATE_USER, 'create user')
        self.assertEqual(doc['UserEmail'], 'user@example.com')
        self.assertEqual(len(doc['AWSAccessKeys']), 1)
        self.assertKeyPairOf(doc['UserId'], doc['AWSAccessKeys'][0])
        creds = Credentials(doc['AWSAccessKeys'][0]['AWSAccessKeyId'], doc['AWSAccessKeys'][0]['AWSSecretAccessKey'])
        self.assertEqual(self.s3_status(creds), 200, 'the new key pair does not sign S3 requests')
        # A REST-made user is not a system user.
        self.assertEqual(self.user_info('user@example.com')['Flags'], [])

    def test_get_ostor_users_lists_every_user_by_id_with_state_and_owner_id(self):
        made = {self.create_user(f'list{i}@example.com')[0] for i in range(3)}
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-users')
        self.assertLikeGuide(doc, GUIDE_LIST_USERS, 'user list')
        ids = [u['UserId'] for u in doc]
        self.assertTrue(made <= set(ids), doc)
        self.assertIn('admin@localhost', [u['UserEmail'] for u in doc])
        self.assertEqual(ids, sorted(ids), 'the guide lists users by id')
        for u in doc:
            self.assertEqual(u['OwnerId'], '0000000000000000')
            self.assertEqual(u['State'], 'enabled')

    def test_get_ostor_users_by_email_shows_state_flags_keys_and_every_account_like_guide(self):
        uid, _ = self.create_user('user@email.com')
        # As in the guide: account1 with one key pair, account2 with two,
        # account3 with none.
        for name in ('account1', 'account2', 'account3'):
            self.call_json('POST', f'http://s3.example.com/?ostor-accounts&emailAddress=user@email.com&accountName={name}')
        self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@email.com&accountName=account2&genKey')
        acct3 = self.call_json('GET', 'http://s3.example.com/?ostor-users&emailAddress=user@email.com')['Accounts'][2]
        self.call_empty('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@email.com&accountName=account3'
                                f'&revokeKey={acct3["AWSAccessKeys"][0]["AWSAccessKeyId"]}')

        doc = self.call_json('GET', 'http://s3.example.com/?ostor-users&emailAddress=user@email.com')
        self.assertLikeGuide(doc, GUIDE_QUERY_USER, 'user query')
        self.assertEqual((doc['UserEmail'], doc['UserId'], doc['State'], doc['Flags']),
                         ('user@email.com', uid, 'enabled', []))
        self.assertEqual(doc['AccountCount'], '3')
        self.assertEqual([a['Name'] for a in doc['Accounts']], ['account1', 'account2', 'account3'])
        self.assertEqual([len(a['AWSAccessKeys']) for a in doc['Accounts']], [1, 2, 0])
        for a in doc['Accounts']:
            for pair in a['AWSAccessKeys']:
                self.assertKeyPairOf(uid, pair)
        # The system user's flags name it.
        self.assertEqual(self.user_info('admin@localhost')['Flags'], ['system'])

    def test_post_disable_and_enable_switch_the_state_and_access_of_a_user(self):
        _, creds = self.create_user('user@example.com')
        # The guide's URL is wrapped after "?ostor-"; one URL.
        self.call_empty('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com&disable')
        self.assertEqual(self.user_info('user@example.com')['State'], 'disabled')
        self.assertEqual(self.s3_status(creds), 403, 'a disabled user is still served')
        self.call_empty('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com&enable')
        self.assertEqual(self.user_info('user@example.com')['State'], 'enabled')
        self.assertEqual(self.s3_status(creds), 200)

    def test_delete_ostor_users_removes_the_user_and_its_keys(self):
        _, creds = self.create_user('user@example.com')
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com')
        self.call_refused('GET', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com', 404, 'NoSuchUser')
        self.assertNotIn('user@example.com',
                         [u['UserEmail'] for u in self.call_json('GET', 'http://s3.example.com/?ostor-users')])
        self.assertEqual(self.s3_status(creds), 403, "a deleted user's key still signs requests")
        # The email can be used again.
        self.create_user('user@example.com')

    def test_post_genKey_answers_only_the_new_pair_like_guide(self):
        uid, first = self.create_user('user@example.com')
        doc = self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com&genKey')
        self.assertLikeGuide(doc, GUIDE_GEN_KEY, 'genKey')
        self.assertEqual((doc['UserEmail'], doc['UserId']), ('user@example.com', uid))
        self.assertEqual(len(doc['AWSAccessKeys']), 1)
        pair = doc['AWSAccessKeys'][0]
        self.assertKeyPairOf(uid, pair)
        self.assertNotEqual(pair['AWSAccessKeyId'], first.access_key)
        self.assertEqual(self.s3_status(Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])), 200)
        keys = [k['AWSAccessKeyId'] for k in self.user_info('user@example.com')['AWSAccessKeys']]
        self.assertEqual(keys, [first.access_key, pair['AWSAccessKeyId']])

    def test_post_revokeKey_removes_the_pair_and_it_stops_working(self):
        _, first = self.create_user('user@example.com')
        doc = self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com&genKey')
        pair = doc['AWSAccessKeys'][0]
        self.subst['ca55631f9f3d59dcZMDX'] = pair['AWSAccessKeyId']
        self.call_empty('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com'
                                '&revokeKey=ca55631f9f3d59dcZMDX')
        keys = [k['AWSAccessKeyId'] for k in self.user_info('user@example.com')['AWSAccessKeys']]
        self.assertEqual(keys, [first.access_key])
        self.assertEqual(self.s3_status(Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])), 403)
        self.assertEqual(self.s3_status(first), 200)

    def test_s3_curl_from_a_host_in_another_time_zone_is_accepted(self):
        # s3_curl signs `date -R`, which carries the host's UTC offset.
        for tz in ('UTC-05:30', 'UTC+08:00'):
            with self.subTest(tz=tz):
                doc = self.call_json('GET', 'http://s3.example.com/?ostor-users', env={'TZ': tz})
                self.assertIn('admin@localhost', [u['UserEmail'] for u in doc])


# ---- accounts ------------------------------------------------------------

class RestAccountTests(RestCase):

    def test_post_ostor_accounts_creates_an_account_with_a_key_pair_like_guide(self):
        uid, _ = self.create_user('user@email.com')
        # The guide's URL is wrapped after "?ostor-"; one URL.
        doc = self.call_json('POST', 'http://s3.example.com/?ostor-accounts&emailAddress=user@email.com'
                                     '&accountName=account')
        self.assertLikeGuide(doc, GUIDE_CREATE_ACCOUNT, 'create account')
        self.assertEqual(doc['Name'], 'account')
        self.assertEqual(len(doc['AWSAccessKeys']), 1)
        pair = doc['AWSAccessKeys'][0]
        self.assertKeyPairOf(uid, pair)
        self.assertEqual(self.s3_status(Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])), 200)
        info = self.user_info('user@email.com')
        self.assertEqual(info['AccountCount'], '1')
        self.assertEqual(info['Accounts'], [doc])

    def test_put_ostor_accounts_creates_an_account_too(self):
        # The guide's text says PUT; its example says POST. Both create.
        uid, _ = self.create_user('put@email.com')
        doc = self.call_json('PUT', 'http://s3.example.com/?ostor-accounts&emailAddress=put@email.com'
                                    '&accountName=account')
        self.assertLikeGuide(doc, GUIDE_CREATE_ACCOUNT, 'create account (PUT)')
        self.assertKeyPairOf(uid, doc['AWSAccessKeys'][0])
        self.assertEqual(self.user_info('put@email.com')['AccountCount'], '1')

    def test_delete_ostor_accounts_removes_the_account_and_its_keys(self):
        self.create_user('user@example.com')
        doc = self.call_json('POST', 'http://s3.example.com/?ostor-accounts&emailAddress=user@example.com'
                                     '&accountName=account')
        pair = doc['AWSAccessKeys'][0]
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-accounts&emailAddress=user@example.com'
                                  '&accountName=account')
        info = self.user_info('user@example.com')
        self.assertEqual((info['AccountCount'], info['Accounts']), ('0', []))
        self.assertEqual(self.s3_status(Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])), 403)
        self.call_refused('DELETE', 'http://s3.example.com/?ostor-accounts&emailAddress=user@example.com'
                                    '&accountName=account', 404, 'NoSuchAccount')

    def test_genKey_with_accountName_adds_a_key_pair_to_the_account_like_guide(self):
        uid, own = self.create_user('gen@email.com')
        first = self.call_json('POST', 'http://s3.example.com/?ostor-accounts&emailAddress=gen@email.com'
                                       '&accountName=account')['AWSAccessKeys'][0]
        doc = self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=gen@email.com'
                                     '&accountName=account&genKey')
        self.assertLikeGuide(doc, GUIDE_ACCOUNT_GEN_KEY, 'account genKey')
        self.assertEqual((doc['UserEmail'], doc['UserId']), ('gen@email.com', uid))
        pair = doc['AWSAccessKeys'][0]
        self.assertKeyPairOf(uid, pair)
        info = self.user_info('gen@email.com')
        self.assertEqual(info['Accounts'][0]['AWSAccessKeys'], [first, pair])
        self.assertEqual([k['AWSAccessKeyId'] for k in info['AWSAccessKeys']], [own.access_key],
                         "an account's genKey changed the user's own keys")
        self.assertEqual(self.s3_status(Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])), 200)

    def test_revokeKey_with_accountName_removes_the_account_key_pair(self):
        self.create_user('rev@example.com')
        first = self.call_json('POST', 'http://s3.example.com/?ostor-accounts&emailAddress=rev@example.com'
                                       '&accountName=account')['AWSAccessKeys'][0]
        pair = self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=rev@example.com'
                                      '&accountName=account&genKey')['AWSAccessKeys'][0]
        self.subst['ca55631f9f3d59dcZMDX'] = pair['AWSAccessKeyId']
        self.call_empty('POST', 'http://s3.example.com/?ostor-users&emailAddress=rev@example.com&accountName=account'
                                '&revokeKey=ca55631f9f3d59dcZMDX')
        self.assertEqual(self.user_info('rev@example.com')['Accounts'][0]['AWSAccessKeys'], [first])
        self.assertEqual(self.s3_status(Credentials(pair['AWSAccessKeyId'], pair['AWSSecretAccessKey'])), 403)


# ---- buckets -------------------------------------------------------------

class RestBucketTests(RestCase):

    def make_owner(self, email, buckets):
        """A user owning `buckets` ({name: [object sizes]}), made through boto3."""
        uid, creds = self.create_user(email)
        s3 = self.gw.client(creds)
        for name, sizes in buckets.items():
            s3.create_bucket(Bucket=name)
            for i, size in enumerate(sizes):
                s3.put_object(Bucket=name, Key=f'obj-{i}', Body=os.urandom(size))
        return uid, creds, s3

    def check_bucket(self, b, owner_id, stored_bytes):
        self.assertEqual(b['owner_id'], owner_id)
        self.assertEqual(b['size']['current'], stored_bytes, b)
        self.assertGreaterEqual(b['size']['hmax'], stored_bytes, b)
        self.assertGreaterEqual(b['size']['h_integral'], 0)
        self.assertLessEqual(abs(b['size']['last_ts'] - int(time.time() // 3600)), 1,
                             'last_ts is not the hour of the last update')
        self.assertEqual(b['epoch'], 0)
        # (Its exact format is test_creation_date_has_whole_seconds_and_000_milliseconds_like_guide's.)
        self.assertRegex(b['creation_date'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')

    def test_get_ostor_buckets_lists_every_bucket_with_its_size_history_like_guide(self):
        id1, _, _ = self.make_owner('owner1@example.com', {'bucket1': [12288]})
        id2, _, _ = self.make_owner('owner2@example.com', {'bucket2': [1000, 2345], 'bucket3': []})
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets')
        self.assertShapeLikeGuide(doc, parse_json(GUIDE_ALL_BUCKETS), 'bucket list')
        by_name = {b['name']: b for b in doc['Buckets']}
        self.assertEqual([b['name'] for b in doc['Buckets']], ['bucket1', 'bucket2', 'bucket3'],
                         'the guide lists buckets by name')
        self.check_bucket(by_name['bucket1'], id1, 12288)
        self.check_bucket(by_name['bucket2'], id2, 3345)
        self.check_bucket(by_name['bucket3'], id2, 0)

    def test_get_ostor_buckets_by_email_lists_only_that_users_buckets_like_guide(self):
        uid, _, _ = self.make_owner('user@example.com', {'bucketname': [12288]})
        self.make_owner('someone@example.com', {'someone-else': [10]})
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=user@example.com')
        self.assertLikeGuide(doc, GUIDE_USER_BUCKETS, "a user's bucket list")
        self.assertEqual([b['name'] for b in doc['Buckets']], ['bucketname'])
        self.check_bucket(doc['Buckets'][0], uid, 12288)

    def test_bucket_list_pages_by_name_with_marker_and_max_items(self):
        # Paged as the usage list: 5 buckets, 2 a page; a user's list too.
        self.make_owner('pages@example.com', {f'paged-{i}': [] for i in (3, 0, 4, 1, 2)})
        self.make_owner('other@example.com', {'paged-1a': []})
        everything = [b['name'] for b in self.call_json('GET', 'http://s3.example.com/?ostor-buckets')['Buckets']]
        for who, want in (('', everything), ('&emailAddress=pages@example.com', [f'paged-{i}' for i in range(5)])):
            with self.subTest(who=who):
                pages, marker = [], None
                while True:
                    query = f'ostor-buckets{who}&max-items=2' + (f'&marker={marker}' if marker is not None else '')
                    doc = self.call_json('GET', f'http://s3.example.com/?{query}')
                    names = [b['name'] for b in doc['Buckets']]
                    pages.append(names)
                    if not doc['truncated']:
                        break
                    self.assertEqual(len(names), 2)
                    marker = names[-1]
                self.assertEqual(sum(pages, []), want)
                self.assertEqual(len(pages), (len(want) + 1) // 2)
        # A page that ends with the last bucket: not truncated.
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=pages@example.com&max-items=5')
        self.assertEqual([b['name'] for b in doc['Buckets']], [f'paged-{i}' for i in range(5)])
        self.assertFalse(doc['truncated'])
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&marker=paged-1')
        self.assertEqual([b['name'] for b in doc['Buckets']], ['paged-1a', 'paged-2', 'paged-3', 'paged-4'])
        self.assertFalse(doc['truncated'])
        self.assertNotIn('truncated', self.call_json('GET', 'http://s3.example.com/?ostor-buckets'),
                         "unpaged: the guide's document")
        for bad in ('0', '1001', 'abc', '-1', ''):
            with self.subTest(max_items=bad):
                self.call_refused('GET', f'http://s3.example.com/?ostor-buckets&max-items={bad}', 400,
                                  'InvalidArgument')

    def test_creation_date_has_whole_seconds_and_000_milliseconds_like_guide(self):
        # Every creation_date of the guide is YYYY-MM-DDTHH:MM:SS.000Z.
        self.make_owner('dates@example.com', {'bucket1': [], 'bucket2': [], 'bucket3': []})
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets')
        for b in doc['Buckets']:
            self.assertRegex(b['creation_date'], '^' + ISO8601_MS_000_RE + '$',
                             "creation_date is not formatted like the guide's (YYYY-MM-DDTHH:MM:SS.000Z)")

    def test_creation_date_is_the_s3_creation_date(self):
        _, _, s3 = self.make_owner('dates@example.com', {'dated-bucket': []})
        listed = {b['Name']: b['CreationDate'] for b in s3.list_buckets()['Buckets']}
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=dates@example.com')
        self.assertEqual(doc['Buckets'][0]['creation_date'][:19],
                         listed['dated-bucket'].astimezone(harness.datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S'))

    def test_bucket_size_follows_stored_bytes_and_hmax_keeps_the_largest(self):
        _, _, s3 = self.make_owner('sizes@example.com', {'sized-bucket': [4000, 6000]})
        s3.delete_object(Bucket='sized-bucket', Key='obj-1')
        s3.put_object(Bucket='sized-bucket', Key='obj-0', Body=b'x' * 1500)  # overwrite 4000 -> 1500
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=sizes@example.com')
        size = doc['Buckets'][0]['size']
        self.assertEqual(size['current'], 1500)
        self.assertEqual(size['hmax'], 10000)

    def test_a_recreated_bucket_has_the_next_epoch(self):
        _, _, s3 = self.make_owner('epoch@example.com', {'epoch-bucket': []})
        s3.delete_bucket(Bucket='epoch-bucket')
        s3.create_bucket(Bucket='epoch-bucket')
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=epoch@example.com')
        self.assertEqual(doc['Buckets'][0]['epoch'], 1)

    def test_a_versioned_bucket_adds_its_versioning_state_after_the_seeds_fields(self):
        # docs/versioning.md, "Admin views": only a versioned bucket gains a
        # field; the unversioned one beside it keeps the seed's shape.
        _, _, s3 = self.make_owner('versions@example.com', {'plain-bucket': [100], 'versioned-bucket': [100]})
        query = 'http://s3.example.com/?ostor-buckets&emailAddress=versions@example.com'
        before = self.call_json('GET', query)
        seed_fields = list(parse_json(GUIDE_USER_BUCKETS)['Buckets'][0])
        for state in ('Enabled', 'Suspended'):
            with self.subTest(state=state):
                s3.put_bucket_versioning(Bucket='versioned-bucket', VersioningConfiguration={'Status': state})
                doc = self.call_json('GET', query)  # printed byte for byte as the guide prints JSON
                by_name = {b['name']: b for b in doc['Buckets']}
                self.assertEqual(list(by_name['versioned-bucket']), seed_fields + ['versioning'])
                self.assertEqual(by_name['versioned-bucket']['versioning'], state)
                self.assertEqual(by_name['plain-bucket'], before['Buckets'][0])
                self.assertEqual(list(by_name['plain-bucket']), seed_fields)
                self.assertLikeGuide({'Buckets': [by_name['plain-bucket']]}, GUIDE_USER_BUCKETS,
                                     'an unversioned bucket beside a versioned one')
                # No lock was asked for: no object_lock field.
                self.assertNotIn('object_lock', by_name['versioned-bucket'])
        # The listing of every bucket prints the same entries.
        everything = {b['name']: b for b in self.call_json('GET', 'http://s3.example.com/?ostor-buckets')['Buckets']}
        self.assertEqual(everything['versioned-bucket']['versioning'], 'Suspended')
        self.assertEqual(list(everything['plain-bucket']), seed_fields)

    def test_user_owning_buckets_is_deleted_after_the_system_user_deletes_its_buckets_by_name(self):
        # The guide's flow: DELETE of a user owning buckets is refused; list
        # its buckets; delete them by name with s3_curl; then delete the user.
        uid, _, s3 = self.make_owner('owner@example.com', {'bucketname': [100]})
        self.call_refused('DELETE', 'http://s3.example.com/?ostor-users&emailAddress=owner@example.com', 409,
                          'UserHasBuckets')
        self.assertEqual(self.user_info('owner@example.com')['UserId'], uid)
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=owner@example.com')
        self.assertEqual([b['name'] for b in doc['Buckets']], ['bucketname'])
        s3.delete_object(Bucket='bucketname', Key='obj-0')  # a bucket must be empty to go
        status, body, _ = self.s3_curl('DELETE', 'http://s3.example.com/bucketname')
        self.assertEqual(status, 204, f"the guide's `s3_curl DELETE .../bucketname` as the system user: {body!r}")
        self.assertEqual(self.call_json('GET', 'http://s3.example.com/?ostor-buckets&emailAddress=owner@example.com'),
                         {'Buckets': []})
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-users&emailAddress=owner@example.com')
        self.call_refused('GET', 'http://s3.example.com/?ostor-users&emailAddress=owner@example.com', 404,
                          'NoSuchUser')


# ---- object lock -----------------------------------------------------------

class RestObjectLockTests(RestCase):
    """docs/versioning.md, "Object lock": "Admin views" (the object_lock field
    of ?ostor-buckets) and "Admin refusals": a user or bucket holding locked
    versions is refused by the REST API, the CLI and the system user's S3
    DeleteBucket alike, the refusal naming the lock, and nothing changes."""

    def lock_owner(self, email, bucket):
        """A user owning a bucket made with object lock, through boto3."""
        uid, creds = self.create_user(email)
        s3 = self.gw.client(creds)
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        return uid, s3

    def object_lock_field(self, email, bucket):
        doc = self.call_json('GET', f'http://s3.example.com/?ostor-buckets&emailAddress={email}')
        by_name = {b['name']: b for b in doc['Buckets']}
        seed_fields = list(parse_json(GUIDE_USER_BUCKETS)['Buckets'][0])
        self.assertEqual(list(by_name[bucket]), seed_fields + ['versioning', 'object_lock'])
        self.assertEqual(by_name[bucket]['versioning'], 'Enabled')
        return by_name[bucket]['object_lock']

    def versions(self, s3, bucket):
        """{(key, version id): body} of every version, read back by id."""
        listed = s3.list_object_versions(Bucket=bucket)
        self.assertNotIn('DeleteMarkers', listed)
        return {(v['Key'], v['VersionId']): s3.get_object(Bucket=bucket, Key=v['Key'],
                                                          VersionId=v['VersionId'])['Body'].read()
                for v in listed.get('Versions', [])}

    def assertOwnerDeletionRefused(self, email, bucket, reason):
        """Every admin face refuses to delete the user `email` or its bucket,
        naming `reason`; the user, the bucket and its versions stay."""
        uid = self.user_info(email)['UserId']
        doc = self.call_refused('DELETE', f'http://s3.example.com/?ostor-users&emailAddress={email}', 409,
                                'UserHasBuckets')
        self.assertIn(reason, doc['Message'])
        cli = subprocess.run([cli_path(), 'delete-user', '-e', email], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, OSTOR_DATA=self.gw.data_dir))
        self.assertEqual(cli.returncode, 1, cli.stderr)
        self.assertEqual(cli.stdout, '')
        self.assertIn(reason, cli.stderr)
        # The guide lets the system user delete any bucket by name: not one under lock.
        status, body, _ = self.s3_curl('DELETE', f'http://s3.example.com/{bucket}')
        self.assertEqual(status, 409, body)
        self.assertEqual(harness.parse_xml(body).findtext('Code'), 'BucketNotEmpty', body)
        self.assertEqual(self.user_info(email)['UserId'], uid)
        doc = self.call_json('GET', f'http://s3.example.com/?ostor-buckets&emailAddress={email}')
        self.assertEqual([b['name'] for b in doc['Buckets']], [bucket])

    def test_a_lock_bucket_shows_its_default_retention_latest_retention_and_legal_holds_exactly(self):
        _, s3 = self.lock_owner('lock@example.com', 'lock-bucket')
        self.assertEqual(self.object_lock_field('lock@example.com', 'lock-bucket'), {'legal_holds': 0})
        s3.put_object_lock_configuration(Bucket='lock-bucket', ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 3}}})
        field = self.object_lock_field('lock@example.com', 'lock-bucket')
        self.assertEqual(list(field.items()), [('mode', 'GOVERNANCE'), ('days', 3), ('legal_holds', 0)])
        until = harness.days_ahead(5)
        s3.put_object(Bucket='lock-bucket', Key='retained', Body=b'kept', ObjectLockMode='GOVERNANCE',
                      ObjectLockRetainUntilDate=until)
        # A hold alone still gets the default retention (3 days: the later 5 stays the latest).
        held = s3.put_object(Bucket='lock-bucket', Key='held', Body=b'held', ObjectLockLegalHoldStatus='ON')
        locked_until = until.strftime('%Y-%m-%dT%H:%M:%S.000Z')
        field = self.object_lock_field('lock@example.com', 'lock-bucket')
        self.assertEqual(list(field.items()), [('mode', 'GOVERNANCE'), ('days', 3), ('locked_until', locked_until),
                                               ('legal_holds', 1)])
        s3.put_object_lock_configuration(Bucket='lock-bucket', ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'COMPLIANCE', 'Years': 1}}})
        field = self.object_lock_field('lock@example.com', 'lock-bucket')
        self.assertEqual(list(field.items()), [('mode', 'COMPLIANCE'), ('years', 1), ('locked_until', locked_until),
                                               ('legal_holds', 1)])
        # No default any more, the hold released: the date of the retained version stays.
        s3.put_object_lock_configuration(Bucket='lock-bucket',
                                         ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'})
        s3.put_object_legal_hold(Bucket='lock-bucket', Key='held', VersionId=held['VersionId'],
                                 LegalHold={'Status': 'OFF'})
        self.assertEqual(list(self.object_lock_field('lock@example.com', 'lock-bucket').items()),
                         [('locked_until', locked_until), ('legal_holds', 0)])
        # The listing of every bucket prints the same.
        everything = self.call_json('GET', 'http://s3.example.com/?ostor-buckets')['Buckets']
        self.assertEqual([b['object_lock'] for b in everything if b['name'] == 'lock-bucket'],
                         [{'locked_until': locked_until, 'legal_holds': 0}])

    def test_the_owner_of_a_governance_retained_version_is_not_deleted_by_any_admin_face(self):
        _, s3 = self.lock_owner('retains@example.com', 'retained-bucket')
        until = harness.days_ahead(3)
        s3.put_object(Bucket='retained-bucket', Key='k', Body=b'first', ObjectLockMode='GOVERNANCE',
                      ObjectLockRetainUntilDate=until)
        s3.put_object(Bucket='retained-bucket', Key='k', Body=b'second', ObjectLockMode='GOVERNANCE',
                      ObjectLockRetainUntilDate=until - timedelta(days=1))
        before = self.versions(s3, 'retained-bucket')
        self.assertEqual(sorted(before.values()), [b'first', b'second'])
        self.assertOwnerDeletionRefused(
            'retains@example.com', 'retained-bucket',
            'bucket retained-bucket holds versions under object lock until ' + until.strftime('%Y-%m-%dT%H:%M:%SZ'))
        self.assertEqual(self.versions(s3, 'retained-bucket'), before)
        self.assertEqual(self.object_lock_field('retains@example.com', 'retained-bucket'),
                         {'locked_until': until.strftime('%Y-%m-%dT%H:%M:%S.000Z'), 'legal_holds': 0})

    def test_the_owner_of_a_version_under_legal_hold_is_not_deleted_by_any_admin_face(self):
        _, s3 = self.lock_owner('holds@example.com', 'held-bucket')
        s3.put_object(Bucket='held-bucket', Key='k', Body=b'held', ObjectLockLegalHoldStatus='ON')
        before = self.versions(s3, 'held-bucket')
        self.assertOwnerDeletionRefused('holds@example.com', 'held-bucket',
                                        'bucket held-bucket holds 1 version under legal hold')
        self.assertEqual(self.versions(s3, 'held-bucket'), before)
        self.assertEqual(self.object_lock_field('holds@example.com', 'held-bucket'), {'legal_holds': 1})


# ---- limits and quotas -----------------------------------------------------

class RestLimitsQuotasTests(RestCase):

    def setUp(self):
        super().setUp()
        s3 = self.gw.client()
        for name in ('client', 'bucket1'):
            s3.create_bucket(Bucket=name)

    def get_text(self, guide_url):
        status, body, _ = self.s3_curl('GET', guide_url)
        self.assertEqual(status, 200, body)
        return body.decode()

    def test_user_limits_set_query_and_delete_like_guide(self):
        self.create_user('client@example.com')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&emailAddress=client@example.com&limit-type=ops'
                               '&limit-resource=get&limit-value=3600')
        # The guide's URL is wrapped twice; one URL.
        self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&emailAddress=client@example.com'
                               '&limit-type=bandwidth&limit-resource=out&limit-value=100')
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-limits&emailAddress=client@example.com'),
                         GUIDE_LIMITS)
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-limits&emailAddress=client@example.com')
        self.assertEqual(self.call_json('GET', 'http://s3.example.com/?ostor-limits&emailAddress=client@example.com'),
                         LIMITS_NONE)

    def test_every_ops_resource_takes_a_fractional_rate_printed_with_two_decimals(self):
        self.create_user('rates@example.com')
        for resource in ('default', 'get', 'put', 'list', 'delete'):
            self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&emailAddress=rates@example.com'
                                   f'&limit-type=ops&limit-resource={resource}&limit-value=2.5')
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-limits&emailAddress=rates@example.com')
        self.assertEqual(doc, dict(LIMITS_NONE, **{f'ops:{r}': '2.50' for r in ('default', 'get', 'put', 'list',
                                                                                  'delete')}))

    def test_bucket_limits_set_query_and_delete_like_guide(self):
        self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&bucket=client&limit-type=ops'
                               '&limit-resource=get&limit-value=3600')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&bucket=client&limit-type=bandwidth'
                               '&limit-resource=out&limit-value=100')
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-limits&bucket=client'), GUIDE_LIMITS)
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-limits&bucket=client')
        self.assertEqual(self.call_json('GET', 'http://s3.example.com/?ostor-limits&bucket=client'), LIMITS_NONE)

    def test_user_quota_set_query_and_delete_like_guide(self):
        self.create_user('user@example.com')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&emailAddress=user@example.com&quota-size=1024')
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-quotas&emailAddress=user@example.com'),
                         GUIDE_QUOTA_USER)
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-quotas&emailAddress=user@example.com')
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-quotas&emailAddress=user@example.com')
        self.assertLikeGuide(doc, GUIDE_QUOTA_USER)
        self.assertNotEqual(doc['size'], '1024', 'the quota was not removed')

    def test_bucket_quota_set_query_and_delete_like_guide(self):
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&bucket=bucket1&quota-size=256')
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-quotas&bucket=bucket1'), GUIDE_QUOTA_BUCKET)
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-quotas&bucket=bucket1')
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-quotas&bucket=bucket1')
        self.assertLikeGuide(doc, GUIDE_QUOTA_BUCKET)
        self.assertNotEqual(doc['size'], '256', 'the quota was not removed')

    def test_default_quotas_for_users_and_buckets_set_query_and_delete_like_guide(self):
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&default=user&quota-size=1024')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&default=bucket&quota-size=256')
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-quotas&default=user'), GUIDE_QUOTA_USER)
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-quotas&default=bucket'), GUIDE_QUOTA_BUCKET)
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-quotas&default=user')
        self.assertNotEqual(self.call_json('GET', 'http://s3.example.com/?ostor-quotas&default=user')['size'], '1024')
        self.assertEqual(self.get_text('http://s3.example.com/?ostor-quotas&default=bucket'), GUIDE_QUOTA_BUCKET)
        self.call_empty('DELETE', 'http://s3.example.com/?ostor-quotas&default=bucket')
        self.assertNotEqual(self.call_json('GET', 'http://s3.example.com/?ostor-quotas&default=bucket')['size'], '256')


# ---- usage statistics ----------------------------------------------------------

class RestUsageTests(RestCase):
    # Usage objects are written by the gateway's statistics collector; a new
    # store has none. What is tested is what a provider sees there: the empty
    # list in the guide's shape and the refusals.

    def test_get_ostor_usage_on_a_new_store_is_an_empty_list_in_the_guides_shape(self):
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-usage')
        self.assertEqual(doc, {'nr_items': 0, 'truncated': False, 'items': []})
        guide = parse_json(GUIDE_USAGE_LIST)
        self.assertEqual(list(doc), list(guide))
        self.assertEqual([type(v) for v in doc.values()], [type(v) for v in guide.values()])
        self.assertEqual(shape_differences(doc, guide), [])

    def test_get_and_delete_of_an_unknown_usage_object_answer_404(self):
        name = 's3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800'
        self.call_refused('GET', f'http://s3.example.com/?ostor-usage&obj={name}', 404, 'NoSuchKey')
        self.call_refused('DELETE', f'http://s3.example.com/?ostor-usage&obj={name}', 404, 'NoSuchKey')
        self.assertEqual(self.call_json('GET', 'http://s3.example.com/?ostor-usage')['nr_items'], 0)

    def test_usage_list_paging_takes_a_marker_and_refuses_a_bad_max_items(self):
        doc = self.call_json('GET', 'http://s3.example.com/?ostor-usage&marker=s3-usage-0&max-items=10')
        self.assertEqual(doc, {'nr_items': 0, 'truncated': False, 'items': []})
        for bad in ('0', '1001', 'abc', '-1', ''):
            with self.subTest(max_items=bad):
                self.call_refused('GET', f'http://s3.example.com/?ostor-usage&max-items={bad}', 400,
                                  'InvalidArgument')


# ---- refusals ----------------------------------------------------------------

class RestRefusalTests(RestCase):
    """Refusals: the right status, a JSON error, and the store as before.

      user@example.com   two key pairs (the most), limits, a quota
      owner@example.com  owns `owned-bucket` (one object); account `acct`
                         with two key pairs
      plain@example.com  a user without the system flag
      default quotas for users and buckets
    """

    EMAILS = ('user@example.com', 'owner@example.com', 'plain@example.com')
    shared_store = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        self = cls('runTest')  # an instance, for the helpers
        self.setUp()
        self.create_user('user@example.com')
        self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=user@example.com&genKey')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&emailAddress=user@example.com&limit-type=ops'
                               '&limit-resource=put&limit-value=50')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&emailAddress=user@example.com&quota-size=10')
        _, owner = self.create_user('owner@example.com')
        s3 = cls.gw.client(owner)
        s3.create_bucket(Bucket='owned-bucket')
        s3.put_object(Bucket='owned-bucket', Key='k', Body=b'0123456789')
        self.call_json('POST', 'http://s3.example.com/?ostor-accounts&emailAddress=owner@example.com&accountName=acct')
        self.call_json('POST', 'http://s3.example.com/?ostor-users&emailAddress=owner@example.com&accountName=acct'
                               '&genKey')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-limits&bucket=owned-bucket&limit-type=bandwidth'
                               '&limit-resource=out&limit-value=70')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&bucket=owned-bucket&quota-size=7')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&default=user&quota-size=100')
        self.call_empty('PUT', 'http://s3.example.com/?ostor-quotas&default=bucket&quota-size=20')
        _, cls.plain = self.create_user('plain@example.com')

    def snapshot(self):
        """The whole admin-visible state, read with SigV4-signed requests."""
        def get(q):
            status, body = self.admin_get(q)
            doc = parse_json(body) if body else None
            if isinstance(doc, dict):
                doc.pop('RequestId', None)
            return q, status, doc
        state = [get('ostor-users'), get('ostor-buckets'), get('ostor-usage'), get('ostor-quotas&default=user'),
                 get('ostor-quotas&default=bucket'), get('ostor-limits&bucket=owned-bucket'),
                 get('ostor-quotas&bucket=owned-bucket')]
        for email in self.EMAILS + ('new@example.com',):
            state += [get(f'ostor-users&emailAddress={email}'), get(f'ostor-limits&emailAddress={email}'),
                      get(f'ostor-quotas&emailAddress={email}')]
        return state

    def assertRefused(self, method, guide_url, status, code, creds=None):
        before = self.snapshot()
        doc = self.call_refused(method, guide_url, status, code, creds)
        self.assertEqual(self.snapshot(), before, f'{method} {guide_url} was refused but changed the store')
        return doc

    def refuse_all(self, cases, creds=None):
        for method, url, status, code in cases:
            with self.subTest(method=method, url=url):
                self.assertRefused(method, 'http://s3.example.com/?' + url, status, code, creds)

    def test_an_unknown_user_is_404_NoSuchUser_on_every_service(self):
        e = 'emailAddress=nobody@example.com'
        self.refuse_all([
            ('GET', f'ostor-users&{e}', 404, 'NoSuchUser'), ('DELETE', f'ostor-users&{e}', 404, 'NoSuchUser'),
            ('POST', f'ostor-users&{e}&disable', 404, 'NoSuchUser'),
            ('POST', f'ostor-users&{e}&enable', 404, 'NoSuchUser'),
            ('POST', f'ostor-users&{e}&genKey', 404, 'NoSuchUser'),
            ('POST', f'ostor-users&{e}&revokeKey={self.plain.access_key}', 404, 'NoSuchUser'),
            ('POST', f'ostor-accounts&{e}&accountName=account', 404, 'NoSuchUser'),
            ('DELETE', f'ostor-accounts&{e}&accountName=account', 404, 'NoSuchUser'),
            ('GET', f'ostor-buckets&{e}', 404, 'NoSuchUser'),
            ('PUT', f'ostor-limits&{e}&limit-type=ops&limit-resource=get&limit-value=1', 404, 'NoSuchUser'),
            ('GET', f'ostor-limits&{e}', 404, 'NoSuchUser'), ('DELETE', f'ostor-limits&{e}', 404, 'NoSuchUser'),
            ('PUT', f'ostor-quotas&{e}&quota-size=1', 404, 'NoSuchUser'),
            ('GET', f'ostor-quotas&{e}', 404, 'NoSuchUser'), ('DELETE', f'ostor-quotas&{e}', 404, 'NoSuchUser'),
        ])

    def test_an_unknown_bucket_is_404_NoSuchBucket_for_limits_and_quotas(self):
        self.refuse_all([
            ('PUT', 'ostor-limits&bucket=nosuchbucket&limit-type=ops&limit-resource=get&limit-value=3600', 404,
             'NoSuchBucket'),
            ('GET', 'ostor-limits&bucket=nosuchbucket', 404, 'NoSuchBucket'),
            ('DELETE', 'ostor-limits&bucket=nosuchbucket', 404, 'NoSuchBucket'),
            ('PUT', 'ostor-quotas&bucket=nosuchbucket&quota-size=256', 404, 'NoSuchBucket'),
            ('GET', 'ostor-quotas&bucket=nosuchbucket', 404, 'NoSuchBucket'),
            ('DELETE', 'ostor-quotas&bucket=nosuchbucket', 404, 'NoSuchBucket'),
        ])

    def test_an_email_and_a_user_id_naming_different_users_are_400_and_change_nothing(self):
        plain_id = self.plain.access_key[:16]
        mixed = f'emailAddress=user@example.com&userId={plain_id}'
        self.refuse_all([
            ('POST', f'ostor-users&{mixed}&disable', 400, 'InvalidArgument'),
            ('DELETE', f'ostor-users&{mixed}', 400, 'InvalidArgument'),
            ('PUT', f'ostor-limits&{mixed}&limit-type=ops&limit-resource=get&limit-value=1', 400, 'InvalidArgument'),
            ('PUT', f'ostor-quotas&{mixed}&quota-size=1', 400, 'InvalidArgument'),
        ])
        status, body, _ = self.s3_curl('GET', f'http://s3.example.com/?ostor-users&emailAddress=plain@example.com&userId={plain_id}')
        self.assertEqual(status, 200, body)
        self.assertEqual(parse_json(body)['UserId'], plain_id)
        # An empty emailAddress is taken as not given: the id names the user.
        status, body, _ = self.s3_curl('GET', f'http://s3.example.com/?ostor-users&emailAddress=&userId={plain_id}')
        self.assertEqual(status, 200, body)
        self.assertEqual(parse_json(body)['UserId'], plain_id)

    def test_creating_a_user_with_a_taken_email_is_409_in_any_case(self):
        self.refuse_all([('PUT', 'ostor-users&emailAddress=user@example.com', 409, 'UserAlreadyExists'),
                         ('PUT', 'ostor-users&emailAddress=USER@Example.COM', 409, 'UserAlreadyExists'),
                         ('PUT', 'ostor-users&emailAddress=admin@localhost', 409, 'UserAlreadyExists')])

    def test_a_third_key_pair_is_409_for_a_user_and_for_an_account(self):
        self.refuse_all([
            ('POST', 'ostor-users&emailAddress=user@example.com&genKey', 409, 'TooManyAccessKeys'),
            ('POST', 'ostor-users&emailAddress=owner@example.com&accountName=acct&genKey', 409, 'TooManyAccessKeys'),
        ])

    def test_deleting_a_user_owning_buckets_is_409(self):
        self.refuse_all([('DELETE', 'ostor-users&emailAddress=owner@example.com', 409, 'UserHasBuckets')])

    def test_a_taken_or_unknown_account_is_refused(self):
        self.refuse_all([
            ('POST', 'ostor-accounts&emailAddress=owner@example.com&accountName=acct', 409, 'AccountAlreadyExists'),
            ('PUT', 'ostor-accounts&emailAddress=owner@example.com&accountName=acct', 409, 'AccountAlreadyExists'),
            ('DELETE', 'ostor-accounts&emailAddress=owner@example.com&accountName=other', 404, 'NoSuchAccount'),
            ('POST', 'ostor-users&emailAddress=owner@example.com&accountName=other&genKey', 404, 'NoSuchAccount'),
        ])

    def test_revoking_an_unknown_or_another_users_key_is_refused(self):
        cases = [('POST', 'ostor-users&emailAddress=user@example.com&revokeKey=AAAAAAAAAAAAAAAAAAAA'),
                 ('POST', f'ostor-users&emailAddress=user@example.com&revokeKey={self.plain.access_key}')]
        for method, url in cases:
            with self.subTest(url=url):
                before = self.snapshot()
                status, body, _ = self.s3_curl(method, 'http://s3.example.com/?' + url)
                self.assertIn(status, (403, 404), body)
                self.assertJsonError((status, body), status, parse_json(body).get('Code'))
                self.assertEqual(self.snapshot(), before)

    def test_a_bad_limit_type_resource_or_value_is_400(self):
        base = 'ostor-limits&emailAddress=user@example.com'
        self.refuse_all([
            ('PUT', f'{base}&limit-type=opx&limit-resource=get&limit-value=1', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=foo&limit-value=1', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=out&limit-value=1', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=bandwidth&limit-resource=get&limit-value=1', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=bandwidth&limit-resource=out&limit-value=1.5', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=get&limit-value=-1', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=get&limit-value=abc', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=get&limit-value=', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=get', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=get&limit-value=1e3', 400, 'InvalidArgument'),
            ('PUT', f'{base}&limit-type=ops&limit-resource=get&limit-value=0.001', 400, 'InvalidArgument'),
            ('PUT', 'ostor-limits&bucket=owned-bucket&limit-type=bandwidth&limit-resource=out&limit-value=-5', 400,
             'InvalidArgument'),
        ])

    def test_a_bad_quota_size_or_default_kind_is_400(self):
        self.refuse_all([
            ('PUT', 'ostor-quotas&emailAddress=user@example.com&quota-size=abc', 400, 'InvalidArgument'),
            ('PUT', 'ostor-quotas&emailAddress=user@example.com&quota-size=-1', 400, 'InvalidArgument'),
            ('PUT', 'ostor-quotas&emailAddress=user@example.com&quota-size=1.5', 400, 'InvalidArgument'),
            ('PUT', 'ostor-quotas&emailAddress=user@example.com', 400, 'InvalidArgument'),
            ('PUT', 'ostor-quotas&bucket=owned-bucket&quota-size=', 400, 'InvalidArgument'),
            ('PUT', 'ostor-quotas&default=users&quota-size=1', 400, 'InvalidArgument'),
            ('GET', 'ostor-quotas&default=account', 400, 'InvalidArgument'),
        ])

    def test_a_request_missing_its_parameters_is_400(self):
        self.refuse_all([
            ('PUT', 'ostor-users', 400, 'InvalidArgument'),
            ('PUT', 'ostor-users&emailAddress=', 400, 'InvalidArgument'),
            ('PUT', 'ostor-users&emailAddress=not-an-email', 400, 'InvalidArgument'),
            ('POST', 'ostor-users&emailAddress=user@example.com', 400, 'InvalidArgument'),
            ('POST', 'ostor-accounts&emailAddress=owner@example.com', 400, 'InvalidArgument'),
            ('DELETE', 'ostor-users', 400, 'InvalidArgument'),
            ('GET', 'ostor-limits', 400, 'InvalidArgument'),
            ('GET', 'ostor-quotas', 400, 'InvalidArgument'),
            ('DELETE', 'ostor-usage', 400, 'InvalidArgument'),
        ])

    def test_a_method_a_service_does_not_serve_is_405(self):
        self.refuse_all([
            ('PUT', 'ostor-buckets', 405, 'MethodNotAllowed'),
            ('DELETE', 'ostor-buckets&emailAddress=owner@example.com', 405, 'MethodNotAllowed'),
            ('PUT', 'ostor-usage', 405, 'MethodNotAllowed'),
            ('POST', 'ostor-usage&obj=anything', 405, 'MethodNotAllowed'),
            ('PATCH', 'ostor-limits&emailAddress=user@example.com', 405, 'MethodNotAllowed'),
            ('PATCH', 'ostor-quotas&default=user', 405, 'MethodNotAllowed'),
            ('PATCH', 'ostor-users&emailAddress=user@example.com', 405, 'MethodNotAllowed'),
        ])

    def test_a_user_without_the_system_flag_is_403_AccessDenied_on_every_service(self):
        self.refuse_all([
            ('GET', 'ostor-users', 403, 'AccessDenied'),
            ('GET', 'ostor-users&emailAddress=plain@example.com', 403, 'AccessDenied'),
            ('PUT', 'ostor-users&emailAddress=new@example.com', 403, 'AccessDenied'),
            ('POST', 'ostor-users&emailAddress=plain@example.com&genKey', 403, 'AccessDenied'),
            ('POST', 'ostor-users&emailAddress=user@example.com&disable', 403, 'AccessDenied'),
            ('DELETE', 'ostor-users&emailAddress=user@example.com', 403, 'AccessDenied'),
            ('POST', 'ostor-accounts&emailAddress=plain@example.com&accountName=mine', 403, 'AccessDenied'),
            ('GET', 'ostor-buckets', 403, 'AccessDenied'),
            ('PUT', 'ostor-limits&emailAddress=plain@example.com&limit-type=ops&limit-resource=get&limit-value=0',
             403, 'AccessDenied'),
            ('DELETE', 'ostor-limits&emailAddress=user@example.com', 403, 'AccessDenied'),
            ('PUT', 'ostor-quotas&default=user&quota-size=100000', 403, 'AccessDenied'),
            ('DELETE', 'ostor-quotas&bucket=owned-bucket', 403, 'AccessDenied'),
            ('GET', 'ostor-usage', 403, 'AccessDenied'),
        ], creds=(self.plain.access_key, self.plain.secret_key))

    def test_an_anonymous_request_is_403(self):
        for method, q in (('GET', 'ostor-users'), ('PUT', 'ostor-users&emailAddress=new@example.com'),
                          ('DELETE', 'ostor-users&emailAddress=user@example.com'), ('GET', 'ostor-buckets'),
                          ('GET', 'ostor-usage')):
            with self.subTest(method=method, q=q):
                before = self.snapshot()
                # Plain curl: no Authorization header at all.
                p = subprocess.run(['curl', '-sS', '-X', method, '-w', '\n%{http_code}',
                                    f'{self.gw.endpoint}/?{q}'], capture_output=True, timeout=60)
                body, _, status = p.stdout.rpartition(b'\n')
                self.assertJsonError((int(status), body), 403, 'AccessDenied')
                self.assertEqual(self.snapshot(), before)

    def test_a_bad_signature_or_unknown_key_is_403_and_changes_nothing(self):
        for creds, code in (((self.gw.access_key, 'x' * 40), 'SignatureDoesNotMatch'),
                            (('0123456789abcdefAAAA', self.gw.secret_key), 'InvalidAccessKeyId')):
            with self.subTest(code=code):
                before = self.snapshot()
                status, body, _ = self.s3_curl('PUT', 'http://s3.example.com/?ostor-users&emailAddress=new@example.com',
                                               creds)
                self.assertEqual(status, 403, body)
                self.assertIn(code.encode(), body)
                self.assertEqual(self.snapshot(), before)

    def test_a_disabled_system_user_is_refused(self):
        # A second system user, made on the data directory as the guide's
        # `ostor-s3-admin create-user -S` does.
        out = subprocess.run([harness.create_user_path(), self.gw.data_dir, 'ops@example.com', '-S'],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        key = re.search(r'^KeyPair\[0\]:S3AccessKeyId:(\S+)$', out.stdout, re.M).group(1)
        secret = re.search(r'^KeyPair\[0\]:S3SecretAccessKey:(\S+)$', out.stdout, re.M).group(1)
        try:
            self.assertEqual(self.call_json('GET', 'http://s3.example.com/?ostor-users', creds=(key, secret))[0].keys(),
                             parse_json(GUIDE_LIST_USERS)[0].keys())
            self.call_empty('POST', 'http://s3.example.com/?ostor-users&emailAddress=ops@example.com&disable')
            self.EMAILS = RestRefusalTests.EMAILS + ('ops@example.com',)
            before = self.snapshot()
            status, body, _ = self.s3_curl('PUT', 'http://s3.example.com/?ostor-users&emailAddress=new@example.com',
                                           creds=(key, secret))
            self.assertEqual(status, 403, body)
            self.assertEqual(self.snapshot(), before)
        finally:
            self.call_empty('DELETE', 'http://s3.example.com/?ostor-users&emailAddress=ops@example.com')


if __name__ == '__main__':
    main()
