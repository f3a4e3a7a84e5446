#!/usr/bin/env python3
"""ostor-s3-admin against the vendor guide's CLI chapter (000_*.txt,
"Managing S3 users via CLI" ... "Deleting default quotas via CLI", and the
`create-user -S` example of the REST and WHMCS chapters).

Every example command is replayed as printed (the guide's volume id replaced
by the data directory's, the guide's sample ids by the ids the store gave)
on a fresh data directory, and the output is compared byte for byte with the
guide's, where only user ids (16 lowercase hex digits), access key ids (the
user id + 4 of [A-Z0-9]) and secrets (40 of [A-Za-z0-9]) may differ. The
guide's PDF extraction wrapped some long lines; such a line is one line here
(comments say where, and how it was joined).

Then every refusal: non-zero exit, a message on stderr, nothing on stdout,
and nothing changed in the store.

Each test starts a gateway (tests/gateway/harness.py) on its own data
directory: it creates the directory and serves the S3 requests that make
buckets; the CLI runs beside it on the same directory, which is supported.
"""

import os
import re
import shlex
import subprocess
import tempfile
import unittest

from admin_common import (SECRET_RE, AdminAssertions, Credentials, Gateway, cli_path, encoded_query, main, parse_json,
                          volume_id)

GUIDE_VOLUME = re.compile(r'^0?10{12,13}2$')  # the guide spells it 010000000000002 and 0100000000000002

# ---- the guide's outputs, transcribed -------------------------------------

# create-user (the PDF split this output over two code blocks).
CREATE_USER = """\
UserEmail:user@email.com
UserId:a49e12a226bd760f
KeyPair[0]:S3AccessKeyId:a49e12a226bd760fGHQ7
KeyPair[0]:S3SecretAccessKey:HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq
Flags:none
"""

# create-user -S ("Requirements for integration via REST API"; the WHMCS
# chapter prints the same).
CREATE_SYSTEM_USER = """\
UserEmail:user@example.com
UserId:a14040e0b2ef8b28
KeyPair[0]:S3AccessKeyId:a14040e0b2ef8b28FZZ8
KeyPair[0]:S3SecretAccessKey:dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA
Flags:system
"""

# query-users: the header and one block of rows per user. The PDF dropped
# the first digit of the last user's id ("e86d1c19e616455", 15 digits; ids
# have 16 and the column keeps the 16-digit width); it is "de86d1c19e616455",
# the id the guide's revoke-access-key example uses.
QUERY_USERS_HEADER = '      S3 USER ID      S3 ACCESS KEY ID      S3 SECRET ACCESS KEY  S3 USER EMAIL\n'
QUERY_USERS_BLOCKS = {
    'user2@abc.com': 'bf0b3b15eb7c9019    bf0b3b15eb7c9019I36Y          *** user2@abc.com\n',
    'user1@abc.com': ('d866d9d114cc3d20    d866d9d114cc3d20G456          *** user1@abc.com\n'
                      '                        d866d9d114cc3d20D8EW          ***\n'),
    'user3@abc.com': 'de86d1c19e616455    -                               - user3@abc.com\n',
}
QUERY_USERS_IDS = {'user2@abc.com': 'bf0b3b15eb7c9019', 'user1@abc.com': 'd866d9d114cc3d20',
                   'user3@abc.com': 'de86d1c19e616455'}

# query-users -a -X: the PDF wrapped this one-line document at fixed width,
# mid-token ("UTF-\n8", "</Email\n>", ...); joined with nothing between. The
# guide shows both users with the email user@email.com, which cannot be
# (emails are unique): the second user here is user2@email.com.
QUERY_USERS_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?><QueryUsersResult><Users>'
QUERY_USERS_XML_USERS = {
    'user@email.com': ('<User><Id>a49e12a226bd760f</Id><Email>user@email.com</Email><Keys><OwnerId>0000000000000000'
                       '</OwnerId><KeyPair><S3AccessKeyId>a49e12a226bd760fGHQ7</S3AccessKeyId><S3SecretAccessKey>'
                       'HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq</S3SecretAccessKey></KeyPair></Keys></User>'),
    'user2@email.com': ('<User><Id>d7c53fc1f931661f</Id><Email>user2@email.com</Email><Keys><OwnerId>0000000000000000'
                        '</OwnerId><KeyPair><S3AccessKeyId>d7c53fc1f931661fZLIV</S3AccessKeyId><S3SecretAccessKey>'
                        'JL7gt10H873zR0Fzv80h9ZuA6JtCVnkgV71ET6ET</S3SecretAccessKey></KeyPair></Keys></User>'),
}
QUERY_USERS_XML_TAIL = '</Users></QueryUsersResult>'

# query-user-info: each "Key pair" line was wrapped after "id=...,"; joined
# with the space the PDF broke at.
QUERY_USER_INFO = """\
Query user: user id=d866d9d114cc3d20, user email=user@email.com
Key pair[0]: access key id=d866d9d114cc3d20G456, secret access key=5EAne6PLL1jxprouRqq8hmfONMfgrJcOwbowCoTt
Key pair[1]: access key id=d866d9d114cc3d20D8EW, secret access key=83tTsNAuuRyoBBqhxMFqHAC60dhKHtTCCKqe54zu
"""

DELETE_USER = 'Deleted user: user id=bf0b3b15eb7c9019\n'

# gen-access-key (user): wrapped after "access key id=...,"; joined with a
# space. (The PDF also dropped a character of this secret; any 40-character
# secret matches.)
GEN_ACCESS_KEY = ('Generate access key: user id=d866d9d114cc3d20, access key id=d866d9d114cc3d20D8EW, '
                  'secret access key=83tTsNAuuRyoBBqhxFqHAC60dhKHtTCckQe54zu\n')

REVOKE_ACCESS_KEY = 'Revoke access key: user id=de86d1c19e616455, access key id=de86d1c19e616455YIPU\n'

CREATE_ACCOUNT = """\
UserEmail:user@email.com
UserId:b09693b73b3c7686
AccountName:account
Flags:none
KeyPair[0]:S3AccessKeyId:b09693b73b3c7686ESY0
KeyPair[0]:S3SecretAccessKey:VxGZc12KKECUe1361IWrvXSVvZ0dZAsfg4pL4M7T
"""

# query-account-info prints the same (the PDF split it over two code blocks).
QUERY_ACCOUNT_INFO = CREATE_ACCOUNT

LIST_USER_ACCOUNTS = """\
NAME      USER_ID      EMAIL      S3AccessKeyId      S3SecretAccessKey
account1  b09693b73b3c7686  user@email.com  b09693b73b3c768613NV ***
account2  b09693b73b3c7686  user@email.com  b09693b73b3c7686LCZ5 ***
                                     b09693b73b3c76866NI2 ***
account3  b09693b73b3c7686  user@email.com
"""

GEN_ACCOUNT_ACCESS_KEY = """\
S3AccessKeyId:b09693b73b3c7686WCF3
S3SecretAccessKey:GMzOPHJ66qbnxjrqFMHrN2fnxjkGf67u90Xec3PQ
"""

