#!/usr/bin/env python3
"""CopyObject: metadata directive COPY/REPLACE, copy onto itself, errors."""

import datetime

from harness import GatewayTestCase, main, md5_hex, quote_key, unique_bucket


class CopyTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.src = unique_bucket('src')
        cls.dst = unique_bucket('dst')
        cls.s3.create_bucket(Bucket=cls.src)
        cls.s3.create_bucket(Bucket=cls.dst)

    def make_source(self, key, body=b'source body', **kw):
        kw.setdefault('ContentType', 'text/x-source')
        kw.setdefault('Metadata', {'origin': 'src', 'keep': 'me'})
        self.put(self.src, key, body, **kw)
        return body

    def test_copy_keeps_metadata_by_default(self):
        body = self.make_source('a', CacheControl='max-age=5', ContentDisposition='inline')
        r = self.s3.copy_object(Bucket=self.dst, Key='a-copy', CopySource={'Bucket': self.src, 'Key': 'a'})
        self.assertEqual(r['CopyObjectResult']['ETag'], f'"{md5_hex(body)}"')
        lm = r['CopyObjectResult']['LastModified']
        self.assertLess(abs((datetime.datetime.now(datetime.timezone.utc) - lm).total_seconds()), 300)
        g = self.s3.get_object(Bucket=self.dst, Key='a-copy')
        self.assertEqual(g['Body'].read(), body)
        self.assertEqual(g['ETag'], f'"{md5_hex(body)}"')
        self.assertEqual(g['ContentType'], 'text/x-source')
        self.assertEqual(g['Metadata'], {'origin': 'src', 'keep': 'me'})
        self.assertEqual(g['CacheControl'], 'max-age=5')
        self.assertEqual(g['ContentDisposition'], 'inline')
        # The source is untouched.
        self.assertEqual(self.get_body(self.src, 'a'), body)

    def test_copy_directive_copy_ignores_new_metadata(self):
        body = self.make_source('b')
        self.s3.copy_object(Bucket=self.dst, Key='b-copy', CopySource={'Bucket': self.src, 'Key': 'b'},
                            MetadataDirective='COPY', Metadata={'ignored': 'yes'})
        h = self.s3.head_object(Bucket=self.dst, Key='b-copy')
        self.assertEqual(h['Metadata'], {'origin': 'src', 'keep': 'me'})
        self.assertEqual(self.get_body(self.dst, 'b-copy'), body)

    def test_copy_replace_metadata(self):
        body = self.make_source('c', CacheControl='max-age=5')
        self.s3.copy_object(Bucket=self.dst, Key='c-copy', CopySource={'Bucket': self.src, 'Key': 'c'},
                            MetadataDirective='REPLACE', Metadata={'fresh': 'value'}, ContentType='text/x-new')
        g = self.s3.get_object(Bucket=self.dst, Key='c-copy')
        self.assertEqual(g['Body'].read(), body)
        self.assertEqual(g['Metadata'], {'fresh': 'value'})
        self.assertEqual(g['ContentType'], 'text/x-new')
        self.assertNotIn('CacheControl', g)

    def test_copy_onto_itself_needs_replace(self):
        body = self.make_source('self')
        self.assertClientError(self.s3.copy_object, 400, 'InvalidRequest', Bucket=self.src, Key='self',
                               CopySource={'Bucket': self.src, 'Key': 'self'})
        # Unchanged after the refusal.
        h = self.s3.head_object(Bucket=self.src, Key='self')
        self.assertEqual(h['Metadata'], {'origin': 'src', 'keep': 'me'})

        # With REPLACE it works: how s3fs chmods and renames.
        r = self.s3.copy_object(Bucket=self.src, Key='self', CopySource={'Bucket': self.src, 'Key': 'self'},
                                MetadataDirective='REPLACE', Metadata={'mode': '33188'}, ContentType='text/x-mod')
        self.assertEqual(r['CopyObjectResult']['ETag'], f'"{md5_hex(body)}"')
        g = self.s3.get_object(Bucket=self.src, Key='self')
        self.assertEqual(g['Body'].read(), body)
        self.assertEqual(g['Metadata'], {'mode': '33188'})
        self.assertEqual(g['ContentType'], 'text/x-mod')

    def test_copy_overwrites_destination(self):
        body = self.make_source('ow')
        self.put(self.dst, 'ow', b'old content that is longer than the source')
        self.s3.copy_object(Bucket=self.dst, Key='ow', CopySource={'Bucket': self.src, 'Key': 'ow'})
        self.assertEqual(self.get_body(self.dst, 'ow'), body)

    def test_copy_odd_key_names(self):
        key = 'dir with space/ünï+plus%pct?&.txt'
        body = self.make_source(key)
        self.s3.copy_object(Bucket=self.dst, Key=key + '.copy', CopySource={'Bucket': self.src, 'Key': key})
        self.assertEqual(self.get_body(self.dst, key + '.copy'), body)
        # Raw, with the source URL-encoded and a leading slash, as the docs show.
        r = self.gw.request('PUT', f'/{self.dst}/' + quote_key('raw-copy'),
                            headers={'x-amz-copy-source': f'/{self.src}/' + quote_key(key)})
        self.assertEqual(r.status, 200, repr(r))
        root = r.xml()
        self.assertEqual(root.tag, 'CopyObjectResult')
        self.assertEqual(root.findtext('ETag'), f'"{md5_hex(body)}"')
        self.assertEqual(self.get_body(self.dst, 'raw-copy'), body)

    def test_copy_empty_object(self):
        self.make_source('empty', b'')
        self.s3.copy_object(Bucket=self.dst, Key='empty', CopySource={'Bucket': self.src, 'Key': 'empty'})
        h = self.s3.head_object(Bucket=self.dst, Key='empty')
        self.assertEqual(h['ContentLength'], 0)
        self.assertEqual(h['ETag'], '"d41d8cd98f00b204e9800998ecf8427e"')

    def test_copy_errors(self):
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchKey', Bucket=self.dst, Key='x',
                               CopySource={'Bucket': self.src, 'Key': 'does-not-exist'})
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchBucket', Bucket=self.dst, Key='x',
                               CopySource={'Bucket': unique_bucket('none'), 'Key': 'k'})
        self.make_source('e')
        self.assertClientError(self.s3.copy_object, 404, 'NoSuchBucket', Bucket=unique_bucket('none'), Key='x',
                               CopySource={'Bucket': self.src, 'Key': 'e'})
        self.assertNoObject(self.dst, 'x')

    def test_copy_source_conditions(self):
        body = self.make_source('cond')
        etag = f'"{md5_hex(body)}"'
        self.assertClientError(self.s3.copy_object, 412, 'PreconditionFailed', Bucket=self.dst, Key='cond',
                               CopySource={'Bucket': self.src, 'Key': 'cond'}, CopySourceIfMatch='"0000"')
        self.assertNoObject(self.dst, 'cond')
        self.assertClientError(self.s3.copy_object, 412, 'PreconditionFailed', Bucket=self.dst, Key='cond',
                               CopySource={'Bucket': self.src, 'Key': 'cond'}, CopySourceIfNoneMatch=etag)
        self.s3.copy_object(Bucket=self.dst, Key='cond', CopySource={'Bucket': self.src, 'Key': 'cond'},
                            CopySourceIfMatch=etag)
        self.assertEqual(self.get_body(self.dst, 'cond'), body)


if __name__ == '__main__':
    main()
