"""Shared harness of the `gateway` test suite.

Starts a real ostor-gateway on a fresh temporary data directory and an
ephemeral loopback port, parses the system user's keys and the port from its
stdout, and hands the tests:

  * boto3 clients (path-style, SigV4, no retries, region us-east-1);
  * raw requests signed with botocore's own signers (SigV4 / SigV2) but sent
    with http.client, so a test controls every byte on the wire;
  * raw sockets for hostile input.

At the end the gateway is stopped with SIGTERM; it must exit with status 0
and print no sanitizer report on stderr.

Environment: OSTOR_GATEWAY (the ostor-gateway binary) and OSTOR_CREATE_USER
(build/examples/create_user); both default to the build/ tree of the
checkout. OSTOR_KEEP_TMP=1 keeps the temporary directory for inspection.

Backends: by default the gateway's volume is a local data directory. With
OSTOR_TEST_BACKEND=rados and OSTOR_TEST_VOLUME (the throwaway cluster's spec,
exported by tests/rados/run_with_cluster.sh) each Gateway gets a fresh RADOS
namespace of the cluster's pools instead, with --state-dir in its temporary
directory; its objects are removed when it stops for good (the test OSD keeps
them in memory, and deleted bodies stay for the blob store's grace period).
Tests local by nature (they look into the data directory, fill a disk) are
marked @skip_on_rados('why').
"""

import atexit
import base64
import ctypes
import datetime
import email.utils
import hashlib
import hmac
import http.client
import itertools
import os
import queue
import re
import resource
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

try:
    import boto3
except ImportError:  # a python3 from elsewhere than Debian's: use Debian's python3-boto3
    sys.path.append('/usr/lib/python3/dist-packages')
    import boto3

from botocore import UNSIGNED
from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = 'us-east-1'
S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
SANITIZER_MARKERS = ('Sanitizer', 'runtime error:', 'AddressSanitizer', 'LeakSanitizer',
                     'ThreadSanitizer', 'UndefinedBehaviorSanitizer')
MiB = 1024 * 1024

_names = itertools.count(1)
_live_gateways = []


def on_rados():
    """True when the suite runs on RADOS volumes (OSTOR_TEST_BACKEND=rados)."""
    return os.environ.get('OSTOR_TEST_BACKEND') == 'rados'


def skip_on_rados(reason):
    """Marks a test (or a test class) local by nature: skipped on RADOS."""
    return unittest.skipIf(on_rados(), 'local backend: ' + reason)


def data_args(spec, root):
    """ostor-gateway's arguments for the volume `spec` (a directory or a
    rados: spec) of a gateway whose temporary directory is `root`: on RADOS
    its state directory is `root`/state."""
    if spec.startswith('rados:'):
        return ['--data', spec, '--state-dir', os.path.join(root, 'state')]
    return ['--data', spec]


def fresh_volume(root):
    """(spec, ostor-gateway's data arguments) of a new, empty volume for a
    gateway whose temporary directory is `root`: `root`/data, or on RADOS a
    namespace of its own of the test cluster with its state in `root`/state."""
    if not on_rados():
        data = os.path.join(root, 'data')
        return data, data_args(data, root)
    volume = os.environ.get('OSTOR_TEST_VOLUME')
    if not volume:
        raise RuntimeError('OSTOR_TEST_BACKEND=rados needs OSTOR_TEST_VOLUME: run through '
                           'tests/rados/run_with_cluster.sh')
    spec = volume + ('&' if '?' in volume else '?') + 'ns=gw-' + secrets.token_hex(8)
    return spec, data_args(spec, root)


def remove_rados_volume(spec):
    """Removes every object of a RADOS volume's namespace from the test
    cluster's pools (the volume spec's PREFIX.meta, .index, .data)."""
    try:
        import rados
    except ImportError:  # Debian's python3-rados, for a python3 of the same version from elsewhere
        sys.path.append('/usr/lib/python3/dist-packages')
        import rados
    prefix, _, params = spec[len('rados:'):].partition('?')
    opts = dict(urllib.parse.parse_qsl(params))
    cluster = rados.Rados(conffile=opts.get('conf', ''), rados_id=opts.get('id'),
                          conf={'keyring': opts['keyring']} if 'keyring' in opts else {})
    cluster.connect(timeout=30)
    try:
        for suffix in ('.meta', '.index', '.data'):
            with cluster.open_ioctx(prefix + suffix) as io:
                io.set_namespace(opts['ns'])
                for obj in list(io.list_objects()):
                    io.remove_object(obj.key)
    finally:
        cluster.shutdown()