LIMITS_GET_3600 = """\
ops:default=0.00ops/s
ops:get=3600.00ops/s
ops:put=0.00ops/s
ops:list=0.00ops/s
ops:delete=0.00ops/s
bandwidth:out=0kbs/s
"""

LIMITS_GET_3600_OUT_100 = """\
ops:default=0.00ops/s
ops:get=3600.00ops/s
ops:put=0.00ops/s
ops:list=0.00ops/s
ops:delete=0.00ops/s
bandwidth:out=100kbs/s
"""

LIMITS_NONE = """\
ops:default=0.00ops/s
ops:get=0.00ops/s
ops:put=0.00ops/s
ops:list=0.00ops/s
ops:delete=0.00ops/s
bandwidth:out=0kbs/s
"""

QUOTA_USER_1024 = """\
version: '1'
size: '1024'
type: 'user'
"""

QUOTA_BUCKET_256 = """\
version: '1'
size: '256'
type: 'bucket'
"""

QUOTAS_REMOVED = 'successfully removed quotas\n'

ALL_COMMANDS = ['create-user', 'query-users', 'query-user-info', 'disable-user', 'enable-user', 'delete-user',
                'gen-access-key', 'revoke-access-key', 'create-account', 'list-user-accounts', 'query-account-info',
                'delete-account', 'set-limits', 'query-limits', 'rm-limits', 'set-quotas', 'query-quotas',
                'rm-quotas']


# ---- golden matching --------------------------------------------------------


class Golden:
    """Turns a guide output into a regular expression and matches it.

    In the guide's text, user ids, access key ids and secrets are tokens. A
    token already bound (to the value the store really gave, from an earlier
    output or an explicit bind()) must appear as that value; an unbound one
    matches any value of its form (an access key id: the same user's id + 4
    of [A-Z0-9]) and is bound to what it matched. Within one output, the same
    token must match the same value, different tokens different values.
    Everything else must match byte for byte."""

    TOKEN = re.compile(r'(?<![0-9A-Za-z])(?:(?P<key>[0-9a-f]{16}[A-Z0-9]{4})|(?P<id>[0-9a-f]{16})'
                       r'|(?P<secret>[A-Za-z0-9]{36,40}))(?![0-9A-Za-z])')
    OWNER_ID = '0' * 16  # the constant OwnerId, not a user id

    def __init__(self):
        self.bindings = {}

    def bind(self, token, value):
        self.bindings[token] = value

    def alias(self, token, bound_token):
        """The guide names one thing with two sample tokens (in different
        examples, or with a PDF typo): `token` means what `bound_token` is."""
        self.bindings[token] = self.bindings[bound_token]

    def value(self, token):
        return self.bindings[token]

    def substitute(self, text):
        """`text` with every bound token replaced by its value (for the
        guide's command lines: -i ID, -k KEY)."""
        return self.TOKEN.sub(lambda m: self.bindings.get(m.group(0), m.group(0)), text)

    def compile(self, template):
        groups = {}  # token -> group name
        kinds = {}   # group name -> (kind, token)
        parts, pos = [], 0

        def ref(token, kind, body):
            if token in self.bindings:
                return re.escape(self.bindings[token])
            if token in groups:
                return f'(?P={groups[token]})'
            name = f'g{len(groups)}'
            groups[token] = name
            kinds[name] = (kind, token)
            return f'(?P<{name}>{body})'

        for m in self.TOKEN.finditer(template):
            parts.append(re.escape(template[pos:m.start()]))
            pos = m.end()
            tok = m.group(0)
            if m.group('key'):
                prefix = ref(tok[:16], 'id', '[0-9a-f]{16}') if tok not in self.bindings and tok not in groups else ''
                parts.append(ref(tok, 'key', prefix + '[A-Z0-9]{4}'))
            elif m.group('id'):
                parts.append(re.escape(tok) if tok == self.OWNER_ID else ref(tok, 'id', '[0-9a-f]{16}'))
            else:
                parts.append(ref(tok, 'secret', SECRET_RE))
        parts.append(re.escape(template[pos:]))
        return re.compile(''.join(parts), re.S), kinds

    def match(self, template, actual):
        """None when `actual` matches (and binds the new tokens), else a
        description of the first difference."""
        rx, kinds = self.compile(template)
        m = rx.fullmatch(actual)
        if not m:
            return self._explain(template, actual)
        seen = {}
        for name, (kind, token) in kinds.items():
            v = m.group(name)
            if (kind, v) in seen:
                return f'guide tokens {seen[(kind, v)]} and {token} both matched {v!r}; they must differ'
            seen[(kind, v)] = token
        for name, (kind, token) in kinds.items():
            self.bindings[token] = m.group(name)
        return None

    def _explain(self, template, actual):
        t_lines = template.split('\n')
        a_lines = actual.split('\n')
        for i, t in enumerate(t_lines):
            a = a_lines[i] if i < len(a_lines) else None
            probe = Golden()
            probe.bindings = dict(self.bindings)
            rx, _ = probe.compile(t)
            if a is None or not rx.fullmatch(a):
                return (f'line {i + 1} differs:\n  guide:  {t!r}\n  actual: {a!r}\n'
                        f'--- guide ---\n{template}--- actual ---\n{actual}')
        return (f'{len(a_lines) - len(t_lines)} extra lines, or tokens that must differ/agree do not:\n'
                f'--- guide ---\n{template}--- actual ---\n{actual}')


# ---- test base ------------------------------------------------------------

