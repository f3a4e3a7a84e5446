#!/usr/bin/env python3
"""Browser uploads (POST Object with an HTML form): a policy signed with
SigV4 as boto3's generate_presigned_post makes it (posted with requests, as a
web page's script would) and with SigV2 by hand; success_action_status 200,
201 (PostResponse XML) and 204, success_action_redirect (303), ${filename}
in the key, the metadata, ACL and x-amz-checksum-* fields, an anonymous
upload where the bucket's ACL lets everyone write, a 20 MiB file, a
virtual-host bucket (POST /), an https Location over TLS; and every refusal
(expired policy, unmet or missing condition, bad signature, file outside
content-length-range, malformed form, no file, no key, a wrong checksum)
answered with AWS's code and storing nothing."""

import base64
import datetime
import hashlib
import hmac
import json
import shutil
import tempfile
import urllib.parse

import requests

from harness import GatewayTestCase, MiB, main, md5_hex, parse_xml
from test_tls import self_signed_certificate

BOUNDARY = '----ostorFormBoundary7MA4YWxkTrZu0gW'


def form_body(fields, data, filename='photo.jpg', boundary=BOUNDARY, close=True, after=()):
    """A multipart/form-data body: the fields in order, then the file, then `after` fields."""
    out = []
    for name, value in fields:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() +
                   value.encode() + b'\r\n')
    out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
               f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b'\r\n')
    for name, value in after:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() +
                   value.encode() + b'\r\n')
    if close:
        out.append(f'--{boundary}--\r\n'.encode())
    return b''.join(out)


def expiration(seconds):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return when.strftime('%Y-%m-%dT%H:%M:%S.000Z')


class PostObjectTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.creds = cls.gw.credentials

    # ---- helpers -------------------------------------------------------
    def post(self, bucket, fields, data=b'hello', **kw):
        body = kw.pop('body', None)
        if body is None:
            body = form_body(fields, data, **kw)
        headers = [('Host', self.gw.hostport), ('Content-Type', f'multipart/form-data; boundary={BOUNDARY}'),
                   ('Content-Length', str(len(body)))]
        return self.gw.send('POST', '/' + bucket, headers, body, timeout=120)

    def v2_fields(self, bucket, key, conditions=(), extra=(), expires_in=3600, secret=None, policy=None):
        """Fields signed with SigV2: the key, `extra` fields, and a policy naming
        the bucket, the key and `conditions` (or `policy`, as given)."""
        if policy is None:
            policy = {'expiration': expiration(expires_in),
                      'conditions': [{'bucket': bucket}, ['eq', '$key', key]] + list(conditions)}
        policy_b64 = base64.b64encode(json.dumps(policy).encode()).decode()
        secret = secret or self.creds.secret_key
        signature = base64.b64encode(hmac.new(secret.encode(), policy_b64.encode(), hashlib.sha1).digest()).decode()
        return [('key', key)] + list(extra) + [('AWSAccessKeyId', self.creds.access_key), ('policy', policy_b64),
                                              ('signature', signature)]

    def v4_fields(self, bucket, key, fields=None, conditions=None):
        post = self.s3.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=600)
        return list(post['fields'].items())

    def assertRefused(self, resp, status, code, bucket, key, message=None):
        self.assertEqual(resp.status, status, repr(resp))
        self.assertEqual(resp.error_code, code, repr(resp))
        if message is not None:
            self.assertEqual(resp.xml().findtext('Message'), message)
        self.assertNoObject(bucket, key)

    # ---- uploads -------------------------------------------------------
    def test_presigned_post_from_boto3_with_requests(self):
        bucket = self.new_bucket()
        post = self.s3.generate_presigned_post(bucket, 'docs/report.txt', ExpiresIn=600)
        self.assertTrue(post['url'].endswith('/' + bucket), post['url'])
        r = requests.post(post['url'], data=post['fields'], files={'file': ('report.txt', b'quarterly numbers')},
                          timeout=30, allow_redirects=False)
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(r.headers['ETag'], '"%s"' % md5_hex(b'quarterly numbers'))
        self.assertTrue(r.headers['Location'].endswith(f'/{bucket}/docs/report.txt'), r.headers['Location'])
        self.assertEqual(self.get_body(bucket, 'docs/report.txt'), b'quarterly numbers')

    def test_success_action_status_200_and_201(self):
        bucket = self.new_bucket()
        r = self.post(bucket, self.v4_fields(bucket, 'a', {'success_action_status': '200'},
                                             [{'success_action_status': '200'}]), b'two hundred')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'')
        r = self.post(bucket, self.v4_fields(bucket, 'b c', {'success_action_status': '201'},
                                             [{'success_action_status': '201'}]), b'created')
        self.assertEqual(r.status, 201, repr(r))
        doc = parse_xml(r.body)
        self.assertEqual(doc.tag, 'PostResponse')
        self.assertEqual(doc.findtext('Bucket'), bucket)
        self.assertEqual(doc.findtext('Key'), 'b c')
        self.assertEqual(doc.findtext('ETag'), '"%s"' % md5_hex(b'created'))
        self.assertTrue(doc.findtext('Location').endswith(f'/{bucket}/b%20c'), doc.findtext('Location'))
        self.assertEqual(self.get_body(bucket, 'b c'), b'created')
        # Any other value answers the default, 204.
        r = self.post(bucket, self.v4_fields(bucket, 'd', {'success_action_status': '302'},
                                             [{'success_action_status': '302'}]))
        self.assertEqual(r.status, 204, repr(r))

    def test_success_action_redirect(self):
        bucket = self.new_bucket()
        url = 'https://app.example.com/done?from=form'
        fields = self.v4_fields(bucket, 'k/r.txt', {'success_action_redirect': url},
                                [{'success_action_redirect': url}])
        r = self.post(bucket, fields, b'redirected')
        self.assertEqual(r.status, 303, repr(r))
        location = r.header('Location')
        self.assertTrue(location.startswith(url + '&'), location)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        self.assertEqual(q, {'from': 'form', 'bucket': bucket, 'key': 'k/r.txt',
                             'etag': '"%s"' % md5_hex(b'redirected')})
        self.assertEqual(self.get_body(bucket, 'k/r.txt'), b'redirected')

    def test_filename_substitution(self):
        bucket = self.new_bucket()
        fields = self.v4_fields(bucket, 'uploads/${filename}')
        r = self.post(bucket, fields, b'a cat', filename='cat.png')
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.get_body(bucket, 'uploads/cat.png'), b'a cat')
        self.assertNoObject(bucket, 'uploads/${filename}')

    def test_metadata_acl_and_content_type_fields(self):
        bucket = self.new_bucket()
        fields = {'Content-Type': 'image/png', 'x-amz-meta-color': 'blue', 'acl': 'public-read',
                  'Cache-Control': 'max-age=60'}
        conditions = [{'Content-Type': 'image/png'}, ['starts-with', '$x-amz-meta-color', ''],
                      {'acl': 'public-read'}, ['eq', '$Cache-Control', 'max-age=60']]
        r = self.post(bucket, self.v4_fields(bucket, 'pic.png', fields, conditions), b'\x89PNG')
        self.assertEqual(r.status, 204, repr(r))
        head = self.s3.head_object(Bucket=bucket, Key='pic.png')
        self.assertEqual(head['ContentType'], 'image/png')
        self.assertEqual(head['Metadata'], {'color': 'blue'})
        self.assertEqual(head['CacheControl'], 'max-age=60')
        anon = self.gw.request('GET', f'/{bucket}/pic.png', auth=None)
        self.assertEqual((anon.status, anon.body), (200, b'\x89PNG'))

    def test_tagging_field(self):
        bucket = self.new_bucket()
        tagging = ('<Tagging><TagSet><Tag><Key>0</Key><Value>zero</Value></Tag>'
                   '<Tag><Key>1</Key><Value>one</Value></Tag></TagSet></Tagging>')
        r = self.post(bucket, self.v2_fields(bucket, 'tagged', [['starts-with', '$tagging', '']],
                                             [('tagging', tagging)]), b'tagged')
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.s3.get_object_tagging(Bucket=bucket, Key='tagged')['TagSet'],
                         [{'Key': '0', 'Value': 'zero'}, {'Key': '1', 'Value': 'one'}])
        # A tagging field that is no <Tagging> document stores nothing.
        r = self.post(bucket, self.v2_fields(bucket, 'untagged', [['starts-with', '$tagging', '']],
                                             [('tagging', 'k=v')]), b'x')
        self.assertRefused(r, 400, 'MalformedXML', bucket, 'untagged')

    def test_sigv2_policy(self):
        bucket = self.new_bucket()
        r = self.post(bucket, self.v2_fields(bucket, 'v2.txt', [['content-length-range', 1, 100]]), b'signed v2')
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.get_body(bucket, 'v2.txt'), b'signed v2')

    def test_fields_after_the_file_are_ignored(self):
        bucket = self.new_bucket()
        r = self.post(bucket, self.v2_fields(bucket, 'late.txt'), b'late', after=[('x-amz-meta-late', 'x')])
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='late.txt')['Metadata'], {})

    def test_anonymous_upload_to_a_bucket_everyone_may_write(self):
        bucket = self.new_bucket()
        r = self.post(bucket, [('key', 'anon.txt')], b'from anyone')
        self.assertRefused(r, 403, 'AccessDenied', bucket, 'anon.txt')
        self.s3.put_bucket_acl(Bucket=bucket, ACL='public-read-write')
        r = self.post(bucket, [('key', 'anon.txt')], b'from anyone')
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.get_body(bucket, 'anon.txt'), b'from anyone')

    def test_a_20_mib_file_streams(self):
        bucket = self.new_bucket()
        data = hashlib.sha256(b'seed').digest() * (20 * MiB // 32)
        fields = self.v4_fields(bucket, 'big.bin', conditions=[['content-length-range', 1, 21 * MiB]])
        r = self.post(bucket, fields, data)
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(r.header('ETag'), '"%s"' % md5_hex(data))
        got = self.get_body(bucket, 'big.bin')
        self.assertEqual(len(got), len(data))
        self.assertEqual(md5_hex(got), md5_hex(data))

    def test_checksum_field_is_verified_and_stored(self):
        bucket = self.new_bucket()
        data = b'checked contents'
        good = base64.b64encode(hashlib.sha256(data).digest()).decode()
        fields = self.v2_fields(bucket, 'sum.txt', [['starts-with', '$x-amz-checksum-sha256', '']],
                                extra=[('x-amz-checksum-sha256', good)])
        r = self.post(bucket, fields, data)
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(r.header('x-amz-checksum-sha256'), good)
        head = self.s3.head_object(Bucket=bucket, Key='sum.txt', ChecksumMode='ENABLED')
        self.assertEqual(head['ChecksumSHA256'], good)
        bad = base64.b64encode(hashlib.sha256(b'other').digest()).decode()
        fields = self.v2_fields(bucket, 'badsum.txt', [['starts-with', '$x-amz-checksum-sha256', '']],
                                extra=[('x-amz-checksum-sha256', bad)])
        self.assertRefused(self.post(bucket, fields, data), 400, 'BadDigest', bucket, 'badsum.txt')

    # ---- refusals: each stores nothing ---------------------------------
    def test_expired_policy(self):
        bucket = self.new_bucket()
        r = self.post(bucket, self.v2_fields(bucket, 'old.txt', expires_in=-60))
        self.assertRefused(r, 403, 'AccessDenied', bucket, 'old.txt', 'Invalid according to Policy: Policy expired.')

    def test_unmet_condition(self):
        bucket = self.new_bucket()
        fields = self.v4_fields(bucket, 'x', conditions=[['starts-with', '$key', 'uploads/']])
        fields = [(n, 'elsewhere/x' if n == 'key' else v) for n, v in fields]
        r = self.post(bucket, fields)
        self.assertRefused(r, 403, 'AccessDenied', bucket, 'elsewhere/x',
                           'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]')
        # The policy names another bucket.
        other = self.new_bucket()
        r = self.post(other, self.v2_fields(bucket, 'y'))
        self.assertRefused(r, 403, 'AccessDenied', other, 'y')
        self.assertIn('["eq", "$bucket", "%s"]' % bucket, r.xml().findtext('Message'))

    def test_field_not_in_the_policy(self):
        bucket = self.new_bucket()
        fields = self.v2_fields(bucket, 'extra.txt', extra=[('x-amz-meta-sneaky', '1'), ('x-ignore-this', 'ok')])
        r = self.post(bucket, fields)
        self.assertRefused(r, 403, 'AccessDenied', bucket, 'extra.txt',
                           'Invalid according to Policy: Extra input fields: x-amz-meta-sneaky')

    def test_bad_signatures(self):
        bucket = self.new_bucket()
        r = self.post(bucket, self.v2_fields(bucket, 'sig.txt', secret='not-the-secret-key-at-all-0000000000000'))
        self.assertRefused(r, 403, 'SignatureDoesNotMatch', bucket, 'sig.txt')
        # A policy changed after signing (here: its key condition).
        fields = self.v4_fields(bucket, 'sig4.txt')
        policy = json.loads(base64.b64decode(dict(fields)['policy']))
        policy['conditions'] = [c for c in policy['conditions'] if not (isinstance(c, dict) and 'key' in c)]
        policy['conditions'].append(['starts-with', '$key', ''])
        tampered = base64.b64encode(json.dumps(policy).encode()).decode()
        r = self.post(bucket, [(n, tampered if n == 'policy' else v) for n, v in fields])
        self.assertRefused(r, 403, 'SignatureDoesNotMatch', bucket, 'sig4.txt')
        fields = [(n, '0' * 64 if n == 'x-amz-signature' else v) for n, v in self.v4_fields(bucket, 'sig4.txt')]
        r = self.post(bucket, fields)
        self.assertRefused(r, 403, 'SignatureDoesNotMatch', bucket, 'sig4.txt')

    def test_file_outside_content_length_range(self):
        bucket = self.new_bucket()
        fields = self.v2_fields(bucket, 'size.txt', [['content-length-range', 5, 10]])
        self.assertRefused(self.post(bucket, fields, b'x' * 11), 400, 'EntityTooLarge', bucket, 'size.txt')
        self.assertRefused(self.post(bucket, fields, b'x' * 4), 400, 'EntityTooSmall', bucket, 'size.txt')
        self.assertEqual(self.post(bucket, fields, b'x' * 10).status, 204)

    def test_malformed_forms(self):
        bucket = self.new_bucket()
        fields = self.v2_fields(bucket, 'm.txt')
        # The body ends inside the file: no closing boundary.
        r = self.post(bucket, fields, body=form_body(fields, b'cut short', close=False)[:-2])
        self.assertRefused(r, 400, 'MalformedPOSTRequest', bucket, 'm.txt')
        r = self.post(bucket, fields, body=b'this is not a form at all')
        self.assertRefused(r, 400, 'MalformedPOSTRequest', bucket, 'm.txt')
        # A multipart/form-data type without its boundary.
        body = form_body(fields, b'x')
        r = self.gw.send('POST', '/' + bucket, [('Host', self.gw.hostport), ('Content-Type', 'multipart/form-data'),
                                                ('Content-Length', str(len(body)))], body)
        self.assertRefused(r, 400, 'MalformedPOSTRequest', bucket, 'm.txt')
        # Policy text that is not JSON, correctly signed.
        bad = base64.b64encode(b'{"expiration": ').decode()
        sig = base64.b64encode(hmac.new(self.creds.secret_key.encode(), bad.encode(), hashlib.sha1).digest()).decode()
        r = self.post(bucket, [('key', 'm.txt'), ('AWSAccessKeyId', self.creds.access_key), ('policy', bad),
                               ('signature', sig)])
        self.assertRefused(r, 400, 'InvalidPolicyDocument', bucket, 'm.txt')

    def test_missing_fields(self):
        bucket = self.new_bucket()
        fields = self.v2_fields(bucket, 'f.txt')
        body = b''.join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
                        for n, v in fields) + f'--{BOUNDARY}--\r\n'.encode()
        r = self.post(bucket, fields, body=body)
        self.assertRefused(r, 400, 'InvalidArgument', bucket, 'f.txt',
                           'POST requires exactly one file upload per request.')
        r = self.post(bucket, [(n, v) for n, v in fields if n != 'key'])
        self.assertEqual((r.status, r.error_code), (400, 'InvalidArgument'), repr(r))
        # A signature without the policy it signs.
        r = self.post(bucket, [(n, v) for n, v in fields if n != 'policy'])
        self.assertRefused(r, 400, 'InvalidArgument', bucket, 'f.txt')

    def test_another_users_key_cannot_write_a_private_bucket(self):
        bucket = self.new_bucket()
        other = self.gw.create_user()
        policy = {'expiration': expiration(600), 'conditions': [{'bucket': bucket}, {'key': 'o.txt'}]}
        policy_b64 = base64.b64encode(json.dumps(policy).encode()).decode()
        sig = base64.b64encode(hmac.new(other.secret_key.encode(), policy_b64.encode(), hashlib.sha1).digest())
        r = self.post(bucket, [('key', 'o.txt'), ('AWSAccessKeyId', other.access_key), ('policy', policy_b64),
                               ('signature', sig.decode())])
        self.assertRefused(r, 403, 'AccessDenied', bucket, 'o.txt')

    def test_a_bucket_post_that_is_not_a_form_is_a_failed_precondition(self):
        bucket = self.new_bucket()
        r = self.gw.request('POST', '/' + bucket, headers={'Content-Type': 'application/xml'}, body=b'<x/>')
        self.assertEqual((r.status, r.error_code), (412, 'PreconditionFailed'), repr(r))
        self.assertEqual(r.xml().findtext('Condition'), 'Bucket POST must be of the enclosure-type multipart/form-data')
        self.assertServing()

    def test_control_characters_in_stored_or_echoed_fields_are_refused(self):
        bucket = self.new_bucket()
        cases = [('Content-Type', 'image/png\r\nSet-Cookie: sid=attacker'),
                 ('x-amz-meta-note', 'a\nb'),
                 ('Cache-Control', 'max-age=60\x00'),
                 ('Content-Disposition', 'inline\x7f'),
                 ('Content-Encoding', 'gzip\x01'),
                 ('Expires', 'Thu, 01 Dec 2094 16:00:00 GMT\r'),
                 ('success_action_redirect', 'http://x/\r\nSet-Cookie: a=b'),
                 ('redirect', 'http://x/\nLocation: http://evil/')]
        for i, (name, value) in enumerate(cases):
            key = f'injected{i}'
            # The policy allows any value: the refusal is the value's own.
            fields = self.v2_fields(bucket, key, [['starts-with', '$' + name, '']], extra=[(name, value)])
            self.assertRefused(self.post(bucket, fields), 400, 'InvalidArgument', bucket, key)
        # A metadata name must be a header name (no ':' or space).
        name = 'x-amz-meta-a: b'
        fields = self.v2_fields(bucket, 'badname', [['starts-with', '$' + name, '']], extra=[(name, 'v')])
        self.assertRefused(self.post(bucket, fields), 400, 'InvalidArgument', bucket, 'badname')
        # A tab is a header value's character: kept.
        fields = self.v2_fields(bucket, 'tab', [['starts-with', '$x-amz-meta-note', '']],
                                extra=[('x-amz-meta-note', 'a\tb')])
        self.assertEqual(self.post(bucket, fields).status, 204)
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='tab')['Metadata'], {'note': 'a\tb'})

    def test_non_ascii_metadata_fields_are_stored_as_text_and_sent_back_rfc2047(self):
        bucket = self.new_bucket()
        word = '=?UTF-8?B?' + base64.b64encode('Grüße'.encode()).decode() + '?='
        for key, value in (('raw', 'Grüße'), ('q', '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?='), ('b', word)):
            fields = self.v2_fields(bucket, key, [['starts-with', '$x-amz-meta-note', '']],
                                    extra=[('x-amz-meta-note', value)])
            self.assertEqual(self.post(bucket, fields).status, 204, key)
            self.assertEqual(self.s3.head_object(Bucket=bucket, Key=key)['Metadata'], {'note': word}, key)

    def test_content_md5_field(self):
        bucket = self.new_bucket()
        data = b'md5 checked'
        good = base64.b64encode(hashlib.md5(data).digest()).decode()
        cond = [['starts-with', '$Content-MD5', '']]
        r = self.post(bucket, self.v2_fields(bucket, 'ok.txt', cond, extra=[('Content-MD5', good)]), data)
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(self.get_body(bucket, 'ok.txt'), data)
        wrong = base64.b64encode(hashlib.md5(b'other').digest()).decode()
        r = self.post(bucket, self.v2_fields(bucket, 'wrong.txt', cond, extra=[('Content-MD5', wrong)]), data)
        self.assertRefused(r, 400, 'BadDigest', bucket, 'wrong.txt')
        for i, bad in enumerate(['not base64!', base64.b64encode(b'short').decode()]):
            r = self.post(bucket, self.v2_fields(bucket, f'bad{i}', cond, extra=[('Content-MD5', bad)]), data)
            self.assertRefused(r, 400, 'InvalidDigest', bucket, f'bad{i}')

    def test_checksum_field_of_the_wrong_length_is_invalid(self):
        bucket = self.new_bucket()
        fields = self.v2_fields(bucket, 'c.txt', [['starts-with', '$x-amz-checksum-sha256', '']],
                                extra=[('x-amz-checksum-sha256', base64.b64encode(b'1234').decode())])
        self.assertRefused(self.post(bucket, fields), 400, 'InvalidRequest', bucket, 'c.txt')

    def test_filename_is_its_last_path_segment_in_every_field(self):
        bucket = self.new_bucket()
        cond = [['starts-with', '$Content-Disposition', 'attachment']]
        extra = [('Content-Disposition', 'attachment; filename="${filename}"')]
        for sent in ['C:\\Users\\bob\\cat.jpg', '../../etc/cat.jpg']:
            fields = self.v4_fields(bucket, 'uploads/${filename}', dict(extra), cond)
            r = self.post(bucket, fields, b'a cat', filename=sent)
            self.assertEqual(r.status, 204, repr(r))
            head = self.s3.head_object(Bucket=bucket, Key='uploads/cat.jpg')
            self.assertEqual(head['ContentDisposition'], 'attachment; filename="cat.jpg"')
            self.s3.delete_object(Bucket=bucket, Key='uploads/cat.jpg')

    def test_parts_after_the_file_are_bounded(self):
        bucket = self.new_bucket()
        fields = self.v2_fields(bucket, 'tail.txt')
        r = self.post(bucket, fields, b'data', after=[('x-ignore-pad', 'p' * (2 * MiB))])
        self.assertRefused(r, 400, 'MalformedPOSTRequest', bucket, 'tail.txt')