@atexit.register
def _kill_leftovers():
    for gw in list(_live_gateways):
        if gw.proc is not None and gw.proc.poll() is None:
            gw.proc.kill()
            gw.proc.wait()


def _die_with_parent():
    # In the child before exec: SIGTERM it when the test process goes away,
    # even if that is a kill (a meson timeout), so no gateway outlives its test.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def gateway_path():
    return os.environ.get('OSTOR_GATEWAY') or os.path.join(REPO, 'build', 'gateway-lite', 'ostor-gateway')


def create_user_path():
    return os.environ.get('OSTOR_CREATE_USER') or os.path.join(REPO, 'build', 'examples', 'create_user')


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def md5_header(body):
    """The Content-MD5 header of `body`, which configuration PUTs require."""
    return {'Content-MD5': md5_b64(body)}


def quote_key(key):
    """A key as it goes into a request path (AWS URI encoding, '/' kept)."""
    return urllib.parse.quote(key, safe='/~')


def query(params):
    """A query string encoded as SigV4 canonicalises it; a None value gives a bare `name`."""
    parts = []
    for k, v in params.items() if isinstance(params, dict) else params:
        k = urllib.parse.quote(k, safe='-_.~')
        parts.append(k if v is None else k + '=' + urllib.parse.quote(str(v), safe='-_.~'))
    return '&'.join(parts)