class CliCase(unittest.TestCase, AdminAssertions):
    """One fresh data directory (made by a gateway, which keeps running for
    S3 requests) per test, and the CLI on it."""

    def setUp(self):
        self.gw = Gateway().start()
        self.addCleanup(self.gw.stop)
        self.data = self.gw.data_dir
        self.vol = volume_id(self.data)
        self.assertRegex(self.vol, r'^[0-9a-f]{16}$')
        self.g = Golden()

    # ---- running the CLI --------------------------------------------------
    def cli(self, *args, data=None, env=None):
        """Runs ostor-s3-admin; the data directory comes from $OSTOR_DATA, as
        on a storage node where the commands are typed as the guide prints
        them."""
        e = dict(os.environ)
        e['OSTOR_DATA'] = self.data if data is None else data
        e.update(env or {})
        return subprocess.run([cli_path(), *args], capture_output=True, text=True, env=e, timeout=60)

    def ok(self, *args):
        p = self.cli(*args)
        self.assertEqual(p.returncode, 0, f'ostor-s3-admin {" ".join(args)} failed: {p.stderr}')
        self.assertEqual(p.stderr, '', f'ostor-s3-admin {" ".join(args)} wrote on stderr')
        return p.stdout

    def guide_args(self, command):
        """The guide's command line as argv: the volume id is this store's,
        bound sample ids/keys are the store's."""
        argv = shlex.split(self.g.substitute(command))
        self.assertEqual(argv[0], 'ostor-s3-admin')
        argv = argv[1:]
        for i, a in enumerate(argv):
            if i > 0 and argv[i - 1] == '-V' and GUIDE_VOLUME.match(a):
                argv[i] = self.vol
        return argv

    def replay(self, command, expected):
        """Runs the guide's `command` and compares its output with the guide's
        `expected`; returns the output."""
        out = self.ok(*self.guide_args(command))
        self.assertGolden(expected, out, command)
        return out

    def assertGolden(self, expected, actual, what=''):
        problem = self.g.match(expected, actual)
        if problem:
            self.fail(f'{what}: output differs from the guide: {problem}')

    # ---- the store, seen from other faces ----------------------------------
    def admin_get(self, q):
        """GET /?<q> on the admin REST API with the gateway's system user;
        `q` as the guide writes it ("ostor-users&emailAddress=a@b.c")."""
        r = self.gw.request('GET', '/', query=encoded_query(q))
        self.assertEqual(r.status, 200, repr(r))
        return parse_json(r.body)

    def user_state(self, email):
        return self.admin_get(f'ostor-users&emailAddress={email}')['State']

    def s3_status(self, key, secret):
        """The status of a signed ListBuckets with this key pair."""
        return self.gw.request('GET', '/', credentials=Credentials(key, secret)).status

    def create_bucket(self, name, key, secret):
        self.gw.client(Credentials(key, secret)).create_bucket(Bucket=name)

    def create_user_as(self, email, id_token, key_token, secret_token=None):
        """create-user -e EMAIL, its output compared with the guide's
        create-user output where the guide's sample tokens are these (bound to
        what the store gave)."""
        secret_token = secret_token or (id_token + 'S' * 24)
        template = (CREATE_USER.replace('user@email.com', email).replace('a49e12a226bd760fGHQ7', key_token)
                    .replace('a49e12a226bd760f', id_token).replace('HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq',
                                                                    secret_token))
        self.assertGolden(template, self.ok('create-user', '-e', email, '-V', self.vol), f'create-user -e {email}')

    def created(self):
        """The key pair of the last create-user output replayed with the
        CREATE_USER template (its KeyPair[0] tokens)."""
        return self.g.value('a49e12a226bd760fGHQ7'), self.g.value('HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq')


# ---- users ----------------------------------------------------------------

