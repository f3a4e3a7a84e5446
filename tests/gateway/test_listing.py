#!/usr/bin/env python3
"""ListObjects v1 and v2: prefix, delimiter, common prefixes, marker,
start-after, continuation tokens, max-keys, encoding-type=url, empty delimiter."""

import urllib.parse

from harness import GatewayTestCase, main, query, unique_bucket

KEYS = sorted([
    'a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5',
    'b/1', 'b/2',
    'c', 'd', 'e/f/g/h',
    'photos/2024/jan.jpg', 'photos/2024/feb.jpg', 'photos/2025/mar.jpg', 'photos/index.html',
    'sp ace/x', 'plus+key', 'pct%41key', 'amp&key', 'uni/ключ',
])


class ListingTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('list')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.etags = {}
        for i, k in enumerate(KEYS):
            cls.etags[k] = cls.s3.put_object(Bucket=cls.bucket, Key=k, Body=b'x' * (i + 1))['ETag']

    # ---- expectations computed the way S3 defines them -------------------
    @staticmethod
    def expected(prefix='', delimiter='', after=''):
        contents, prefixes = [], []
        for k in KEYS:
            if not k.startswith(prefix) or k <= after:
                continue
            if delimiter:
                i = k.find(delimiter, len(prefix))
                if i >= 0:
                    cp = k[:i + len(delimiter)]
                    if cp not in prefixes and cp > after:
                        prefixes.append(cp)
                    continue
            contents.append(k)
        return contents, prefixes

    # ---- v2 --------------------------------------------------------------
    def test_v2_all(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket)
        self.assertEqual([o['Key'] for o in r['Contents']], KEYS)
        self.assertEqual(r['KeyCount'], len(KEYS))
        self.assertFalse(r['IsTruncated'])
        self.assertEqual(r['Name'], self.bucket)
        for o in r['Contents']:
            self.assertEqual(o['Size'], KEYS.index(o['Key']) + 1)
            self.assertEqual(o['ETag'], self.etags[o['Key']])
            self.assertIn('LastModified', o)
            self.assertEqual(o.get('StorageClass'), 'STANDARD')

    def test_v2_prefix_delimiter(self):
        for prefix, delim in [('', '/'), ('a/', '/'), ('a/b', '/'), ('photos/', '/'), ('photos/2024/', '/'),
                              ('a/', ''), ('', 'b'), ('zzz', '/'), ('photos/', '/20')]:
            with self.subTest(prefix=prefix, delimiter=delim):
                kw = {'Prefix': prefix}
                if delim:
                    kw['Delimiter'] = delim
                r = self.s3.list_objects_v2(Bucket=self.bucket, **kw)
                contents, prefixes = self.expected(prefix, delim)
                self.assertEqual([o['Key'] for o in r.get('Contents', [])], contents)
                self.assertEqual([p['Prefix'] for p in r.get('CommonPrefixes', [])], prefixes)
                self.assertEqual(r['KeyCount'], len(contents) + len(prefixes))
                self.assertEqual(r.get('Prefix', ''), prefix)
                if delim:
                    self.assertEqual(r['Delimiter'], delim)

    def test_v2_start_after(self):
        for after in ['a/b/3', 'b', 'c', 'zzzz', '']:
            with self.subTest(start_after=after):
                r = self.s3.list_objects_v2(Bucket=self.bucket, StartAfter=after)
                self.assertEqual([o['Key'] for o in r.get('Contents', [])], [k for k in KEYS if k > after])
        r = self.s3.list_objects_v2(Bucket=self.bucket, StartAfter='a/b/3', Delimiter='/')
        contents, prefixes = self.expected('', '/', 'a/b/3')
        self.assertEqual([o['Key'] for o in r.get('Contents', [])], contents)
        self.assertEqual([p['Prefix'] for p in r.get('CommonPrefixes', [])], prefixes)

    def test_v2_pages(self):
        for max_keys, delim, prefix in [(1, '', ''), (2, '', ''), (3, '/', ''), (2, '/', 'a/'), (1, '/', 'photos/'),
                                        (4, '/', '')]:
            with self.subTest(max_keys=max_keys, delimiter=delim, prefix=prefix):
                contents, prefixes, tokens = [], [], set()
                kw = {'Bucket': self.bucket, 'MaxKeys': max_keys, 'Prefix': prefix}
                if delim:
                    kw['Delimiter'] = delim
                pages = 0
                while True:
                    r = self.s3.list_objects_v2(**kw)
                    pages += 1
                    self.assertLessEqual(pages, 50, 'pagination does not end')
                    got = [o['Key'] for o in r.get('Contents', [])]
                    got_p = [p['Prefix'] for p in r.get('CommonPrefixes', [])]
                    self.assertLessEqual(len(got) + len(got_p), max_keys)
                    self.assertEqual(r['KeyCount'], len(got) + len(got_p))
                    self.assertEqual(r['MaxKeys'], max_keys)
                    contents += got
                    prefixes += got_p
                    if not r['IsTruncated']:
                        self.assertNotIn('NextContinuationToken', r)
                        break
                    self.assertEqual(len(got) + len(got_p), max_keys)
                    token = r['NextContinuationToken']
                    self.assertNotIn(token, tokens)
                    tokens.add(token)
                    kw['ContinuationToken'] = token
                want_c, want_p = self.expected(prefix, delim)
                self.assertEqual(contents, want_c)
                self.assertEqual(prefixes, want_p)

    def test_v2_continuation_token_echoed(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=2)
        self.assertTrue(r['IsTruncated'])
        token = r['NextContinuationToken']
        r2 = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=2, ContinuationToken=token)
        self.assertEqual(r2['ContinuationToken'], token)
        self.assertEqual([o['Key'] for o in r2['Contents']], KEYS[2:4])

    def test_v2_paginator(self):
        pages = self.s3.get_paginator('list_objects_v2').paginate(Bucket=self.bucket, PaginationConfig={'PageSize': 3})
        self.assertEqual([o['Key'] for p in pages for o in p.get('Contents', [])], KEYS)

    def test_v2_max_keys_zero(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=0)
        self.assertEqual(r.get('Contents', []), [])
        self.assertEqual(r['KeyCount'], 0)

    def test_v2_fetch_owner(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
        self.assertNotIn('Owner', r['Contents'][0])
        r = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=1, FetchOwner=True)
        self.assertTrue(r['Contents'][0]['Owner']['ID'])

    # ---- v1 --------------------------------------------------------------
    def test_v1_all(self):
        r = self.s3.list_objects(Bucket=self.bucket)
        self.assertEqual([o['Key'] for o in r['Contents']], KEYS)
        self.assertFalse(r['IsTruncated'])
        self.assertEqual(r['Contents'][0]['ETag'], self.etags[KEYS[0]])
        self.assertTrue(r['Contents'][0]['Owner']['ID'])

    def test_v1_prefix_delimiter(self):
        for prefix, delim in [('', '/'), ('a/', '/'), ('photos/', '/'), ('a', ''), ('', '1')]:
            with self.subTest(prefix=prefix, delimiter=delim):
                kw = {'Prefix': prefix}
                if delim:
                    kw['Delimiter'] = delim
                r = self.s3.list_objects(Bucket=self.bucket, **kw)
                contents, prefixes = self.expected(prefix, delim)
                self.assertEqual([o['Key'] for o in r.get('Contents', [])], contents)
                self.assertEqual([p['Prefix'] for p in r.get('CommonPrefixes', [])], prefixes)

    def test_v1_marker(self):
        for marker in ['a/b/3', 'c', 'photos/', 'zzzz']:
            with self.subTest(marker=marker):
                r = self.s3.list_objects(Bucket=self.bucket, Marker=marker)
                self.assertEqual([o['Key'] for o in r.get('Contents', [])], [k for k in KEYS if k > marker])
                self.assertEqual(r['Marker'], marker)

    def test_v1_pages(self):
        for max_keys, delim in [(1, ''), (3, ''), (2, '/'), (1, '/')]:
            with self.subTest(max_keys=max_keys, delimiter=delim):
                contents, prefixes, marker, pages = [], [], '', 0
                while True:
                    kw = {'Bucket': self.bucket, 'MaxKeys': max_keys, 'Marker': marker}
                    if delim:
                        kw['Delimiter'] = delim
                    r = self.s3.list_objects(**kw)
                    pages += 1
                    self.assertLessEqual(pages, 50, 'pagination does not end')
                    got = [o['Key'] for o in r.get('Contents', [])]
                    got_p = [p['Prefix'] for p in r.get('CommonPrefixes', [])]
                    self.assertLessEqual(len(got) + len(got_p), max_keys)
                    contents += got
                    prefixes += got_p
                    if not r['IsTruncated']:
                        break
                    if delim:
                        # NextMarker is returned when a delimiter is given.
                        marker = r['NextMarker']
                        self.assertEqual(marker, max(got + got_p))
                    else:
                        marker = r.get('NextMarker') or got[-1]
                want_c, want_p = self.expected('', delim)
                self.assertEqual(contents, want_c)
                self.assertEqual(prefixes, want_p)

    def test_v1_paginator(self):
        pages = self.s3.get_paginator('list_objects').paginate(Bucket=self.bucket, PaginationConfig={'PageSize': 4})
        self.assertEqual([o['Key'] for p in pages for o in p.get('Contents', [])], KEYS)

    # ---- raw: encoding-type=url and empty delimiter ----------------------
    def raw_list(self, params):
        r = self.gw.request('GET', '/' + self.bucket, query(params))
        self.assertEqual(r.status, 200, repr(r))
        return r.xml()

    def test_encoding_type_url(self):
        for v2 in (False, True):
            with self.subTest(v2=v2):
                params = {'encoding-type': 'url', 'delimiter': '/'}
                if v2:
                    params['list-type'] = '2'
                root = self.raw_list(params)
                self.assertEqual(root.findtext('EncodingType'), 'url')
                raw_keys = [c.findtext('Key') for c in root.findall('Contents')]
                raw_prefixes = [p.findtext('Prefix') for p in root.findall('CommonPrefixes')]
                # Clients decode with unquote_plus (botocore) / decodeURIComponent.
                for raw in raw_keys + raw_prefixes:
                    self.assertNotIn(' ', raw)
                    self.assertNotIn('&', raw)
                self.assertEqual([urllib.parse.unquote_plus(k) for k in raw_keys], self.expected('', '/')[0])
                self.assertEqual([urllib.parse.unquote_plus(p) for p in raw_prefixes], self.expected('', '/')[1])
                self.assertIn('plus%2Bkey', raw_keys)
                self.assertIn('pct%2541key', raw_keys)
        # v2 echoes Prefix and StartAfter encoded too (SDKs decode them).
        root = self.raw_list({'list-type': '2', 'encoding-type': 'url', 'prefix': 'sp ace/',
                              'start-after': 'sp ace/&'})
        self.assertEqual(root.findtext('Prefix'), 'sp%20ace/')
        self.assertEqual(root.findtext('StartAfter'), 'sp%20ace/%26')
        # v1 returns Prefix as sent, and encodes Delimiter, Marker and NextMarker.
        root = self.raw_list({'encoding-type': 'url', 'prefix': 'sp ace/', 'delimiter': ' ', 'marker': 'sp ace/&'})
        self.assertEqual(root.findtext('Prefix'), 'sp ace/')
        self.assertEqual(root.findtext('Delimiter'), '%20')
        self.assertEqual(root.findtext('Marker'), 'sp%20ace/%26')
        self.assertEqual([c.findtext('Key') for c in root.findall('Contents')], ['sp%20ace/x'])
        root = self.raw_list({'encoding-type': 'url', 'delimiter': '/', 'max-keys': '1', 'marker': 'pct'})
        self.assertEqual(root.findtext('NextMarker'), 'pct%2541key')
        # What boto3 decodes (it asks for encoding-type=url itself) comes out as sent.
        r = self.s3.list_objects(Bucket=self.bucket, Prefix='sp ace/', Delimiter='/', Marker='sp ace/&')
        self.assertEqual((r['Prefix'], r['Marker'], r['Delimiter']), ('sp ace/', 'sp ace/&', '/'))
        self.assertEqual([c['Key'] for c in r['Contents']], ['sp ace/x'])
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix='sp ace/', StartAfter='sp ace/&')
        self.assertEqual((r['Prefix'], r['StartAfter']), ('sp ace/', 'sp ace/&'))
        self.assertEqual([c['Key'] for c in r['Contents']], ['sp ace/x'])

    def test_v2_empty_continuation_token_is_the_first_page(self):
        root = self.raw_list({'list-type': '2', 'continuation-token': '', 'max-keys': '2'})
        self.assertEqual([c.findtext('Key') for c in root.findall('Contents')], KEYS[:2])
        r = self.s3.list_objects_v2(Bucket=self.bucket, ContinuationToken='', MaxKeys=2)
        self.assertEqual([o['Key'] for o in r['Contents']], KEYS[:2])
        # Echoed as sent, empty (s3-tests' test_bucket_listv2_continuationtoken_empty).
        self.assertEqual(r.get('ContinuationToken'), '')
        self.assertNotIn('ContinuationToken', self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=2))

    def test_without_encoding_type_keys_are_literal(self):
        root = self.raw_list({'list-type': '2'})
        self.assertEqual([c.findtext('Key') for c in root.findall('Contents')], KEYS)
        self.assertIsNone(root.find('EncodingType'))

    def test_boto3_odd_keys_round_trip(self):
        # boto3 asks for encoding-type=url and decodes: '+' and '%' must survive.
        for lister in (self.s3.list_objects, self.s3.list_objects_v2):
            with self.subTest(lister=lister.__name__):
                keys = [o['Key'] for o in lister(Bucket=self.bucket)['Contents']]
                self.assertIn('plus+key', keys)
                self.assertIn('pct%41key', keys)
                self.assertIn('sp ace/x', keys)
                self.assertIn('uni/ключ', keys)
                r = lister(Bucket=self.bucket, Prefix='sp ace/', Delimiter='/')
                self.assertEqual([o['Key'] for o in r['Contents']], ['sp ace/x'])
                r = lister(Bucket=self.bucket, Delimiter='/')
                self.assertIn('sp ace/', [p['Prefix'] for p in r['CommonPrefixes']])

    def test_empty_delimiter_means_none(self):
        for v2 in (False, True):
            with self.subTest(v2=v2):
                params = [('delimiter', ''), ('prefix', 'a/')]
                if v2:
                    params.append(('list-type', '2'))
                root = self.raw_list(params)
                self.assertEqual([c.findtext('Key') for c in root.findall('Contents')],
                                 [k for k in KEYS if k.startswith('a/')])
                self.assertEqual(root.findall('CommonPrefixes'), [])

    def test_list_root_element_and_namespace(self):
        r = self.gw.request('GET', '/' + self.bucket, query({'list-type': '2'}))
        self.assertIn(b'http://s3.amazonaws.com/doc/2006-03-01/', r.body)
        self.assertEqual(r.xml().tag, 'ListBucketResult')

    def test_empty_bucket(self):
        b = self.new_bucket()
        r = self.s3.list_objects_v2(Bucket=b)
        self.assertEqual(r['KeyCount'], 0)
        self.assertFalse(r['IsTruncated'])
        self.assertNotIn('Contents', r)
        r = self.s3.list_objects(Bucket=b)
        self.assertNotIn('Contents', r)


if __name__ == '__main__':
    main()