def days_ahead(days):
    """A whole second `days` from now, in UTC: retention dates are relative,
    never fixed (a fixed one would expire and fail the test on its day)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return (now + datetime.timedelta(days=days)).replace(microsecond=0)


def http_date(when):
    return email.utils.formatdate(when.timestamp(), usegmt=True)


def strip_ns(tag):
    return tag.split('}', 1)[1] if '}' in tag else tag


def parse_xml(body):
    """Parses an XML body and drops namespaces from the tags."""
    root = ET.fromstring(body)
    for el in root.iter():
        el.tag = strip_ns(el.tag)
    return root


def unique_bucket(prefix='t'):
    return f'{prefix}-{os.getpid()}-{next(_names)}-{secrets.token_hex(3)}'


def error_code(exc):
    """The S3 error code of a botocore ClientError."""
    return exc.response.get('Error', {}).get('Code')


def http_status(exc):
    return exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def xml(self):
        return parse_xml(self.body)

    @property
    def error_code(self):
        if not self.body:
            return None
        try:
            root = self.xml()
        except ET.ParseError:
            return None
        if root.tag != 'Error':
            return None
        return root.findtext('Code')

    def __repr__(self):
        return f'<Response {self.status} {self.reason} {self.body[:400]!r}>'


class SigV4(S3SigV4Auth):
    """botocore's S3 SigV4 header signer with a settable clock and payload hash."""

    def __init__(self, credentials, region=REGION, when=None, payload_hash=None):
        super().__init__(credentials, 's3', region)
        self._when = when
        self._payload_hash = payload_hash
        self.seed_signature = None
        self.timestamp = None

    def payload(self, request):
        if self._payload_hash is not None:
            return self._payload_hash
        return super().payload(request)

    def add_auth(self, request):
        when = self._when or datetime.datetime.now(datetime.timezone.utc)
        self.timestamp = when.astimezone(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        request.context['timestamp'] = self.timestamp
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        sts = self.string_to_sign(request, canonical)
        self.seed_signature = self.signature(sts, request)
        self._inject_signature_to_request(request, self.seed_signature)


class SigV2(HmacV1Auth):
    """botocore's SigV2 (HMAC-SHA1) header signer with a settable clock."""

    def __init__(self, credentials, when=None):
        super().__init__(credentials)
        self._when = when

    def _get_date(self):
        if self._when is None:
            return email.utils.formatdate(usegmt=True)
        return http_date(self._when)


def sigv4_signing_key(secret, date, region=REGION, service='s3'):
    k = hmac.new(('AWS4' + secret).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, region.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    return hmac.new(k, b'aws4_request', hashlib.sha256).digest()


def aws_chunked_body(chunks, secret, timestamp, seed_signature, region=REGION, tamper=None):
    """Encodes `chunks` (list of bytes; a final empty chunk is added) as a
    STREAMING-AWS4-HMAC-SHA256-PAYLOAD body, each chunk signed as the AWS spec
    says (signature chained from the seed). `tamper(index, data) -> data`
    changes a chunk's bytes after it was signed."""
    date = timestamp[:8]
    scope = f'{date}/{region}/s3/aws4_request'
    key = sigv4_signing_key(secret, date, region)
    prev = seed_signature
    out = []
    for i, data in enumerate(list(chunks) + [b'']):
        sts = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', timestamp, scope, prev, EMPTY_SHA256,
                         hashlib.sha256(data).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        sent = tamper(i, data) if tamper else data
        out.append(f'{len(sent):x};chunk-signature={sig}\r\n'.encode() + sent + b'\r\n')
    return b''.join(out)


class Gateway:
    """One ostor-gateway process on a temporary data directory."""

    def __init__(self, extra_args=()):
        self.extra_args = list(extra_args)
        self.proc = None
        self.root = tempfile.mkdtemp(prefix='ostor-gw-test-')
        # data_dir: what Engine::open takes (a directory, or a rados: spec);
        # a test may point it elsewhere before start().
        self.data_dir, _ = fresh_volume(self.root)
        self.stderr_path = os.path.join(self.root, 'stderr.log')
        self.stdout_lines = []
        self.access_key = None
        self.secret_key = None
        self.port = None
        self.scheme = 'http'
        # For HTTPS (--tls-cert): the CA file clients verify the gateway with.
        self.ca_file = None
        self._users = itertools.count(1)
        self._started_before = False
        self.shares_volume = False  # another gateway's volume (sharing_volume): not this one's to drop

    # ---- lifecycle -----------------------------------------------------
    def start(self, timeout=30):
        exe = gateway_path()
        if not os.access(exe, os.X_OK):
            raise RuntimeError(f'gateway binary {exe} not found (set OSTOR_GATEWAY)')
        _raise_fd_limit()
        self._stderr = open(self.stderr_path, 'ab')
        self.stdout_lines = []
        keys_before = (self.access_key, self.secret_key)
        self.proc = subprocess.Popen(
            [exe] + data_args(self.data_dir, self.root) + ['--listen', '127.0.0.1:0'] + self.extra_args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, preexec_fn=_die_with_parent)
        if self not in _live_gateways:
            _live_gateways.append(self)
        lines = queue.Queue()

        def pump():
            for raw in self.proc.stdout:
                line = raw.decode(errors='replace').rstrip('\r\n')
                self.stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                err = self.stderr_text()
                self._kill()
                raise RuntimeError(f'gateway printed no listening line in {timeout}s; stdout: '
                                   f'{self.stdout_lines!r}; stderr: {err[-2000:]}')
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait()
                err = self.stderr_text()
                self._kill()
                raise RuntimeError(f'gateway exited ({rc}) before listening; stdout: {self.stdout_lines!r}; '
                                   f'stderr: {err[-2000:]}')
            m = re.match(r'^S3AccessKeyId:\s*(\S+)\s*$', line)
            if m:
                self.access_key = m.group(1)
            m = re.match(r'^S3SecretAccessKey:\s*(\S+)\s*$', line)
            if m:
                self.secret_key = m.group(1)
            m = re.match(r'^ostor-gateway: listening on (https?)://127\.0\.0\.1:(\d+)(?:\s|$)', line)
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                break
        if self._started_before:
            if any(line.startswith('S3') for line in self.stdout_lines):
                self._kill()
                raise RuntimeError(f'gateway printed keys again on an existing data directory: {self.stdout_lines!r}')
            self.access_key, self.secret_key = keys_before
        elif not (self.access_key and self.secret_key):
            self._kill()
            raise RuntimeError(f'gateway printed no system user keys on a new data directory: {self.stdout_lines!r}')
        self._started_before = True
        if len(self.access_key) != 20 or len(self.secret_key) != 40:
            self._kill()
            raise RuntimeError(f'unexpected key lengths: {self.access_key!r} / {self.secret_key!r}')
        return self

    def stop(self, timeout=30, sig=signal.SIGTERM, keep_dir=False):
        """SIGTERM (or `sig`); asserts a clean exit (status 0) and a clean stderr."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        already_dead = proc.poll()
        if already_dead is None:
            proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self._stderr.close()
            raise AssertionError(f'gateway did not stop within {timeout}s of SIGTERM; stderr: '
                                 f'{self.stderr_text()[-4000:]}')
        self._stderr.close()
        self._pump.join(timeout=5)
        proc.stdout.close()
        err = self.stderr_text()
        problems = []
        if already_dead is not None:
            problems.append(f'gateway died during the tests with status {already_dead}')
        elif rc != 0:
            problems.append(f'gateway exited with status {rc} after signal {sig}')
        if any(m in err for m in SANITIZER_MARKERS):
            problems.append('sanitizer report on stderr')
        if problems:
            raise AssertionError('; '.join(problems) + f'\n--- gateway stderr ({self.stderr_path}) ---\n'
                                 + err[-8000:])
        if not keep_dir and not os.environ.get('OSTOR_KEEP_TMP'):
            self._drop_volume()

    @property
    def own_files_dir(self):
        """Where the gateway reads its gw.conf and keeps gw-stats/: its data
        directory, or on RADOS its state directory (`root`/state)."""
        if self.data_dir.startswith('rados:'):
            return os.path.join(self.root, 'state')
        return self.data_dir

    def sharing_volume(self):
        """A second gateway on this one's RADOS volume (with its own state
        directory), as a deployment runs several: it knows the system user's
        keys, and stopping it leaves the volume alone. Not started."""
        other = Gateway(self.extra_args)
        other.data_dir = self.data_dir
        other.access_key, other.secret_key = self.access_key, self.secret_key
        other._started_before = True
        other.shares_volume = True
        return other

    def _drop_volume(self):
        shutil.rmtree(self.root, ignore_errors=True)
        if self.data_dir.startswith('rados:') and not self.shares_volume:
            remove_rados_volume(self.data_dir)

    def restart(self, sig=signal.SIGTERM):
        """Stops (checked) and starts again on the same data directory; the
        second start must print only the listening line."""
        self.stop(sig=sig, keep_dir=True)
        return self.start()

    def _kill(self):
        """After a failed start: kill, and drop the temporary directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._stderr.close()
        if not os.environ.get('OSTOR_KEEP_TMP'):
            self._drop_volume()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        try:
            with open(self.stderr_path, 'rb') as f:
                return f.read().decode(errors='replace')
        except OSError:
            return ''

    # ---- identities ----------------------------------------------------
    @property
    def host(self):
        return '127.0.0.1'

    @property
    def hostport(self):
        return f'127.0.0.1:{self.port}'

    @property
    def endpoint(self):
        return f'{self.scheme}://{self.hostport}'

    @property
    def credentials(self):
        return Credentials(self.access_key, self.secret_key)

    def create_user(self, email=None):
        """A second, non-system user made with create_user on the same volume."""
        email = email or f'user{next(self._users)}-{secrets.token_hex(3)}@example.com'
        out = subprocess.run([create_user_path(), self.data_dir, email], capture_output=True, text=True,
                             timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f'create_user failed ({out.returncode}): {out.stderr}')
        key = re.search(r'^KeyPair\[0\]:S3AccessKeyId:(\S+)$', out.stdout, re.M)
        secret = re.search(r'^KeyPair\[0\]:S3SecretAccessKey:(\S+)$', out.stdout, re.M)
        if not key or not secret:
            raise RuntimeError(f'unexpected create_user output: {out.stdout!r}')
        return Credentials(key.group(1), secret.group(1))

    # ---- boto3 ---------------------------------------------------------
    def client(self, credentials=None, signature_version='s3v4', addressing_style='path', **config):
        creds = credentials or self.credentials
        config.setdefault('connect_timeout', 10)
        config.setdefault('read_timeout', 20)
        cfg = Config(signature_version=signature_version, region_name=REGION,
                     s3={'addressing_style': addressing_style}, retries={'total_max_attempts': 1}, **config)
        return boto3.session.Session().client(
            's3', endpoint_url=self.endpoint, region_name=REGION, config=cfg, verify=self.ca_file,
            aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key)

    def anonymous_client(self):
        cfg = Config(signature_version=UNSIGNED, region_name=REGION, s3={'addressing_style': 'path'},
                     retries={'total_max_attempts': 1})
        return boto3.session.Session().client('s3', endpoint_url=self.endpoint, region_name=REGION, config=cfg)

    # ---- raw HTTP ------------------------------------------------------
    def request(self, method, path='/', query='', headers=None, body=b'', *, auth='v4', credentials=None,
                region=REGION, when=None, payload_hash=None, host=None, auth_path=None, signer_out=None,
                content_length=True, timeout=30):
        """Signs (auth='v4', 'v2' or None for anonymous) and sends one request.

        `path` is sent as given (already URI-encoded), `query` likewise.
        Headers are sent exactly as the signer left them; Content-Length is
        added for PUT/POST or a non-empty body unless one is given or
        content_length is False. `signer_out` (a list) receives the signer.
        """
        creds = credentials or self.credentials
        host = host or self.hostport
        target = path + ('?' + query if query else '')
        url = f'{self.scheme}://{host}{target}'
        hdrs = {'Host': host}
        for k, v in (headers or {}).items():
            hdrs[k] = v
        req = AWSRequest(method=method, url=url, headers=hdrs, data=body)
        if auth == 'v4':
            signer = SigV4(creds, region=region, when=when, payload_hash=payload_hash)
        elif auth == 'v2':
            signer = SigV2(creds, when=when)
            req.auth_path = auth_path
        elif auth is None:
            signer = None
        else:
            raise ValueError(auth)
        if signer is not None:
            signer.add_auth(req)
            if signer_out is not None:
                signer_out.append(signer)
        items = list(req.headers.items())
        if content_length and (body or method in ('PUT', 'POST')) and \
                not any(k.lower() == 'content-length' for k, _ in items):
            items.append(('Content-Length', str(len(body))))
        return self.send(method, target, items, body, timeout=timeout)

    def send(self, method, target, headers, body=b'', timeout=30):
        if self.scheme == 'https':
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=ssl.create_default_context(cafile=self.ca_file))
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)
            conn.endheaders()
            if body:
                conn.send(body)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.reason, r.headers, data)
        finally:
            conn.close()

    def raw_socket(self, timeout=10):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        return s

    def raw_exchange(self, data, timeout=10, shutdown_write=False):
        """Sends raw bytes on a new connection and reads the first answer:
        up to the end of the first response when it has a length, else until
        the server closes or `timeout` passes without data. Returns the bytes
        read (b'' when the server closed without answering)."""
        s = self.raw_socket(timeout)
        try:
            try:
                s.sendall(data)
                if shutdown_write:
                    s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return read_first_response(s, timeout)
        finally:
            s.close()