class CliUserGoldenTests(CliCase):

    def test_create_user_prints_email_id_first_key_pair_and_flags_none(self):
        self.replay('ostor-s3-admin create-user -e user@email.com -V 010000000000002', CREATE_USER)
        key, secret = self.created()
        self.assertEqual(self.s3_status(key, secret), 200, 'the new key pair does not sign S3 requests')
        # Not a system user: the admin REST API refuses it.
        r = self.gw.request('GET', '/', query='ostor-users', credentials=Credentials(key, secret))
        self.assertEqual(r.status, 403, repr(r))

    def test_create_user_with_S_prints_flags_system_and_may_call_the_admin_api(self):
        self.replay('ostor-s3-admin create-user -S -e user@example.com -V 010000000000002', CREATE_SYSTEM_USER)
        key, secret = self.g.value('a14040e0b2ef8b28FZZ8'), self.g.value('dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA')
        r = self.gw.request('GET', '/', query='ostor-users', credentials=Credentials(key, secret))
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn('user@example.com', [u['UserEmail'] for u in parse_json(r.body)])

    def _guide_users_only(self):
        # The guide's listings hold only the provider's users: remove the
        # system user the gateway made when it created this data directory.
        out = self.ok('delete-user', '-e', 'admin@localhost', '-V', self.vol)
        self.assertRegex(out, r'^Deleted user: user id=[0-9a-f]{16}\n$')

    def test_query_users_table_matches_guide_with_dashes_for_a_user_without_keys(self):
        self._guide_users_only()
        # As in the guide: user2 has one key pair, user1 two, user3 none (its
        # only pair revoked).
        self.create_user_as('user2@abc.com', 'bf0b3b15eb7c9019', 'bf0b3b15eb7c9019I36Y')
        self.create_user_as('user1@abc.com', 'd866d9d114cc3d20', 'd866d9d114cc3d20G456')
        self.create_user_as('user3@abc.com', 'de86d1c19e616455', 'de86d1c19e616455YIPU')
        self.assertGolden(GEN_ACCESS_KEY, self.ok('gen-access-key', '-e', 'user1@abc.com', '-V', self.vol),
                          'gen-access-key')
        self.assertGolden(REVOKE_ACCESS_KEY, self.ok('revoke-access-key', '-e', 'user3@abc.com', '-k',
                                                     self.g.value('de86d1c19e616455YIPU'), '-V', self.vol),
                          'revoke-access-key')
        out = self.replay_query_users_table()
        # Users are listed by id, as in the guide.
        listed = [line[:16] for line in out.splitlines()[1:] if not line.startswith(' ')]
        self.assertEqual(listed, sorted(self.g.value(t) for t in QUERY_USERS_IDS.values()))

    def replay_query_users_table(self):
        order = sorted(QUERY_USERS_BLOCKS, key=lambda email: self.g.value(QUERY_USERS_IDS[email]))
        expected = QUERY_USERS_HEADER + ''.join(QUERY_USERS_BLOCKS[e] for e in order)
        return self.replay('ostor-s3-admin query-users -V 0100000000000002', expected)

    def test_query_users_xml_with_secrets_matches_guide(self):
        self._guide_users_only()
        samples = {'user@email.com': ('a49e12a226bd760f', 'a49e12a226bd760fGHQ7',
                                      'HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq'),
                   'user2@email.com': ('d7c53fc1f931661f', 'd7c53fc1f931661fZLIV',
                                       'JL7gt10H873zR0Fzv80h9ZuA6JtCVnkgV71ET6ET')}
        for email, (uid, key, secret) in samples.items():
            self.create_user_as(email, uid, key, secret)
        order = sorted(samples, key=lambda email: self.g.value(samples[email][0]))
        expected = QUERY_USERS_XML_HEAD + ''.join(QUERY_USERS_XML_USERS[e] for e in order) + QUERY_USERS_XML_TAIL
        # One line: the document and a newline.
        self.replay('ostor-s3-admin query-users -V 0100000000000002 -a -X', expected + '\n')
        # The guide's text names the option -x as well.
        self.assertGolden(expected + '\n', self.ok('query-users', '-V', self.vol, '-a', '-x'), 'query-users -a -x')
        # Without -a no secret is printed, in XML or in the table.
        for args in (('-X',), ()):
            out = self.ok('query-users', '-V', self.vol, *args)
            for email, (uid, key, secret) in samples.items():
                self.assertIn(self.g.value(key), out)
                self.assertNotIn(self.g.value(secret), out, f'query-users {args} printed a secret without -a')

    def test_query_user_info_by_email_or_id_lists_every_key_pair(self):
        self.replay('ostor-s3-admin create-user -e user@email.com -V 010000000000002', CREATE_USER)
        self.g.alias('d866d9d114cc3d20', 'a49e12a226bd760f')
        self.g.alias('d866d9d114cc3d20G456', 'a49e12a226bd760fGHQ7')
        self.g.alias('5EAne6PLL1jxprouRqq8hmfONMfgrJcOwbowCoTt', 'HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq')
        self.replay('ostor-s3-admin gen-access-key -e user@email.com -V 0100000000000002', GEN_ACCESS_KEY)
        # The same secret, spelled two ways by the PDF.
        self.g.alias('83tTsNAuuRyoBBqhxMFqHAC60dhKHtTCCKqe54zu', '83tTsNAuuRyoBBqhxFqHAC60dhKHtTCckQe54zu')
        self.replay('ostor-s3-admin query-user-info -e user@email.com -V 0100000000000002', QUERY_USER_INFO)
        self.replay('ostor-s3-admin query-user-info -i d866d9d114cc3d20 -V 0100000000000002', QUERY_USER_INFO)

    def test_disable_and_enable_user_print_nothing_and_switch_its_state(self):
        self.replay('ostor-s3-admin create-user -e user@email.com -V 010000000000002', CREATE_USER)
        key, secret = self.created()
        self.assertEqual(self.user_state('user@email.com'), 'enabled')
        self.replay('ostor-s3-admin disable-user -e user@email.com -V 0100000000000002', '')
        self.assertEqual(self.user_state('user@email.com'), 'disabled')
        self.assertEqual(self.s3_status(key, secret), 403, 'a disabled user is still served')
        self.replay('ostor-s3-admin enable-user -e user@email.com -V 0100000000000002', '')
        self.assertEqual(self.user_state('user@email.com'), 'enabled')
        self.assertEqual(self.s3_status(key, secret), 200)
        # By id (-i) too.
        uid = self.g.value('a49e12a226bd760f')
        self.assertEqual(self.ok('disable-user', '-i', uid, '-V', self.vol), '')
        self.assertEqual(self.user_state('user@email.com'), 'disabled')
        self.assertEqual(self.ok('enable-user', '-i', uid, '-V', self.vol), '')
        self.assertEqual(self.user_state('user@email.com'), 'enabled')

    def test_delete_user_by_id_or_email_prints_deleted_user_id(self):
        self.replay('ostor-s3-admin create-user -e user2@abc.com -V 010000000000002',
                    CREATE_USER.replace('user@email.com', 'user2@abc.com'))
        key, secret = self.created()
        self.g.alias('bf0b3b15eb7c9019', 'a49e12a226bd760f')
        self.replay('ostor-s3-admin delete-user -i bf0b3b15eb7c9019 -V 0100000000000002', DELETE_USER)
        self.assertNotEqual(self.cli('query-user-info', '-e', 'user2@abc.com').returncode, 0)
        self.assertEqual(self.s3_status(key, secret), 403, "a deleted user's key still signs requests")
        # By email.
        out = self.ok('create-user', '-e', 'user3@abc.com', '-V', self.vol)
        uid = re.search(r'^UserId:(\S+)$', out, re.M).group(1)
        self.assertEqual(self.ok('delete-user', '-e', 'user3@abc.com', '-V', self.vol),
                         f'Deleted user: user id={uid}\n')
        self.assertNotEqual(self.cli('query-user-info', '-i', uid).returncode, 0)

    def test_gen_access_key_for_user_prints_the_new_pair_which_signs_requests(self):
        self.replay('ostor-s3-admin create-user -e user@email.com -V 010000000000002', CREATE_USER)
        self.g.alias('d866d9d114cc3d20', 'a49e12a226bd760f')
        self.replay('ostor-s3-admin gen-access-key -e user@email.com -V 0100000000000002', GEN_ACCESS_KEY)
        key = self.g.value('d866d9d114cc3d20D8EW')
        secret = self.g.value('83tTsNAuuRyoBBqhxFqHAC60dhKHtTCckQe54zu')
        self.assertNotEqual(key, self.g.value('a49e12a226bd760fGHQ7'))
        self.assertEqual(self.s3_status(key, secret), 200)

    def test_revoke_access_key_of_user_prints_it_and_the_key_stops_working(self):
        self.replay('ostor-s3-admin create-user -e user@email.com -V 010000000000002', CREATE_USER)
        self.g.alias('de86d1c19e616455', 'a49e12a226bd760f')
        self.g.alias('d866d9d114cc3d20', 'a49e12a226bd760f')
        self.replay('ostor-s3-admin gen-access-key -e user@email.com -V 0100000000000002', GEN_ACCESS_KEY)
        self.g.alias('de86d1c19e616455YIPU', 'd866d9d114cc3d20D8EW')
        secret = self.g.value('83tTsNAuuRyoBBqhxFqHAC60dhKHtTCckQe54zu')
        self.assertEqual(self.s3_status(self.g.value('de86d1c19e616455YIPU'), secret), 200)
        # The guide's command line is wrapped before the volume id; one line.
        self.replay('ostor-s3-admin revoke-access-key -e user@email.com -k de86d1c19e616455YIPU -V 0100000000000002',
                    REVOKE_ACCESS_KEY)
        self.assertEqual(self.s3_status(self.g.value('de86d1c19e616455YIPU'), secret), 403)
        info = self.ok('query-user-info', '-e', 'user@email.com', '-V', self.vol)
        self.assertNotIn(self.g.value('de86d1c19e616455YIPU'), info)
        self.assertIn(self.g.value('a49e12a226bd760fGHQ7'), info)


# ---- accounts -------------------------------------------------------------

