"""Shared helpers of the `admin` test suite (tests/admin).

The suite replays the vendor guide's admin examples (the guide's
the `ostor-s3-admin` CLI chapter, the REST API chapter and its `s3_curl`
helper, the WHMCS `S3_requestCurl` PHP helper) against a real ostor-gateway
and the real CLI on fresh data directories.

The gateway harness of the `gateway` suite (tests/gateway/harness.py) starts
the gateways; it is imported from there, not copied.

Environment: OSTOR_GATEWAY, OSTOR_CLI, OSTOR_CREATE_USER (default to the
build/ tree of the checkout), OSTOR_PHP (default `php` on PATH),
OSTOR_KEEP_TMP=1 keeps temporary directories.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'tests', 'gateway'))

import harness  # noqa: E402  (tests/gateway/harness.py)
from harness import Credentials, Gateway, main, query  # noqa: E402,F401

S3_CURL_SH = os.path.join(REPO, 'scripts', 's3_curl.sh')  # the user-facing copy, verbatim
S3_REQUEST_CURL_PHP = os.path.join(HERE, 'S3_requestCurl.php')

USER_ID_RE = r'[0-9a-f]{16}'
KEY_SUFFIX_RE = r'[A-Z0-9]{4}'
SECRET_RE = r'[A-Za-z0-9]{40}'
ISO8601_MS_000_RE = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z'


def cli_path():
    return os.environ.get('OSTOR_CLI') or os.path.join(REPO, 'build', 'cli', 'ostor-s3-admin')


def encoded_query(guide_query):
    """A guide query ("ostor-users&emailAddress=a@b.c") encoded for a SigV4-signed
    request: botocore signs the query as sent, the gateway as SigV4
    canonicalises it (an '@' as %40), so a raw '@' fails the signature."""
    return query([tuple(p.split('=', 1)) if '=' in p else (p, None) for p in guide_query.split('&')])


def prometheus_values(text):
    """Prometheus text exposition as {'name{labels}': value}."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith('#'):
            name, value = line.rsplit(' ', 1)
            values[name] = float(value)
    return values


def volume_id(data_dir):
    with open(os.path.join(data_dir, 'volume.id')) as f:
        return f.read().strip()


# ---- JSON documents -------------------------------------------------------

def parse_json(body):
    """A JSON body (bytes or str), members in document order."""
    if isinstance(body, bytes):
        body = body.decode()
    return json.loads(body)