def _response_complete(buf):
    """True when buf holds a whole HTTP response with a Content-Length (or none needed)."""
    end = buf.find(b'\r\n\r\n')
    if end < 0:
        return False
    head = buf[:end].decode('latin-1').split('\r\n')
    parts = head[0].split()
    if len(parts) >= 2 and parts[1].isdigit() and (parts[1].startswith('1') or parts[1] in ('204', '304')):
        return True
    for line in head[1:]:
        name, _, value = line.partition(':')
        if name.strip().lower() == 'content-length' and value.strip().isdigit():
            return len(buf) - end - 4 >= int(value.strip())
    return False


def read_first_response(sock, timeout=10):
    chunks = b''
    sock.settimeout(timeout)
    try:
        while not _response_complete(chunks):
            b = sock.recv(65536)
            if not b:
                break
            chunks += b
    except (socket.timeout, ConnectionResetError):
        pass
    return chunks


def read_responses(sock, count, timeout=10):
    """Reads `count` consecutive responses with Content-Length from one
    connection: [(status, headers dict lowercased, body)]."""
    sock.settimeout(timeout)
    buf = b''
    out = []
    while len(out) < count:
        while not _response_complete(buf):
            b = sock.recv(65536)
            if not b:
                raise ConnectionError(f'connection closed after {len(out)} responses')
            buf += b
        end = buf.index(b'\r\n\r\n')
        lines = buf[:end].decode('latin-1').split('\r\n')
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get('content-length', '0'))
        out.append((int(lines[0].split()[1]), headers, buf[end + 4:end + 4 + length]))
        buf = buf[end + 4 + length:]
    return out