class CliAccountGoldenTests(CliCase):

    def make_user(self):
        self.replay('ostor-s3-admin create-user -e user@email.com -V 010000000000002', CREATE_USER)
        self.g.alias('b09693b73b3c7686', 'a49e12a226bd760f')

    def test_create_account_prints_user_account_and_a_key_pair_of_the_account(self):
        self.make_user()
        self.replay('ostor-s3-admin create-account -V 0100000000000002 -n account -e user@email.com', CREATE_ACCOUNT)
        key = self.g.value('b09693b73b3c7686ESY0')
        secret = self.g.value('VxGZc12KKECUe1361IWrvXSVvZ0dZAsfg4pL4M7T')
        self.assertNotEqual(key, self.g.value('a49e12a226bd760fGHQ7'))
        self.assertEqual(self.s3_status(key, secret), 200, "the account's key pair does not sign requests")

    def test_query_account_info_matches_guide(self):
        self.make_user()
        self.replay('ostor-s3-admin create-account -V 0100000000000002 -n account -e user@email.com', CREATE_ACCOUNT)
        self.replay('ostor-s3-admin query-account-info -V 0100000000000002 -n account -e user@email.com',
                    QUERY_ACCOUNT_INFO)
        uid = self.g.value('b09693b73b3c7686')
        self.assertGolden(QUERY_ACCOUNT_INFO, self.ok('query-account-info', '-V', self.vol, '-n', 'account', '-i', uid))

    def test_list_user_accounts_table_matches_guide_without_rows_for_an_account_without_keys(self):
        self.make_user()
        # account1: one key pair; account2: two; account3: none.
        for name, key_token in (('account1', 'b09693b73b3c768613NV'), ('account2', 'b09693b73b3c7686LCZ5'),
                                ('account3', None)):
            out = self.ok('create-account', '-V', self.vol, '-n', name, '-e', 'user@email.com')
            key = re.search(r'^KeyPair\[0\]:S3AccessKeyId:(\S+)$', out, re.M).group(1)
            if key_token:
                self.g.bind(key_token, key)
            else:
                self.assertEqual(self.ok('revoke-access-key', '-e', 'user@email.com', '-k', key, '-V', self.vol), '')
        out = self.ok('gen-access-key', '-V', self.vol, '-n', 'account2', '-e', 'user@email.com')
        self.g.bind('b09693b73b3c76866NI2', re.search(r'^S3AccessKeyId:(\S+)$', out, re.M).group(1))
        self.replay('ostor-s3-admin list-user-accounts -V 0100000000000002 -e user@email.com', LIST_USER_ACCOUNTS)
        out = self.ok('list-user-accounts', '-V', self.vol, '-e', 'user@email.com', '-a')
        self.assertEqual(len(re.findall(SECRET_RE, out)), 3, f'-a shows no secrets: {out}')

    def test_delete_account_prints_nothing_and_removes_it_with_its_keys(self):
        self.make_user()
        self.replay('ostor-s3-admin create-account -V 0100000000000002 -n account -e user@email.com', CREATE_ACCOUNT)
        key = self.g.value('b09693b73b3c7686ESY0')
        secret = self.g.value('VxGZc12KKECUe1361IWrvXSVvZ0dZAsfg4pL4M7T')
        self.replay('ostor-s3-admin delete-account -V 0100000000000002 -n account -e user@email.com', '')
        p = self.cli('query-account-info', '-V', self.vol, '-n', 'account', '-e', 'user@email.com')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertEqual(self.ok('list-user-accounts', '-V', self.vol, '-e', 'user@email.com'),
                         LIST_USER_ACCOUNTS.splitlines(True)[0])
        self.assertEqual(self.s3_status(key, secret), 403, "a deleted account's key still signs requests")

    def test_gen_access_key_for_account_prints_the_new_pair(self):
        self.make_user()
        self.replay('ostor-s3-admin create-account -V 0100000000000002 -n account -e user@email.com', CREATE_ACCOUNT)
        self.replay('ostor-s3-admin gen-access-key -V 0100000000000002 -n account -e user@email.com',
                    GEN_ACCOUNT_ACCESS_KEY)
        self.assertEqual(self.s3_status(self.g.value('b09693b73b3c7686WCF3'),
                                        self.g.value('GMzOPHJ66qbnxjrqFMHrN2fnxjkGf67u90Xec3PQ')), 200)
        # The account now has both pairs, in creation order; the user's own
        # keys are unchanged.
        expected = CREATE_ACCOUNT + ('KeyPair[1]:S3AccessKeyId:b09693b73b3c7686WCF3\n'
                                     'KeyPair[1]:S3SecretAccessKey:GMzOPHJ66qbnxjrqFMHrN2fnxjkGf67u90Xec3PQ\n')
        self.assertGolden(expected, self.ok('query-account-info', '-V', self.vol, '-n', 'account', '-e',
                                            'user@email.com'))
        info = self.ok('query-user-info', '-e', 'user@email.com', '-V', self.vol)
        self.assertEqual(info.count('Key pair['), 1, info)

    def test_revoke_access_key_of_account_prints_nothing_and_the_key_stops_working(self):
        self.make_user()
        self.replay('ostor-s3-admin create-account -V 0100000000000002 -n account -e user@email.com', CREATE_ACCOUNT)
        self.replay('ostor-s3-admin gen-access-key -V 0100000000000002 -n account -e user@email.com',
                    GEN_ACCOUNT_ACCESS_KEY)
        self.g.alias('de86d1c19e616455YIPU', 'b09693b73b3c7686WCF3')
        # As the guide prints it: -e and -k only; the key says it is the account's.
        self.replay('ostor-s3-admin revoke-access-key -e user@email.com -k de86d1c19e616455YIPU -V 0100000000000002',
                    '')
        self.assertEqual(self.s3_status(self.g.value('b09693b73b3c7686WCF3'),
                                        self.g.value('GMzOPHJ66qbnxjrqFMHrN2fnxjkGf67u90Xec3PQ')), 403)
        self.assertGolden(QUERY_ACCOUNT_INFO, self.ok('query-account-info', '-V', self.vol, '-n', 'account', '-e',
                                                      'user@email.com'))
        # With -n naming the account, too.
        key = self.g.value('b09693b73b3c7686ESY0')
        self.assertEqual(self.ok('revoke-access-key', '-e', 'user@email.com', '-n', 'account', '-k', key, '-V',
                                 self.vol), '')
        # An account without key pairs: no KeyPair lines.
        self.assertGolden(''.join(CREATE_ACCOUNT.splitlines(True)[:4]),
                          self.ok('query-account-info', '-V', self.vol, '-n', 'account', '-e', 'user@email.com'))


# ---- limits and quotas ------------------------------------------------------