def guide_json_text(doc):
    """`doc` printed the way the guide prints JSON: two-space indent, one
    member per line, `"key": value`, a newline at the end."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + '\n'


def value_kind(v, guide=False):
    """The type and format class of a JSON value, as the guide's examples use
    them: ids, access key ids, secrets, "3600.00" rates, "1024" integer
    strings, ISO 8601 dates with milliseconds, emails, ...

    `guide=True` classifies a value transcribed from the guide, where the PDF
    extraction dropped one character of some 40-character secrets."""
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, int):
        return 'int'
    if isinstance(v, float):
        return 'float'
    if isinstance(v, str):
        secret = r'[A-Za-z0-9]{39,40}' if guide else SECRET_RE
        for name, rx in (('user-id', USER_ID_RE), ('access-key-id', USER_ID_RE + KEY_SUFFIX_RE),
                         ('ops-rate-string', r'\d+\.\d\d'), ('integer-string', r'\d+'),
                         ('iso8601-ms', r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z'),
                         ('usage-object-name', r's3-usage-[0-9a-f]{16}-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z-\d+'),
                         ('state', r'enabled|disabled'), ('secret', secret), ('email', r'[^@\s]+@[^@\s]+')):
            if re.fullmatch(rx, v):
                return name
        return 'string'
    if isinstance(v, list):
        return 'array'
    if isinstance(v, dict):
        return 'object'
    return type(v).__name__


def shape_differences(actual, guide, path='$'):
    """Where `actual` differs in shape from the guide's document `guide`:
    objects must have the same keys in the same order, scalars the same type
    and format (value_kind). Arrays of the same length are compared element by
    element; otherwise every actual element is compared with the guide's first
    one. Returns a list of messages (empty: same shape)."""
    out = []
    ka, kg = value_kind(actual), value_kind(guide, guide=True)
    if ka != kg:
        return [f'{path}: {ka} {actual!r} where the guide has {kg} {guide!r}']
    if isinstance(guide, dict):
        if list(actual) != list(guide):
            return [f'{path}: keys {list(actual)} where the guide has {list(guide)}']
        for k in guide:
            out += shape_differences(actual[k], guide[k], f'{path}.{k}')
    elif isinstance(guide, list):
        if len(actual) == len(guide):
            for i, (a, g) in enumerate(zip(actual, guide)):
                out += shape_differences(a, g, f'{path}[{i}]')
        elif actual and not guide:
            out.append(f'{path}: {len(actual)} elements where the guide shows none')
        else:
            for i, a in enumerate(actual):
                out += shape_differences(a, guide[0], f'{path}[{i}]')
    return out


class AdminAssertions:
    """Mixin for unittest.TestCase: assertions on admin answers."""

    def assertShapeLikeGuide(self, actual, guide, what=''):
        diffs = shape_differences(actual, guide)
        if diffs:
            self.fail(f'{what} differs in shape from the guide:\n  ' + '\n  '.join(diffs) +
                      f'\nactual: {json.dumps(actual, indent=2)}')

    def assertKeyPairOf(self, user_id, pair):
        """{"AWSAccessKeyId", "AWSSecretAccessKey"} of `user_id`."""
        self.assertEqual(list(pair), ['AWSAccessKeyId', 'AWSSecretAccessKey'], pair)
        self.assertRegex(pair['AWSAccessKeyId'], '^' + re.escape(user_id) + KEY_SUFFIX_RE + '$')
        self.assertRegex(pair['AWSSecretAccessKey'], '^' + SECRET_RE + '$')

    def assertJsonError(self, status_body, status, code):
        """A refusal: this HTTP status and a {"Code", "Message", "RequestId"}
        JSON body with this Code."""
        got_status, body = status_body[0], status_body[1]
        self.assertEqual(got_status, status, body)
        try:
            doc = parse_json(body)
        except ValueError:
            self.fail(f'refusal body is not JSON: {body!r}')
        self.assertIsInstance(doc, dict, body)
        self.assertEqual(list(doc), ['Code', 'Message', 'RequestId'], body)
        self.assertEqual(doc['Code'], code, body)
        self.assertIsInstance(doc['Message'], str)
        self.assertTrue(doc['Message'], body)
        self.assertRegex(doc['RequestId'], r'^\S+$')
        return doc


# ---- the guide's s3_curl helper ------------------------------------------

class S3Curl:
    """Runs the guide's `s3_curl` bash function (s3_curl.sh, verbatim) with a
    key pair, as the guide's examples do:

        s3_key=...; s3_secret=...; source s3_curl.sh; s3_curl GET "URL"

    The function itself prints only the response body. To see the HTTP status
    too, curl reads a .curlrc from CURL_HOME that adds a --write-out line and a
    --dump-header file: the helper runs unmodified."""

    STATUS_MARK = '@@ostor-admin-test-http-status@@'

    def __init__(self, workdir):
        self.home = tempfile.mkdtemp(prefix='curlhome-', dir=workdir)
        self.header_file = os.path.join(self.home, 'headers.txt')
        with open(os.path.join(self.home, '.curlrc'), 'w') as f:
            f.write(f'write-out = "\\n{self.STATUS_MARK}%{{http_code}}\\n"\n')
            f.write(f'dump-header = "{self.header_file}"\n')

    def run(self, method, url, key, secret, env=None, timeout=60):
        """Returns (status, body bytes, headers dict lowercased, stderr)."""
        if os.path.exists(self.header_file):
            os.unlink(self.header_file)
        e = dict(os.environ)
        e.update({'CURL_HOME': self.home, 's3_key': key, 's3_secret': secret})
        e.pop('http_proxy', None)
        e.pop('HTTP_PROXY', None)
        e.update(env or {})
        script = 'source "$S3_CURL_SH" && s3_curl "$1" "$2"'
        e['S3_CURL_SH'] = S3_CURL_SH
        p = subprocess.run(['bash', '-c', script, 's3_curl', method, url], capture_output=True, env=e,
                           timeout=timeout)
        out = p.stdout
        mark = ('\n' + self.STATUS_MARK).encode()
        idx = out.rfind(mark)
        if p.returncode != 0 or idx < 0:
            raise AssertionError(f's3_curl {method} {url} failed (exit {p.returncode}): stdout {out!r}, '
                                 f'stderr {p.stderr.decode(errors="replace")[-2000:]}')
        status = int(out[idx + len(mark):].strip())
        body = out[:idx]
        headers = {}
        try:
            with open(self.header_file, 'rb') as f:
                for line in f.read().decode('latin-1').split('\r\n')[1:]:
                    name, sep, value = line.partition(':')
                    if sep:
                        headers[name.strip().lower()] = value.strip()
        except OSError:
            pass
        return status, body, headers, p.stderr.decode(errors='replace')