class VirtualHostPostTests(GatewayTestCase):
    """POST / on a bucket named by the Host header (--domain)."""

    gateway_args = ('--domain', 'ostor.test')

    def test_post_to_a_virtual_host_bucket(self):
        bucket = self.new_bucket()
        creds = self.gw.credentials
        policy = {'expiration': expiration(600), 'conditions': [{'bucket': bucket}, {'key': 'vh.txt'},
                                                                {'success_action_status': '201'}]}
        policy_b64 = base64.b64encode(json.dumps(policy).encode()).decode()
        sig = base64.b64encode(hmac.new(creds.secret_key.encode(), policy_b64.encode(), hashlib.sha1).digest())
        body = form_body([('key', 'vh.txt'), ('success_action_status', '201'), ('AWSAccessKeyId', creds.access_key),
                          ('policy', policy_b64), ('signature', sig.decode())], b'virtual host')
        host = f'{bucket}.ostor.test:{self.gw.port}'
        r = self.gw.send('POST', '/', [('Host', host), ('Content-Type', f'multipart/form-data; boundary={BOUNDARY}'),
                                       ('Content-Length', str(len(body)))], body)
        self.assertEqual(r.status, 201, repr(r))
        self.assertEqual(parse_xml(r.body).findtext('Location'), f'http://{host}/vh.txt')
        self.assertEqual(self.get_body(bucket, 'vh.txt'), b'virtual host')


class TlsPostTests(GatewayTestCase):
    """Over HTTPS the object's Location is an https URL."""

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.mkdtemp(prefix='ostor-post-tls-')
        cls.addClassCleanup(shutil.rmtree, cls.cert_dir, ignore_errors=True)
        cls.ca_file, key = self_signed_certificate(cls.cert_dir)
        cls.gateway_args = ('--tls-cert', cls.ca_file, '--tls-key', key)
        super().setUpClass()

    def test_location_is_https(self):
        bucket = self.new_bucket()
        post = self.s3.generate_presigned_post(bucket, 'secure.txt', ExpiresIn=600)
        self.assertTrue(post['url'].startswith('https://'), post['url'])
        r = requests.post(post['url'], data=post['fields'], files={'file': ('s.txt', b'over tls')},
                          verify=self.ca_file, timeout=30)
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(r.headers['Location'], f'https://{self.gw.hostport}/{bucket}/secure.txt')
        self.assertEqual(self.get_body(bucket, 'secure.txt'), b'over tls')

if __name__ == '__main__':
    main()