class CliLimitsQuotasGoldenTests(CliCase):

    def make_user(self, email):
        out = self.ok('create-user', '-e', email, '-V', self.vol)
        self.assertGolden(CREATE_USER.replace('user@email.com', email), out, 'create-user')
        return self.g.value('a49e12a226bd760f'), self.g.value('a49e12a226bd760fGHQ7'), self.g.value(
            'HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq')

    def test_user_limits_ops_and_bandwidth_set_query_and_rm_match_guide(self):
        self.make_user('client@example.com')
        # The guide types these without -V.
        self.replay('ostor-s3-admin set-limits -e client@example.com -t ops -L get=3600', LIMITS_GET_3600)
        self.replay('ostor-s3-admin set-limits -e client@example.com -t bandwidth -L out=100', LIMITS_GET_3600_OUT_100)
        self.replay('ostor-s3-admin query-limits -e client@example.com', LIMITS_GET_3600_OUT_100)
        # The REST API sees the same limits.
        self.assertEqual(self.admin_get('ostor-limits&emailAddress=client@example.com'),
                         {'ops:default': '0.00', 'ops:get': '3600.00', 'ops:put': '0.00', 'ops:list': '0.00',
                          'ops:delete': '0.00', 'bandwidth:out': '100'})
        self.replay('ostor-s3-admin rm-limits -e client@example.com', LIMITS_NONE)
        self.replay('ostor-s3-admin query-limits -e client@example.com', LIMITS_NONE)

    def test_every_ops_resource_and_fractional_rate_prints_two_decimals(self):
        uid = self.make_user('client@example.com')[0]
        for resource in ('default', 'put', 'list', 'delete'):
            self.ok('set-limits', '-i', uid, '-t', 'ops', '-L', f'{resource}=12.5')
        self.assertEqual(self.ok('query-limits', '-i', uid), LIMITS_NONE.replace(
            'default=0.00', 'default=12.50').replace('put=0.00', 'put=12.50').replace(
            'list=0.00', 'list=12.50').replace('delete=0.00', 'delete=12.50'))

    def test_bucket_limits_ops_and_bandwidth_set_query_and_rm_match_guide(self):
        _, key, secret = self.make_user('client@example.com')
        self.create_bucket('example', key, secret)
        self.replay('ostor-s3-admin set-limits -b example -t ops -L get=3600', LIMITS_GET_3600)
        self.replay('ostor-s3-admin set-limits -b example -t bandwidth -L out=100', LIMITS_GET_3600_OUT_100)
        self.replay('ostor-s3-admin query-limits -b example', LIMITS_GET_3600_OUT_100)
        # The bucket's limits are not the owner's.
        self.assertEqual(self.ok('query-limits', '-e', 'client@example.com'), LIMITS_NONE)
        self.replay('ostor-s3-admin rm-limits -b example', LIMITS_NONE)
        self.replay('ostor-s3-admin query-limits -b example', LIMITS_NONE)

    def test_user_quotas_by_email_or_id_set_query_and_rm_match_guide(self):
        self.make_user('user@example.com')
        self.g.alias('fa153230721eed05', 'a49e12a226bd760f')
        self.replay('ostor-s3-admin set-quotas -e user@example.com -q 1024 -V 0100000000000002', QUOTA_USER_1024)
        self.replay('ostor-s3-admin query-quotas -e user@example.com -V 0100000000000002', QUOTA_USER_1024)
        self.replay('ostor-s3-admin query-quotas -i fa153230721eed05 -V 0100000000000002', QUOTA_USER_1024)
        self.assertEqual(self.admin_get('ostor-quotas&emailAddress=user@example.com'),
                         {'version': '1', 'type': 'user', 'size': '1024'})
        self.replay('ostor-s3-admin rm-quotas -e user@example.com -V 0100000000000002', QUOTAS_REMOVED)
        self.assertNotEqual(self.ok('query-quotas', '-e', 'user@example.com', '-V', self.vol), QUOTA_USER_1024)
        self.replay('ostor-s3-admin set-quotas -i fa153230721eed05 -q 1024 -V 0100000000000002', QUOTA_USER_1024)
        self.replay('ostor-s3-admin query-quotas -e user@example.com -V 0100000000000002', QUOTA_USER_1024)
        self.replay('ostor-s3-admin rm-quotas -i fa153230721eed05 -V 0100000000000002', QUOTAS_REMOVED)
        self.assertNotEqual(self.ok('query-quotas', '-i', self.g.value('fa153230721eed05'), '-V', self.vol),
                            QUOTA_USER_1024)

    def test_bucket_quotas_set_query_and_rm_match_guide(self):
        _, key, secret = self.make_user('user@example.com')
        self.create_bucket('bucket1', key, secret)
        self.replay('ostor-s3-admin set-quotas -b bucket1 -q 256 -V 0100000000000002', QUOTA_BUCKET_256)
        self.replay('ostor-s3-admin query-quotas -b bucket1 -V 0100000000000002', QUOTA_BUCKET_256)
        self.assertEqual(self.admin_get('ostor-quotas&bucket=bucket1'),
                         {'version': '1', 'type': 'bucket', 'size': '256'})
        self.replay('ostor-s3-admin rm-quotas -b bucket1 -V 0100000000000002', QUOTAS_REMOVED)
        self.assertNotEqual(self.ok('query-quotas', '-b', 'bucket1', '-V', self.vol), QUOTA_BUCKET_256)

    def test_default_quotas_for_users_and_buckets_set_query_and_rm_match_guide(self):
        self.replay('ostor-s3-admin set-quotas -o user -q 1024 -V 0100000000000002', QUOTA_USER_1024)
        self.replay('ostor-s3-admin set-quotas -o bucket -q 256 -V 0100000000000002', QUOTA_BUCKET_256)
        self.replay('ostor-s3-admin query-quotas -o user -V 0100000000000002', QUOTA_USER_1024)
        self.replay('ostor-s3-admin query-quotas -o bucket -V 0100000000000002', QUOTA_BUCKET_256)
        self.assertEqual(self.admin_get('ostor-quotas&default=user'), {'version': '1', 'type': 'user', 'size': '1024'})
        self.assertEqual(self.admin_get('ostor-quotas&default=bucket'),
                         {'version': '1', 'type': 'bucket', 'size': '256'})
        self.replay('ostor-s3-admin rm-quotas -o user -V 0100000000000002', QUOTAS_REMOVED)
        self.assertNotEqual(self.ok('query-quotas', '-o', 'user', '-V', self.vol), QUOTA_USER_1024)
        # Removing one default leaves the other.
        self.replay('ostor-s3-admin query-quotas -o bucket -V 0100000000000002', QUOTA_BUCKET_256)
        self.replay('ostor-s3-admin rm-quotas -o bucket -V 0100000000000002', QUOTAS_REMOVED)
        self.assertNotEqual(self.ok('query-quotas', '-o', 'bucket', '-V', self.vol), QUOTA_BUCKET_256)


# ---- help -----------------------------------------------------------------

