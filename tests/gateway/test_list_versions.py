#!/usr/bin/env python3
"""ListObjectVersions (GET /bucket?versions): the ListVersionsResult document
as AWS shapes it, null versions of an unversioned bucket, paging by
key-marker and version-id-marker at every max-keys, delimiter and prefix,
encoding-type=url, the refusals; and, on a versioned bucket, versions and
delete markers interleaved newest first with IsLatest."""

from harness import GatewayTestCase, main, parse_xml, query, unique_bucket

KEYS = sorted(['a', 'b/1', 'b/2', 'b/c/3', 'c d', 'plus+key', 'pct%41', 'uni/ключ', 'z'])

VERSION_FIELDS = ['Key', 'VersionId', 'IsLatest', 'LastModified', 'ETag', 'Size', 'StorageClass', 'Owner']
MARKER_FIELDS = ['Key', 'VersionId', 'IsLatest', 'LastModified', 'Owner']


class ListVersionsTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('lv')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.etags = {}
        for i, k in enumerate(KEYS):
            cls.etags[k] = cls.s3.put_object(Bucket=cls.bucket, Key=k, Body=b'x' * (i + 1))['ETag']

    def raw(self, bucket, params):
        r = self.gw.request('GET', '/' + bucket, query([('versions', None)] + list(params.items())))
        self.assertEqual(r.status, 200, repr(r))
        return parse_xml(r.body)

    def pages(self, bucket, max_keys, **kw):
        """Every page, each resumed at the markers the one before returned."""
        out = []
        marker = {}
        while True:
            r = self.s3.list_object_versions(Bucket=bucket, MaxKeys=max_keys, **marker, **kw)
            out.append(r)
            if not r['IsTruncated']:
                self.assertNotIn('NextKeyMarker', r)
                return out
            self.assertLessEqual(len(out), 100)
            marker = {'KeyMarker': r['NextKeyMarker']}
            if 'NextVersionIdMarker' in r:
                marker['VersionIdMarker'] = r['NextVersionIdMarker']

    def test_null_versions_of_an_unversioned_bucket(self):
        r = self.s3.list_object_versions(Bucket=self.bucket)
        self.assertFalse(r['IsTruncated'])
        self.assertEqual(r['Name'], self.bucket)
        self.assertEqual(r['MaxKeys'], 1000)
        self.assertEqual([v['Key'] for v in r['Versions']], KEYS)
        self.assertNotIn('DeleteMarkers', r)
        for i, v in enumerate(r['Versions']):
            self.assertEqual(v['VersionId'], 'null')
            self.assertTrue(v['IsLatest'])
            self.assertEqual(v['ETag'], self.etags[v['Key']])
            self.assertEqual(v['Size'], i + 1)
            self.assertEqual(v['StorageClass'], 'STANDARD')
            self.assertIn('ID', v['Owner'])

    def test_pages_at_every_max_keys(self):
        for max_keys in range(1, len(KEYS) + 2):
            with self.subTest(max_keys=max_keys):
                pages = self.pages(self.bucket, max_keys)
                self.assertEqual([v['Key'] for p in pages for v in p.get('Versions', [])], KEYS)
                for p in pages[:-1]:
                    self.assertEqual(len(p['Versions']), max_keys)
                    self.assertEqual(p['NextKeyMarker'], p['Versions'][-1]['Key'])
                    self.assertEqual(p['NextVersionIdMarker'], 'null')
                self.assertEqual(len(pages), max(1, -(-len(KEYS) // max_keys)))

    def test_key_marker_alone_and_with_null(self):
        for kw in ({'KeyMarker': 'b/2'}, {'KeyMarker': 'b/2', 'VersionIdMarker': 'null'}):
            with self.subTest(**kw):
                r = self.s3.list_object_versions(Bucket=self.bucket, **kw)
                self.assertEqual([v['Key'] for v in r['Versions']], [k for k in KEYS if k > 'b/2'])
                self.assertEqual(r['KeyMarker'], 'b/2')
                self.assertEqual(r.get('VersionIdMarker', ''), kw.get('VersionIdMarker', ''))

    def test_prefix_and_delimiter(self):
        r = self.s3.list_object_versions(Bucket=self.bucket, Delimiter='/')
        self.assertEqual([v['Key'] for v in r['Versions']], ['a', 'c d', 'pct%41', 'plus+key', 'z'])
        self.assertEqual([p['Prefix'] for p in r['CommonPrefixes']], ['b/', 'uni/'])
        self.assertEqual(r['Delimiter'], '/')
        r = self.s3.list_object_versions(Bucket=self.bucket, Prefix='b/', Delimiter='/')
        self.assertEqual([v['Key'] for v in r['Versions']], ['b/1', 'b/2'])
        self.assertEqual([p['Prefix'] for p in r['CommonPrefixes']], ['b/c/'])
        self.assertEqual(r['Prefix'], 'b/')
        # A common prefix counts one against max-keys, and a page ending on
        # one resumes after the whole group, with no version id marker.
        pages = self.pages(self.bucket, 1, Delimiter='/')
        self.assertEqual(len(pages), 7)
        ends = [(p.get('NextKeyMarker'), p.get('NextVersionIdMarker')) for p in pages[:-1]]
        self.assertEqual(ends, [('a', 'null'), ('b/', None), ('c d', 'null'), ('pct%41', 'null'),
                                ('plus+key', 'null'), ('uni/', None)])
        self.assertEqual([p['Prefix'] for page in pages for p in page.get('CommonPrefixes', [])], ['b/', 'uni/'])

    def test_document_shape(self):
        root = self.raw(self.bucket, {'max-keys': '2', 'key-marker': 'a'})
        self.assertEqual(root.tag, 'ListVersionsResult')
        self.assertEqual([c.tag for c in root],
                         ['Name', 'Prefix', 'KeyMarker', 'VersionIdMarker', 'NextKeyMarker', 'NextVersionIdMarker',
                          'MaxKeys', 'IsTruncated', 'Version', 'Version'])
        self.assertEqual(root.findtext('KeyMarker'), 'a')
        self.assertEqual(root.findtext('NextKeyMarker'), 'b/2')
        self.assertEqual(root.findtext('NextVersionIdMarker'), 'null')
        self.assertEqual(root.findtext('IsTruncated'), 'true')
        version = root.find('Version')
        self.assertEqual([c.tag for c in version], VERSION_FIELDS)
        self.assertEqual(version.findtext('VersionId'), 'null')
        self.assertEqual(version.findtext('IsLatest'), 'true')
        self.assertEqual(version.findtext('ETag'), self.etags['b/1'])

    def test_encoding_type_url(self):
        root = self.raw(self.bucket, {'encoding-type': 'url', 'prefix': 'c d', 'key-marker': 'c',
                                      'delimiter': ' '})
        self.assertEqual(root.findtext('EncodingType'), 'url')
        self.assertEqual(root.findtext('Prefix'), 'c%20d')
        self.assertEqual(root.findtext('KeyMarker'), 'c')
        self.assertEqual(root.findtext('Delimiter'), '%20')
        self.assertEqual([v.findtext('Key') for v in root.findall('Version')], ['c%20d'])
        root = self.raw(self.bucket, {'encoding-type': 'url', 'max-keys': '1', 'key-marker': 'plus+key'})
        self.assertEqual([v.findtext('Key') for v in root.findall('Version')], ['uni/%D0%BA%D0%BB%D1%8E%D1%87'])
        self.assertEqual(root.findtext('KeyMarker'), 'plus%2Bkey')
        self.assertEqual(root.findtext('NextKeyMarker'), 'uni/%D0%BA%D0%BB%D1%8E%D1%87')
        # boto3 asks for url encoding itself and decodes: every key, marker
        # and prefix comes back as written.
        r = self.s3.list_object_versions(Bucket=self.bucket, KeyMarker='c d', Prefix='', MaxKeys=3)
        self.assertEqual([v['Key'] for v in r['Versions']], ['pct%41', 'plus+key', 'uni/ключ'])
        self.assertEqual((r['KeyMarker'], r['NextKeyMarker']), ('c d', 'uni/ключ'))
        # Without it, keys are literal.
        root = self.raw(self.bucket, {'prefix': 'p'})
        self.assertIsNone(root.find('EncodingType'))
        self.assertEqual([v.findtext('Key') for v in root.findall('Version')], ['pct%41', 'plus+key'])

    def test_refusals(self):
        for params, code in [({'version-id-marker': 'null'}, 'InvalidArgument'),
                             ({'key-marker': 'a', 'version-id-marker': 'not-a-version'}, 'InvalidArgument'),
                             ({'max-keys': 'many'}, 'InvalidArgument'),
                             ({'encoding-type': 'base64'}, 'InvalidArgument')]:
            with self.subTest(params=params):
                r = self.gw.request('GET', '/' + self.bucket, query([('versions', None)] + list(params.items())))
                self.assertError(r, 400, code)
        r = self.gw.request('GET', '/' + self.bucket, query({'versions': None, 'version-id-marker': 'null'}))
        self.assertIn(b'A version-id marker cannot be specified without a key marker', r.body)
        self.assertClientError(self.s3.list_object_versions, 404, 'NoSuchBucket', Bucket='lv-no-such-bucket')


class VersionedBucketTests(GatewayTestCase):
    """PUT and DELETE in a versioned bucket make versions and markers."""

    def test_versions_and_markers_newest_first(self):
        bucket = self.new_bucket(prefix='lvv')
        self.put(bucket, 'k', b'null one')  # before versioning: the null version
        self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
        self.put(bucket, 'k', b'second')
        self.put(bucket, 'k', b'third!')
        self.s3.delete_object(Bucket=bucket, Key='k')  # a marker, the latest
        self.put(bucket, 'j', b'jj')
        self.s3.delete_object(Bucket=bucket, Key='j')
        self.put(bucket, 'j', b'jjj')  # a marker between two versions
        self.put(bucket, 'm', b'm')

        r = self.s3.list_object_versions(Bucket=bucket)
        versions = [(v['Key'], v['Size'], v['IsLatest']) for v in r['Versions']]
        self.assertEqual(versions, [('j', 3, True), ('j', 2, False), ('k', 6, False), ('k', 6, False),
                                    ('k', 8, False), ('m', 1, True)])
        self.assertEqual([(d['Key'], d['IsLatest']) for d in r['DeleteMarkers']], [('j', False), ('k', True)])
        ids = [v['VersionId'] for v in r['Versions']] + [d['VersionId'] for d in r['DeleteMarkers']]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertEqual(r['Versions'][4]['VersionId'], 'null')
        for i in ids:
            if i != 'null':
                self.assertRegex(i, r'^[0-9a-f]{24}$')

        # The document interleaves them in order; a marker has no ETag, Size
        # nor StorageClass.
        root = parse_xml(self.gw.request('GET', '/' + bucket, 'versions').body)
        entries = [(e.tag, e.findtext('Key'), e.findtext('IsLatest')) for e in root
                   if e.tag in ('Version', 'DeleteMarker')]
        self.assertEqual(entries, [('Version', 'j', 'true'), ('DeleteMarker', 'j', 'false'),
                                   ('Version', 'j', 'false'), ('DeleteMarker', 'k', 'true'),
                                   ('Version', 'k', 'false'), ('Version', 'k', 'false'), ('Version', 'k', 'false'),
                                   ('Version', 'm', 'true')])
        self.assertEqual([c.tag for c in root.find('DeleteMarker')], MARKER_FIELDS)
        self.assertEqual([c.tag for c in root.find('Version')], VERSION_FIELDS)
        everything = [(e.findtext('Key'), e.findtext('VersionId')) for e in root
                      if e.tag in ('Version', 'DeleteMarker')]

        # Paged at every size by the markers each page returns.
        for max_keys in range(1, len(everything) + 2):
            with self.subTest(max_keys=max_keys):
                seen, params = [], {}
                for _ in range(len(everything) + 2):
                    page = self.raw_page(bucket, max_keys, params)
                    seen += [(e.findtext('Key'), e.findtext('VersionId')) for e in page
                             if e.tag in ('Version', 'DeleteMarker')]
                    if page.findtext('IsTruncated') != 'true':
                        break
                    params = {'key-marker': page.findtext('NextKeyMarker'),
                              'version-id-marker': page.findtext('NextVersionIdMarker')}
                self.assertEqual(seen, everything)

        # A version-id-marker resumes after that version of its key, and
        # still does once that version is removed by id.
        k_versions = [v for k, v in everything if k == 'k']
        for removed in (False, True):
            with self.subTest(removed=removed):
                if removed:
                    self.s3.delete_object(Bucket=bucket, Key='k', VersionId=k_versions[1])
                page = self.raw_page(bucket, 1000, {'key-marker': 'k', 'version-id-marker': k_versions[1]})
                self.assertEqual([(e.findtext('Key'), e.findtext('VersionId')) for e in page if e.tag == 'Version'],
                                 [('k', k_versions[2]), ('k', 'null'), ('m', everything[-1][1])])
        # "null" resumes after the null version, wherever it is in its key.
        page = self.raw_page(bucket, 1000, {'key-marker': 'k', 'version-id-marker': 'null'})
        self.assertEqual([e.findtext('Key') for e in page if e.tag == 'Version'], ['m'])

    def raw_page(self, bucket, max_keys, params):
        r = self.gw.request('GET', '/' + bucket,
                            query([('versions', None), ('max-keys', str(max_keys))] + list(params.items())))
        self.assertEqual(r.status, 200, repr(r))
        return parse_xml(r.body)


if __name__ == '__main__':
    main()