def read_until_close(sock, timeout=10):
    chunks = []
    sock.settimeout(timeout)
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            chunks.append(b)
    except (socket.timeout, ConnectionResetError):
        pass
    return b''.join(chunks)


def read_response(sock, timeout=10):
    """Reads one HTTP response (not a 1xx) from a raw socket; returns
    (status, headers dict lowercased, body)."""
    sock.settimeout(timeout)
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    body = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def _raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


class GatewayTestCase(unittest.TestCase):
    """Base class: one gateway per test class, stopped (and checked) at the end."""

    gateway_args = ()
    ca_file = None  # for a gateway serving HTTPS: the CA its clients verify it with
    gw = None
    s3 = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = Gateway(cls.gateway_args)
        cls.gw.ca_file = cls.ca_file
        cls.gw.start()
        # A class cleanup runs even when a subclass's setUpClass fails after this.
        cls.addClassCleanup(cls._stop_gateway)
        cls.s3 = cls.gw.client()

    @classmethod
    def _stop_gateway(cls):
        gw, cls.gw = cls.gw, None
        if gw is not None:
            gw.stop()

    # ---- helpers -------------------------------------------------------
    def new_bucket(self, client=None, prefix='t'):
        name = unique_bucket(prefix)
        (client or self.s3).create_bucket(Bucket=name)
        return name

    def put(self, bucket, key, body=b'', client=None, **kw):
        return (client or self.s3).put_object(Bucket=bucket, Key=key, Body=body, **kw)

    def get_body(self, bucket, key, client=None, **kw):
        return (client or self.s3).get_object(Bucket=bucket, Key=key, **kw)['Body'].read()

    def assertClientError(self, fn, status, code, *args, **kw):
        """fn(*args, **kw) must fail with this HTTP status and S3 error code
        (code None: HEAD answers carry no body, so only the status)."""
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        got_status, got_code = http_status(cm.exception), error_code(cm.exception)
        self.assertEqual(got_status, status, f'{cm.exception.response}')
        if code is not None:
            self.assertEqual(got_code, code, f'{cm.exception.response}')
        return cm.exception

    def assertError(self, resp, status, code):
        """A raw Response must be an S3 XML error with this status and code."""
        self.assertEqual(resp.status, status, repr(resp))
        if code is not None:
            self.assertEqual(resp.error_code, code, repr(resp))

    def assertNoObject(self, bucket, key, client=None):
        with self.assertRaises(ClientError) as cm:
            (client or self.s3).head_object(Bucket=bucket, Key=key)
        self.assertEqual(http_status(cm.exception), 404, f'{cm.exception.response}')

    def assertServing(self):
        """The gateway is still alive and answers a normal signed request."""
        self.assertTrue(self.gw.alive(), 'gateway process died')
        r = self.gw.request('GET', '/')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.xml().tag, 'ListAllMyBucketsResult')