class CliHelpTests(unittest.TestCase):

    def test_help_lists_every_command_of_the_guide_and_exits_0(self):
        for flag in ('--help', '-h', 'help'):
            p = subprocess.run([cli_path(), flag], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            for command in ALL_COMMANDS:
                self.assertRegex(p.stdout, r'(?m)^\s+' + re.escape(command) + r'\s', f'{flag}: {command} missing')


# ---- refusals ---------------------------------------------------------------

class CliRefusalTests(unittest.TestCase, AdminAssertions):
    """Every refusal: non-zero exit, `ostor-s3-admin: ...` on stderr, nothing
    on stdout, and the store exactly as before. One store for the class:

      user@email.com     two key pairs (the most), limits and a quota
      owner@example.com  owns bucket `owned-bucket`; account `acct` with two
                         key pairs and bucket `acct-bucket`
      default quotas for users and buckets
    """

    before_refusals = None  # snapshot() once the class's store is set up

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway().start()
        cls.addClassCleanup(cls.gw.stop)
        cls.data = cls.gw.data_dir
        cls.vol = volume_id(cls.data)

        def ok(*args):
            p = subprocess.run([cli_path(), args[0], '--data', cls.data, *args[1:]], capture_output=True, text=True,
                               timeout=60)
            if p.returncode != 0:
                raise RuntimeError(f'setup: ostor-s3-admin {args}: {p.stderr}')
            return p.stdout

        def pair(out, prefix=r'KeyPair\[0\]:'):
            return (re.search(r'^' + prefix + r'S3AccessKeyId:(\S+)$', out, re.M).group(1),
                    re.search(r'^' + prefix + r'S3SecretAccessKey:(\S+)$', out, re.M).group(1))

        out = ok('create-user', '-e', 'user@email.com')
        cls.user_id = re.search(r'^UserId:(\S+)$', out, re.M).group(1)
        cls.user_key = pair(out)[0]
        ok('gen-access-key', '-e', 'user@email.com')
        ok('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=10')
        ok('set-quotas', '-e', 'user@email.com', '-q', '5')
        out = ok('create-user', '-e', 'owner@example.com')
        cls.owner_id = re.search(r'^UserId:(\S+)$', out, re.M).group(1)
        owner = Credentials(*pair(out))
        cls.gw.client(owner).create_bucket(Bucket='owned-bucket')
        cls.gw.client(owner).put_object(Bucket='owned-bucket', Key='k', Body=b'12345')
        ok('set-limits', '-b', 'owned-bucket', '-t', 'bandwidth', '-L', 'out=7')
        ok('set-quotas', '-b', 'owned-bucket', '-q', '3')
        out = ok('create-account', '-e', 'owner@example.com', '-n', 'acct')
        acct = Credentials(*pair(out))
        ok('gen-access-key', '-e', 'owner@example.com', '-n', 'acct')
        cls.gw.client(acct).create_bucket(Bucket='acct-bucket')
        ok('set-quotas', '-o', 'user', '-q', '100')
        ok('set-quotas', '-o', 'bucket', '-q', '50')

    def cli(self, *args, data=None):
        e = dict(os.environ)
        e['OSTOR_DATA'] = self.data if data is None else data
        return subprocess.run([cli_path(), *args], capture_output=True, text=True, env=e, timeout=60)

    def snapshot(self):
        """Everything a refusal could touch, read through the REST admin API
        of the gateway on the same store: the users with their key pairs and
        accounts (and any new user), each user's limits, quota and state, the
        buckets' limits and quotas, the default quotas and the bucket list.
        (REST, not the CLI: a snapshot follows every refusal, and under the
        sanitizers each CLI start costs about a second; the CLI's own views
        of the same records are compared with the guide above.)"""
        def get(q):
            r = self.gw.request('GET', '/', query=encoded_query(q))
            return (q, r.status, r.body)
        state = [get('ostor-users')]
        # Every user's details (key pairs, accounts, state), the system
        # user's and any new one's too.
        emails = [u['UserEmail'] for u in parse_json(state[0][2])] if state[0][1] == 200 else []
        queries = [f'ostor-users&emailAddress={email}' for email in sorted(emails)]
        queries += ['ostor-buckets', 'ostor-quotas&default=user', 'ostor-quotas&default=bucket']
        for email in ('user@email.com', 'owner@example.com'):
            queries += [f'ostor-limits&emailAddress={email}', f'ostor-quotas&emailAddress={email}']
        for bucket in ('owned-bucket', 'acct-bucket'):
            queries += [f'ostor-limits&bucket={bucket}', f'ostor-quotas&bucket={bucket}']
        return state + [get(q) for q in queries]

    def assertRefused(self, *args, data=None):
        """ostor-s3-admin ARGS must be refused and change nothing."""
        # The store as the class set it up: every refusal is compared with it
        # (a refusal that changed something fails there, and every later one).
        if type(self).before_refusals is None:
            type(self).before_refusals = self.snapshot()
            for q, status, body in type(self).before_refusals:
                self.assertEqual(status, 200, f'GET ?{q}: {body!r}')
        before = type(self).before_refusals
        p = self.cli(*args, data=data)
        what = 'ostor-s3-admin ' + ' '.join(shlex.quote(a) for a in args)
        self.assertNotEqual(p.returncode, 0, f'{what} succeeded: {p.stdout}')
        self.assertEqual(p.stdout, '', f'{what} printed on stdout')
        self.assertRegex(p.stderr, r'^ostor-s3-admin: \S', f'{what}: no message on stderr')
        after = self.snapshot()
        for b, a in zip(before, after):
            self.assertEqual(a, b, f'{what} changed the store')
        return p

    def refuse_all(self, cases):
        for args in cases:
            with self.subTest(args=' '.join(args)):
                self.assertRefused(*args)

    def test_create_user_with_a_taken_email_is_refused_in_any_case(self):
        self.refuse_all([('create-user', '-e', 'user@email.com', '-V', self.vol),
                         ('create-user', '-e', 'USER@EMAIL.COM'),
                         ('create-user', '-S', '-e', 'owner@example.com')])

    def test_create_user_with_an_invalid_email_is_refused(self):
        self.refuse_all([('create-user', '-e', 'not-an-email'), ('create-user', '-e', '@example.com'),
                         ('create-user', '-e', 'a@b@example.com')])

    def test_a_third_key_pair_is_refused_for_a_user_and_for_an_account(self):
        self.refuse_all([('gen-access-key', '-e', 'user@email.com', '-V', self.vol),
                         ('gen-access-key', '-i', self.user_id),
                         ('gen-access-key', '-e', 'owner@example.com', '-n', 'acct')])

    def test_every_user_command_refuses_an_unknown_user(self):
        unknown_id = '0123456789abcdef' if self.user_id != '0123456789abcdef' else 'fedcba9876543210'
        self.refuse_all([
            ('query-user-info', '-e', 'nobody@example.com'), ('query-user-info', '-i', unknown_id),
            ('query-user-info', '-i', 'not-an-id'),
            ('disable-user', '-e', 'nobody@example.com'), ('enable-user', '-i', unknown_id),
            ('delete-user', '-e', 'nobody@example.com'), ('delete-user', '-i', unknown_id),
            ('gen-access-key', '-e', 'nobody@example.com'),
            ('revoke-access-key', '-e', 'nobody@example.com', '-k', self.user_key),
            ('create-account', '-e', 'nobody@example.com', '-n', 'new'),
            ('list-user-accounts', '-e', 'nobody@example.com'),
            ('query-account-info', '-i', unknown_id, '-n', 'acct'),
            ('delete-account', '-e', 'nobody@example.com', '-n', 'acct'),
            ('set-limits', '-e', 'nobody@example.com', '-t', 'ops', '-L', 'get=1'),
            ('query-limits', '-e', 'nobody@example.com'), ('rm-limits', '-i', unknown_id),
            ('set-quotas', '-e', 'nobody@example.com', '-q', '1'), ('query-quotas', '-i', unknown_id),
            ('rm-quotas', '-e', 'nobody@example.com'),
            # -e and -i naming two different users.
            ('disable-user', '-e', 'user@email.com', '-i', self.owner_id),
            ('delete-user', '-e', 'nobody@example.com', '-i', self.user_id),
        ])

    def test_limits_and_quotas_refuse_an_unknown_bucket(self):
        self.refuse_all([('set-limits', '-b', 'nosuchbucket', '-t', 'ops', '-L', 'get=3600'),
                         ('query-limits', '-b', 'nosuchbucket'), ('rm-limits', '-b', 'nosuchbucket'),
                         ('set-quotas', '-b', 'nosuchbucket', '-q', '256'), ('query-quotas', '-b', 'nosuchbucket'),
                         ('rm-quotas', '-b', 'nosuchbucket')])

    def test_every_command_refuses_a_volume_id_that_is_not_the_data_directorys(self):
        other = '0100000000000002' if self.vol != '0100000000000002' else '0100000000000003'
        self.refuse_all([
            ('create-user', '-e', 'new@example.com', '-V', other), ('query-users', '-V', other),
            ('query-user-info', '-e', 'user@email.com', '-V', other),
            ('disable-user', '-e', 'user@email.com', '-V', other),
            ('delete-user', '-e', 'user@email.com', '-V', other),
            ('gen-access-key', '-e', 'owner@example.com', '-V', other),
            ('revoke-access-key', '-e', 'user@email.com', '-k', self.user_key, '-V', other),
            ('create-account', '-e', 'user@email.com', '-n', 'new', '-V', other),
            ('delete-account', '-e', 'owner@example.com', '-n', 'acct', '-V', other),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=1', '-V', other),
            ('rm-limits', '-b', 'owned-bucket', '-V', other),
            ('set-quotas', '-o', 'user', '-q', '1', '-V', other), ('rm-quotas', '-o', 'bucket', '-V', other),
            ('query-users', '-V', 'not-a-volume-id'), ('query-users', '-V', self.vol.upper() + 'X'),
        ])

    def test_delete_user_owning_a_bucket_and_delete_account_owning_a_bucket_are_refused(self):
        self.refuse_all([('delete-user', '-e', 'owner@example.com', '-V', self.vol),
                         ('delete-user', '-i', self.owner_id),
                         ('delete-account', '-e', 'owner@example.com', '-n', 'acct')])

    def test_set_limits_refuses_a_bad_type_resource_or_value(self):
        self.refuse_all([
            ('set-limits', '-e', 'user@email.com', '-t', 'opx', '-L', 'get=1'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'foo=1'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'out=100'),
            ('set-limits', '-e', 'user@email.com', '-t', 'bandwidth', '-L', 'get=1'),
            ('set-limits', '-e', 'user@email.com', '-t', 'bandwidth', '-L', 'out=1.5'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=-1'),
            ('set-limits', '-e', 'user@email.com', '-t', 'bandwidth', '-L', 'out=-5'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=abc'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get='),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=1e3'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=inf'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=nan'),
            ('set-limits', '-e', 'user@email.com', '-t', 'ops', '-L', 'get=0x10'),
            ('set-limits', '-b', 'owned-bucket', '-t', 'opx', '-L', 'get=1'),
            ('set-limits', '-b', 'owned-bucket', '-t', 'bandwidth', '-L', 'out=1.5'),
        ])

    def test_set_quotas_refuses_a_bad_size_or_default_kind(self):
        self.refuse_all([
            ('set-quotas', '-e', 'user@email.com', '-q', 'abc'), ('set-quotas', '-e', 'user@email.com', '-q', '-1'),
            ('set-quotas', '-e', 'user@email.com', '-q', '1.5'), ('set-quotas', '-e', 'user@email.com', '-q', '10GB'),
            ('set-quotas', '-b', 'owned-bucket', '-q', '-256'), ('set-quotas', '-o', 'user', '-q', 'x'),
            ('set-quotas', '-o', 'users', '-q', '1'), ('query-quotas', '-o', 'account'), ('rm-quotas', '-o', ''),
        ])

    def test_a_missing_required_option_is_refused(self):
        self.refuse_all([
            ('create-user',), ('create-user', '-e', ''), ('create-user', '-S'),
            ('query-user-info',), ('disable-user',), ('enable-user',), ('delete-user',), ('gen-access-key',),
            ('revoke-access-key', '-e', 'user@email.com'), ('revoke-access-key', '-k', self.user_key),
            ('create-account', '-e', 'user@email.com'), ('create-account', '-n', 'new'),
            ('query-account-info', '-e', 'owner@example.com'), ('delete-account', '-e', 'owner@example.com'),
            ('list-user-accounts',),
            ('set-limits', '-e', 'user@email.com', '-L', 'get=1'), ('set-limits', '-e', 'user@email.com', '-t', 'ops'),
            ('set-limits', '-t', 'ops', '-L', 'get=1'), ('query-limits',), ('rm-limits',),
            ('set-limits', '-e', 'user@email.com', '-b', 'owned-bucket', '-t', 'ops', '-L', 'get=1'),
            ('set-quotas', '-e', 'user@email.com'), ('set-quotas', '-q', '5'), ('query-quotas',), ('rm-quotas',),
            ('set-quotas', '-e', 'user@email.com', '-o', 'user', '-q', '1'),
        ])

    def test_an_unknown_command_or_option_or_a_stray_argument_is_refused(self):
        self.refuse_all([
            (), ('frobnicate',), ('create-users', '-e', 'new@example.com'), ('-e', 'new@example.com'),
            ('query-users', '-Z'), ('create-user', '-e', 'new@example.com', '--bogus'),
            ('create-user', '-e'), ('query-users', 'extra'), ('create-user', '-e', 'new@example.com', 'extra'),
            ('query-users', '-V'),
        ])

    def test_revoking_an_unknown_or_another_owners_key_is_refused(self):
        owner_keys = re.findall(r'access key id=(\S+),', self.cli('query-user-info', '-e', 'owner@example.com').stdout)
        acct_key = re.search(r'^KeyPair\[0\]:S3AccessKeyId:(\S+)$',
                             self.cli('query-account-info', '-e', 'owner@example.com', '-n', 'acct').stdout,
                             re.M).group(1)
        self.refuse_all([
            ('revoke-access-key', '-e', 'user@email.com', '-k', self.user_id + 'ZZZZ'),
            ('revoke-access-key', '-e', 'user@email.com', '-k', 'nonsense'),
            ('revoke-access-key', '-e', 'user@email.com', '-k', owner_keys[0]),
            ('revoke-access-key', '-e', 'user@email.com', '-k', acct_key),
            # -n naming an account the key is not of.
            ('revoke-access-key', '-e', 'owner@example.com', '-n', 'acct', '-k', owner_keys[0]),
            ('revoke-access-key', '-e', 'owner@example.com', '-n', 'other', '-k', acct_key),
        ])

    def test_a_taken_or_unknown_account_name_is_refused(self):
        self.refuse_all([
            ('create-account', '-e', 'owner@example.com', '-n', 'acct'),
            ('query-account-info', '-e', 'owner@example.com', '-n', 'other'),
            ('delete-account', '-e', 'owner@example.com', '-n', 'other'),
            ('gen-access-key', '-e', 'owner@example.com', '-n', 'other'),
            ('delete-account', '-e', 'user@email.com', '-n', 'acct'),
        ])

    def test_a_missing_data_directory_is_refused_and_not_created(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, 'no-such-store')
            for args in (('query-users',), ('create-user', '-e', 'new@example.com')):
                with self.subTest(args=args):
                    self.assertRefused(*args, data=missing)
                    self.assertFalse(os.path.exists(missing), 'the CLI created a data directory')
                    # --data naming it.
                    p = subprocess.run([cli_path(), args[0], '--data', missing, *args[1:]], capture_output=True,
                                       text=True, timeout=60)
                    self.assertNotEqual(p.returncode, 0)
                    self.assertEqual(p.stdout, '')
                    self.assertRegex(p.stderr, r'^ostor-s3-admin: \S')
                    self.assertFalse(os.path.exists(missing), 'the CLI created a data directory')


if __name__ == '__main__':
    main()
