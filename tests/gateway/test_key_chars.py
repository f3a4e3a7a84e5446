#!/usr/bin/env python3
"""Object keys and XML 1.0.

Keys must be UTF-8, and XML 1.0 cannot carry some characters at all (NUL and
the other C0 controls but TAB, LF and CR; U+FFFE, U+FFFF), not even as
character references: a listing holding them raw is rejected by any strict
parser. As AWS does for its keys, the gateway refuses such keys at write
(PutObject, CopyObject's destination, CreateMultipartUpload) with 400
InvalidArgument and stores nothing. TAB, LF and CR are allowed and written as
&#9; &#10; &#13; wherever a key appears in XML, so that parsers keep them.
A volume may still hold such keys from before they were refused (made here
by editing the metadata with lmdb-utils): a listing page that holds one is
answered percent-encoded with <EncodingType>url</EncodingType>, parses, and
the object can be read and deleted.

Every answer is parsed with Python's xml.etree (expat: strict XML 1.0)."""

import base64
import hashlib
import os
import re
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

from harness import GatewayTestCase, main, parse_xml, query, quote_key, skip_on_rados, unique_bucket

# Percent-encoded key parts no key may hold from now on.
FORBIDDEN = ['%00', '%01', '%08', '%0B', '%0C', '%1F', '%C3%28', '%ED%A0%80', '%EF%BF%BE', '%EF%BF%BF', '%FF']
# Control characters XML can carry (as character references).
ALLOWED_CONTROLS = {'tab': '\t', 'lf': '\n', 'cr': '\r', 'crlf': '\r\n'}


class KeyCharsTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('keys')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def tearDown(self):
        self.assertServing()

    def strict(self, body):
        """The body parsed by a strict XML 1.0 parser (namespaces dropped)."""
        try:
            return parse_xml(body)
        except ET.ParseError as e:
            self.fail(f'not well-formed XML ({e}): {body[:600]!r}')

    def listed_keys(self, bucket, prefix, extra=None):
        params = {'list-type': '2', 'prefix': prefix}
        params.update(extra or {})
        r = self.gw.request('GET', f'/{bucket}', query(params))
        self.assertEqual(r.status, 200, repr(r))
        root = self.strict(r.body)
        return root, [c.findtext('Key') for c in root.findall('Contents')]

    # ---- refused at write --------------------------------------------------
    def test_put_refuses_keys_xml_cannot_carry(self):
        for enc in FORBIDDEN:
            with self.subTest(key=enc):
                r = self.gw.request('PUT', f'/{self.bucket}/bad{enc}put', body=b'data')
                self.assertError(r, 400, 'InvalidArgument')
                self.strict(r.body)
                self.assertIn(b'not allowed', r.body)
        _, keys = self.listed_keys(self.bucket, 'bad')
        self.assertEqual(keys, [])

    def test_errors_naming_what_xml_cannot_carry_parse(self):
        for target in ('/bad%00bucket/k', f'/{self.bucket}/missing%00%FF%01key', '/%C3%28/%0B'):
            with self.subTest(target=target):
                r = self.gw.request('GET', target)
                self.assertGreaterEqual(r.status, 400, repr(r))
                self.assertLess(r.status, 500, repr(r))
                self.assertEqual(self.strict(r.body).tag, 'Error')

    def test_copy_refuses_destination_keys_xml_cannot_carry(self):
        self.put(self.bucket, 'copy-src', b'source')
        for enc in ('%00', '%0C', '%C3%28'):
            with self.subTest(key=enc):
                r = self.gw.request('PUT', f'/{self.bucket}/badcopy{enc}',
                                    headers={'x-amz-copy-source': f'/{self.bucket}/copy-src'})
                self.assertError(r, 400, 'InvalidArgument')
                self.strict(r.body)
        _, keys = self.listed_keys(self.bucket, 'badcopy')
        self.assertEqual(keys, [])

    def test_create_multipart_refuses_keys_xml_cannot_carry(self):
        for enc in ('%00', '%1F', '%EF%BF%BF'):
            with self.subTest(key=enc):
                r = self.gw.request('POST', f'/{self.bucket}/badmpu{enc}', 'uploads')
                self.assertError(r, 400, 'InvalidArgument')
                self.strict(r.body)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix='badmpu').get('Uploads', []), [])

    # ---- TAB, LF, CR: stored, and written as character references ------------
    def test_controls_xml_can_carry_round_trip_in_listings(self):
        names = {f'ctl-{name}-{ch}-key': ch for name, ch in ALLOWED_CONTROLS.items()}
        for key in names:
            self.put(self.bucket, key, key.encode())
        for kind in ({'list-type': '2'}, {}):
            with self.subTest(kind=kind):
                params = dict(kind, prefix='ctl-')
                r = self.gw.request('GET', f'/{self.bucket}', query(params))
                self.assertEqual(r.status, 200, repr(r))
                for ref in (b'&#9;', b'&#10;', b'&#13;'):
                    self.assertIn(ref, r.body)
                self.assertNotRegex(r.body, re.compile(b'<Key>[^<]*[\t\n\r]'))
                root = self.strict(r.body)
                self.assertIsNone(root.find('EncodingType'))
                self.assertEqual(sorted(c.findtext('Key') for c in root.findall('Contents')), sorted(names))
        # boto3 (encoding-type=url, decoded by botocore) sees them as written.
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix='ctl-')
        self.assertEqual(sorted(o['Key'] for o in listed['Contents']), sorted(names))
        for key in names:
            self.assertEqual(self.get_body(self.bucket, key), key.encode())

    def test_controls_in_multipart_answers(self):
        key = 'mpu-\r\n\t-key'
        r = self.gw.request('POST', f'/{self.bucket}/{quote_key(key)}', 'uploads')
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn(b'&#13;&#10;&#9;', r.body)
        uid = self.strict(r.body).findtext('UploadId')
        self.assertEqual(self.strict(r.body).findtext('Key'), key)
        r = self.gw.request('GET', f'/{self.bucket}', query({'uploads': None, 'prefix': 'mpu-'}))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual([u.findtext('Key') for u in self.strict(r.body).findall('Upload')], [key])
        part = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=uid, PartNumber=1, Body=b'part')
        r = self.gw.request('GET', f'/{self.bucket}/{quote_key(key)}', query({'uploadId': uid}))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.strict(r.body).findtext('Key'), key)
        body = (f'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part["ETag"]}</ETag></Part>'
                '</CompleteMultipartUpload>').encode()
        r = self.gw.request('POST', f'/{self.bucket}/{quote_key(key)}', query({'uploadId': uid}), body=body)
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn(b'&#13;&#10;&#9;', r.body)
        self.assertEqual(self.strict(r.body).findtext('Key'), key)
        self.assertEqual(self.get_body(self.bucket, key), b'part')

    def test_controls_in_delete_objects_and_errors(self):
        key = 'del-\r-\n-key'
        self.put(self.bucket, key, b'x')
        body = b'<Delete><Object><Key>del-&#13;-&#10;-key</Key></Object></Delete>'
        r = self.gw.request('POST', f'/{self.bucket}', 'delete', body=body,
                            headers={'Content-MD5': base64.b64encode(hashlib.md5(body).digest()).decode()})
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn(b'&#13;-&#10;', r.body)
        self.assertEqual([d.findtext('Key') for d in self.strict(r.body).findall('Deleted')], [key])
        r = self.gw.request('GET', f'/{self.bucket}/{quote_key(key)}')
        self.assertError(r, 404, 'NoSuchKey')
        self.assertEqual(self.strict(r.body).findtext('Key'), key)

    # ---- spaces and XML / URL special characters ----------------------------
    SPECIAL_KEYS = [' ', '  ', 'trailing ', 'trailing  \t', ' leading', 'mid  dle',
                    'q"uote', "apos'", 'amp&er', '<lt', 'gt>', 'dol$lar', 'per%cent', '%41', 'all "&\'<>$% ']

    def test_special_keys_list_copy_and_delete_exactly(self):
        bucket = self.new_bucket()
        keys = self.SPECIAL_KEYS
        for k in keys:
            self.put(bucket, k, k.encode())
        expected = sorted(keys)
        # Listed exactly: boto3 (encoding-type=url, decoded), v1 and v2, and raw XML without encoding.
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=bucket)['Contents']], expected)
        self.assertEqual([o['Key'] for o in self.s3.list_objects(Bucket=bucket)['Contents']], expected)
        for params in ({'list-type': '2'}, {}):
            with self.subTest(params=params):
                r = self.gw.request('GET', f'/{bucket}', query(params))
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual([c.findtext('Key') for c in self.strict(r.body).findall('Contents')], expected)
        for k in keys:
            with self.subTest(key=k):
                self.assertEqual(self.get_body(bucket, k), k.encode())
                r = self.s3.copy_object(Bucket=bucket, Key=k + '.copy', CopySource={'Bucket': bucket, 'Key': k})
                self.assertTrue(r['CopyObjectResult']['ETag'])
                self.assertEqual(self.get_body(bucket, k + '.copy'), k.encode())
        # DeleteObject, and DeleteObjects through boto3 and through raw XML
        # (keys taken byte for byte, the whitespace included).
        self.s3.delete_object(Bucket=bucket, Key=keys[0] + '.copy')
        r = self.s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': k + '.copy'} for k in keys[1:]]})
        self.assertEqual(r.get('Errors', []), [])
        self.assertEqual(sorted(d['Key'] for d in r['Deleted']), sorted(k + '.copy' for k in keys[1:]))
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=bucket)['Contents']], expected)
        # Only a key's exact bytes name it: ' trailing' or 'trailing' deletes nothing.
        def raw_delete(keys_xml):
            body = ('<Delete>' + ''.join(f'<Object><Key>{k}</Key></Object>' for k in keys_xml) +
                    '</Delete>').encode()
            r = self.gw.request('POST', f'/{bucket}', 'delete', body=body,
                                headers={'Content-MD5': base64.b64encode(hashlib.md5(body).digest()).decode()})
            self.assertEqual(r.status, 200, repr(r))
            return [d.findtext('Key') for d in self.strict(r.body).findall('Deleted')]
        self.assertEqual(raw_delete(['trailing', 'leading']), ['trailing', 'leading'])
        self.assertEqual([o['Key'] for o in self.s3.list_objects_v2(Bucket=bucket)['Contents']], expected)
        escaped = [k.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('\t', '&#9;')
                   for k in keys]
        self.assertEqual(raw_delete(escaped), keys)
        self.assertNotIn('Contents', self.s3.list_objects_v2(Bucket=bucket))
        self.s3.delete_bucket(Bucket=bucket)

    # ---- keys stored before they were refused ------------------------------
    def plant_legacy_keys(self, bucket, renames):
        """Adds, for each (written, legacy) pair of equal byte length, a copy of
        the empty object `written` under the key `legacy`, straight into the
        metadata (the gateway stopped meanwhile): what an older version that
        took any UTF-8 would have left."""
        meta = os.path.join(self.gw.data_dir, 'meta')
        self.gw.stop(keep_dir=True)
        try:
            dump = subprocess.run(['mdb_dump', '-s', 'objects', meta], capture_output=True, check=True).stdout.decode()
            header, _, data = dump.partition('HEADER=END\n')
            lines = data.split('DATA=END')[0].split('\n')
            pairs = [(lines[i].strip(), lines[i + 1].strip()) for i in range(0, len(lines) - 1, 2)]
            out = []
            for written, legacy in renames:
                assert len(written) == len(legacy)
                old_k = (bucket + '/').encode().hex() + written.hex()
                value = next(v for k, v in pairs if k == old_k)
                self.assertIn(written.hex(), value)
                out.append(' ' + (bucket + '/').encode().hex() + legacy.hex())
                out.append(' ' + value.replace(written.hex(), legacy.hex()))
            text = header + 'HEADER=END\n' + '\n'.join(out) + '\nDATA=END\n'
            subprocess.run(['mdb_load', '-s', 'objects', '-N', meta], input=text.encode(), capture_output=True,
                           check=True)
        finally:
            self.gw.start()
        type(self).s3 = self.gw.client()  # the new port

    @skip_on_rados('plants keys straight into the LMDB metadata (mdb_dump/mdb_load)')
    def test_legacy_keys_list_url_encoded_and_can_be_deleted(self):
        bucket = unique_bucket('legacy')
        self.s3.create_bucket(Bucket=bucket)
        # (Invalid UTF-8 was always refused at write, so no volume holds it.)
        renames = [(b'old-A-key', b'old-\x00-key'), (b'old-B-key', b'old-\x0c-key')]
        for written, _ in renames:
            self.put(bucket, written.decode(), b'')
        self.put(bucket, 'old-tab\t-key', b'')
        self.plant_legacy_keys(bucket, renames)
        legacy = [urllib.parse.quote(k, safe='/~') for _, k in renames]

        # Without encoding-type: the page parses, says it is url-encoded, and is.
        for params in ({'list-type': '2', 'prefix': 'old-'}, {'prefix': 'old-'}, {'versions': None, 'prefix': 'old-'}):
            with self.subTest(params=params):
                r = self.gw.request('GET', f'/{bucket}', query(params))
                self.assertEqual(r.status, 200, repr(r))
                root = self.strict(r.body)
                self.assertEqual(root.findtext('EncodingType'), 'url')
                keys = [c.findtext('Key') for c in root.findall('Contents') + root.findall('Version')]
                for k in legacy + ['old-A-key', 'old-tab%09-key']:
                    self.assertIn(k, keys)
        # A page without such keys is answered as before.
        root, keys = self.listed_keys(bucket, 'old-tab')
        self.assertIsNone(root.find('EncodingType'))
        self.assertEqual(keys, ['old-tab\t-key'])
        # encoding-type=url and boto3 (which decodes) see every key.
        root, keys = self.listed_keys(bucket, 'old-', {'encoding-type': 'url'})
        self.assertEqual(sorted(keys), sorted(legacy + ['old-A-key', 'old-B-key', 'old-tab%09-key']))
        # A prefix XML cannot carry echoes url-encoded too.
        r = self.gw.request('GET', f'/{bucket}', query({'list-type': '2', 'prefix': 'old-\x00'}))
        self.assertEqual(r.status, 200, repr(r))
        root = self.strict(r.body)
        self.assertEqual(root.findtext('Prefix'), 'old-%00')
        self.assertEqual([c.findtext('Key') for c in root.findall('Contents')], ['old-%00-key'])

        # The objects can be read and deleted by their raw keys; errors about them parse.
        for enc in legacy:
            with self.subTest(key=enc):
                r = self.gw.request('GET', f'/{bucket}/{enc}')
                self.assertEqual(r.status, 200, repr(r))
                r = self.gw.request('DELETE', f'/{bucket}/{enc}')
                self.assertEqual(r.status, 204, repr(r))
                r = self.gw.request('GET', f'/{bucket}/{enc}')
                self.assertError(r, 404, 'NoSuchKey')
                self.assertEqual(self.strict(r.body).findtext('Key'), enc)
        root, keys = self.listed_keys(bucket, 'old-')
        self.assertIsNone(root.find('EncodingType'))
        self.assertEqual(keys, ['old-A-key', 'old-B-key', 'old-tab\t-key'])
        # (The originals stay: the planted copies were not counted in the
        # bucket's object count, so deleting both would undercount it.)


if __name__ == '__main__':
    main()