class TwoUserTestCase(GatewayTestCase):
    """A gateway with a second user: `other` (its client, `other_creds`) next
    to the first, and both users' canonical ids (`owner_id`, `other_id`)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner_id = cls.s3.list_buckets()['Owner']['ID']
        cls.other_creds = cls.gw.create_user()
        cls.other = cls.gw.client(cls.other_creds)
        cls.other_id = cls.other.list_buckets()['Owner']['ID']


def _test_classes(module):
    """The names of `module`'s own TestCase classes that hold tests."""
    loader = unittest.defaultTestLoader
    return {name for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, unittest.TestCase) and value.__module__ == module.__name__
            and loader.loadTestsFromTestCase(value).countTestCases()}


def _run_groups_at_once(groups):
    """Runs each group of test classes in a process of its own, all at once,
    and prints each one's output whole, in the order given, then one line per
    group with its status and time. Returns the exit status: 1 if any failed."""
    named = [name for group in groups for name in group]
    defined = _test_classes(sys.modules['__main__'])
    if sorted(named) != sorted(defined):
        # A class left out would never run; one named twice would run twice.
        raise SystemExit(f'harness: the groups name {sorted(named)}, the file defines {sorted(defined)}: '
                         'each class must be in exactly one group')
    runs = []
    for group in groups:
        output = tempfile.TemporaryFile()
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, sys.argv[0], *group], stdout=output, stderr=subprocess.STDOUT)
        runs.append((group, output, started, process))
    took = {}
    while len(took) < len(runs):
        for group, _, started, process in runs:
            if id(process) not in took and process.poll() is not None:
                took[id(process)] = time.monotonic() - started
        time.sleep(0.1)
    failed = False
    summary = []
    for group, output, _, process in runs:
        status = process.returncode
        output.seek(0)
        sys.stdout.write(f'\n=== {" ".join(group)}\n')
        sys.stdout.flush()
        sys.stdout.buffer.write(output.read())
        sys.stdout.flush()
        summary.append(f'{"ok" if status == 0 else "FAIL"} {took[id(process)]:5.0f}s  {" ".join(group)}')
        failed |= status != 0
    print('\n' + '\n'.join(summary))
    return 1 if failed else 0


def main(groups_at_once=None):
    """Runs the file's tests. `groups_at_once`: lists of the file's TestCase
    class names (every class in one list), for a file whose tests mostly wait
    (a worker's passes, leases): run without arguments, each list runs in a
    process of its own, all at the same time, each class with its own gateway.
    Named classes or tests on the command line run here, one after another."""
    if groups_at_once and len(sys.argv) == 1:
        sys.exit(_run_groups_at_once(groups_at_once))
    unittest.main(verbosity=2)
