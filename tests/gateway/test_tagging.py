#!/usr/bin/env python3
"""Object tags: Put/Get/DeleteObjectTagging, x-amz-tagging on PutObject,
CreateMultipartUpload and CopyObject (x-amz-tagging-directive), the
x-amz-tagging-count header of GET/HEAD, S3's limits (10 tags, key 1..128 and
value 0..256 characters, unique keys, no aws: prefix) and each refusal, who
may read and change tags, and tags kept across a restart."""

import signal
from urllib.parse import urlencode

from harness import GatewayTestCase, main, md5_hex, quote_key, unique_bucket

XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/'


def tag_set(tags):
    """[(key, value)] as boto3's TagSet."""
    return [{'Key': k, 'Value': v} for k, v in tags]


def pairs(tag_set_):
    return [(t['Key'], t['Value']) for t in tag_set_]


def tagging_xml(tags, root='Tagging'):
    """A <Tagging> body (raw requests: tags boto3 would refuse to send)."""
    from xml.sax.saxutils import escape
    inner = ''.join(f'<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>' for k, v in tags)
    return f'<{root} xmlns="{XMLNS}"><TagSet>{inner}</TagSet></{root}>'.encode()


class TaggingTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('tags')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.other = cls.gw.client(cls.gw.create_user())
        cls.other_id = cls.other.list_buckets()['Owner']['ID']

    def tags(self, key, client=None):
        return pairs((client or self.s3).get_object_tagging(Bucket=self.bucket, Key=key)['TagSet'])

    def put_tagging_raw(self, key, body):
        return self.gw.request('PUT', f'/{self.bucket}/{quote_key(key)}', query='tagging', body=body)

    # ---- Put/Get/DeleteObjectTagging ------------------------------------
    def test_put_get_delete_tagging(self):
        b = self.bucket
        self.put(b, 'obj', b'tagged data', ContentType='text/x-tags', Metadata={'m': '1'})
        before = self.s3.head_object(Bucket=b, Key='obj')
        self.assertNotIn('x-amz-tagging-count', before['ResponseMetadata']['HTTPHeaders'])
        # Untagged: an empty TagSet, not an error.
        r = self.gw.request('GET', f'/{b}/obj', query='tagging')
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn(f'<Tagging xmlns="{XMLNS}"><TagSet></TagSet></Tagging>', r.body.decode())
        self.assertEqual(self.tags('obj'), [])

        wanted = [('project', 'blue'), ('empty', ''), ('with space', 'a=b&c<d>'), ('caf\u00e9', '\u00e9t\u00e9')]
        r = self.s3.put_object_tagging(Bucket=b, Key='obj', Tagging={'TagSet': tag_set(wanted)})
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(self.tags('obj'), wanted)  # as given, in order
        for answer in (self.s3.head_object(Bucket=b, Key='obj'), self.s3.get_object(Bucket=b, Key='obj')):
            self.assertEqual(answer['ResponseMetadata']['HTTPHeaders']['x-amz-tagging-count'], '4')
        # The object itself is unchanged: data, metadata, ETag, Last-Modified.
        after = self.s3.get_object(Bucket=b, Key='obj')
        self.assertEqual(after['Body'].read(), b'tagged data')
        self.assertEqual(after['ETag'], f'"{md5_hex(b"tagged data")}"')
        self.assertEqual(after['LastModified'], before['LastModified'])
        self.assertEqual(after['ContentType'], 'text/x-tags')
        self.assertEqual(after['Metadata'], {'m': '1'})

        # A new set replaces the old one whole.
        self.s3.put_object_tagging(Bucket=b, Key='obj', Tagging={'TagSet': tag_set([('only', 'one')])})
        self.assertEqual(self.tags('obj'), [('only', 'one')])

        r = self.s3.delete_object_tagging(Bucket=b, Key='obj')
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertEqual(self.tags('obj'), [])
        h = self.s3.head_object(Bucket=b, Key='obj')
        self.assertNotIn('x-amz-tagging-count', h['ResponseMetadata']['HTTPHeaders'])
        self.assertEqual(self.get_body(b, 'obj'), b'tagged data')
        # Deleting the tags of an untagged object is no error either.
        self.assertEqual(self.s3.delete_object_tagging(Bucket=b, Key='obj')['ResponseMetadata']['HTTPStatusCode'],
                         204)

    def test_limits_themselves_pass(self):
        self.put(self.bucket, 'limits', b'x')
        ten = [(f'k{i}', f'v{i}') for i in range(10)]
        self.s3.put_object_tagging(Bucket=self.bucket, Key='limits', Tagging={'TagSet': tag_set(ten)})
        self.assertEqual(self.tags('limits'), ten)
        # Lengths count characters: 128 and 256 two-byte characters.
        longest = [('\u00e9' * 128, '\u00e9' * 256)]
        self.s3.put_object_tagging(Bucket=self.bucket, Key='limits', Tagging={'TagSet': tag_set(longest)})
        self.assertEqual(self.tags('limits'), longest)
        # An empty TagSet removes the tags.
        self.assertEqual(self.put_tagging_raw('limits', tagging_xml([])).status, 200)
        self.assertEqual(self.tags('limits'), [])

    def test_put_tagging_refusals_change_nothing(self):
        self.put(self.bucket, 'refuse', b'x')
        kept = [('keep', 'me')]
        self.s3.put_object_tagging(Bucket=self.bucket, Key='refuse', Tagging={'TagSet': tag_set(kept)})
        eleven = [(f'k{i}', 'v') for i in range(11)]
        cases = [
            (tagging_xml(eleven), 400, 'BadRequest', 'Object tags cannot be greater than 10'),
            (tagging_xml([('', 'v')]), 400, 'InvalidTag', 'The TagKey you have provided is invalid'),
            (tagging_xml([('k' * 129, 'v')]), 400, 'InvalidTag', 'The TagKey you have provided is invalid'),
            (tagging_xml([('k', 'v' * 257)]), 400, 'InvalidTag', 'The TagValue you have provided is invalid'),
            (tagging_xml([('dup', '1'), ('dup', '2')]), 400, 'InvalidTag',
             'Cannot provide multiple Tags with the same key'),
            (tagging_xml([('aws:created', 'v')]), 400, 'InvalidTag', 'Your TagKey cannot be prefixed with aws:'),
            (b'<Tagging><TagSet><Tag><Key>k</Key>', 400, 'MalformedXML', None),
            (b'not xml at all', 400, 'MalformedXML', None),
            (tagging_xml([('k', 'v')], root='Other'), 400, 'MalformedXML', None),
            (f'<Tagging xmlns="{XMLNS}"></Tagging>'.encode(), 400, 'MalformedXML', None),
            (f'<Tagging xmlns="{XMLNS}"><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>'.encode(), 400,
             'MalformedXML', None),
            (f'<Tagging xmlns="{XMLNS}"><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>'.encode(), 400,
             'MalformedXML', None),
        ]
        for body, status, code, message in cases:
            with self.subTest(code=code, body=body[:60]):
                r = self.put_tagging_raw('refuse', body)
                self.assertError(r, status, code)
                if message:
                    self.assertEqual(r.xml().findtext('Message'), message)
                self.assertEqual(self.tags('refuse'), kept)

    def test_missing_key_and_bucket(self):
        b = self.bucket
        body = tagging_xml([('k', 'v')])
        for method, payload in (('GET', b''), ('PUT', body), ('DELETE', b'')):
            with self.subTest(method=method):
                self.assertError(self.gw.request(method, f'/{b}/no-such-key', query='tagging', body=payload), 404,
                                 'NoSuchKey')
                self.assertError(
                    self.gw.request(method, f'/{unique_bucket("none")}/k', query='tagging', body=payload), 404,
                    'NoSuchBucket')
        self.assertNoObject(b, 'no-such-key')

    # ---- who may ----------------------------------------------------------
    def test_permissions(self):
        b = self.bucket
        self.put(b, 'private', b'x')
        self.s3.put_object_tagging(Bucket=b, Key='private', Tagging={'TagSet': tag_set([('k', 'v')])})
        new = {'TagSet': tag_set([('by', 'other')])}
        # Another user, and an anonymous caller, get nothing of a private object.
        self.assertClientError(self.other.get_object_tagging, 403, 'AccessDenied', Bucket=b, Key='private')
        self.assertClientError(self.other.put_object_tagging, 403, 'AccessDenied', Bucket=b, Key='private',
                               Tagging=new)
        self.assertClientError(self.other.delete_object_tagging, 403, 'AccessDenied', Bucket=b, Key='private')
        for method in ('GET', 'PUT', 'DELETE'):
            body = tagging_xml([('anon', 'x')]) if method == 'PUT' else b''
            self.assertError(self.gw.request(method, f'/{b}/private', query='tagging', body=body, auth=None), 403,
                             'AccessDenied')
        self.assertEqual(self.tags('private'), [('k', 'v')])

        # READ on the object lets read its tags, not change them.
        self.put(b, 'readable', b'x', ACL='public-read')
        self.s3.put_object_tagging(Bucket=b, Key='readable', Tagging={'TagSet': tag_set([('k', 'v')])})
        self.assertEqual(self.tags('readable', client=self.other), [('k', 'v')])
        self.assertClientError(self.other.put_object_tagging, 403, 'AccessDenied', Bucket=b, Key='readable',
                               Tagging=new)
        self.assertClientError(self.other.delete_object_tagging, 403, 'AccessDenied', Bucket=b, Key='readable')
        self.assertEqual(self.tags('readable'), [('k', 'v')])

        # WRITE_ACP (as for PutObjectAcl) lets change them.
        self.put(b, 'shared', b'x', GrantWriteACP=f'id="{self.other_id}"',
                 GrantFullControl=f'id="{self.s3.list_buckets()["Owner"]["ID"]}"')
        self.other.put_object_tagging(Bucket=b, Key='shared', Tagging=new)
        self.assertEqual(self.tags('shared'), [('by', 'other')])
        self.other.delete_object_tagging(Bucket=b, Key='shared')
        self.assertEqual(self.tags('shared'), [])

    # ---- x-amz-tagging on writes ------------------------------------------
    def test_put_object_with_tagging_header(self):
        tags = [('a', '1'), ('b c', 'd&e=f+g'), ('flag', '')]
        self.put(self.bucket, 'at-put', b'data', Tagging=urlencode(tags))  # '+' for a space, %2B for '+'
        self.assertEqual(self.tags('at-put'), tags)
        h = self.s3.head_object(Bucket=self.bucket, Key='at-put')
        self.assertEqual(h['ResponseMetadata']['HTTPHeaders']['x-amz-tagging-count'], '3')
        # A key without '=' has an empty value; empty items are skipped.
        self.put(self.bucket, 'bare', b'data', Tagging='solo&&x=1&')
        self.assertEqual(self.tags('bare'), [('solo', ''), ('x', '1')])
        # An overwrite without tags has none.
        self.put(self.bucket, 'at-put', b'again')
        self.assertEqual(self.tags('at-put'), [])

    def test_tagging_header_refusals(self):
        eleven = urlencode([(f'k{i}', 'v') for i in range(11)])
        cases = [
            (eleven, 'BadRequest'),
            ('dup=1&dup=2', 'InvalidArgument'),
            ('bad=%zz', 'InvalidArgument'),
            ('aws:x=1', 'InvalidTag'),
            ('=novalue', 'InvalidTag'),
            (urlencode([('k', 'v' * 257)]), 'InvalidTag'),
        ]
        self.put(self.bucket, 'copy-src-refusals', b'src')
        source = {'Bucket': self.bucket, 'Key': 'copy-src-refusals'}
        for i, (header, code) in enumerate(cases):
            with self.subTest(header=header[:40]):
                key = f'refused-{i}'
                self.assertClientError(self.put, 400, code, self.bucket, key, b'x', Tagging=header)
                self.assertClientError(self.s3.create_multipart_upload, 400, code, Bucket=self.bucket, Key=key,
                                       Tagging=header)
                self.assertClientError(self.s3.copy_object, 400, code, Bucket=self.bucket, Key=key,
                                       CopySource=source, TaggingDirective='REPLACE', Tagging=header)
                self.assertNoObject(self.bucket, key)
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix='refused-')
        self.assertEqual(uploads.get('Uploads', []), [])

    def test_multipart_upload_keeps_tags(self):
        tags = [('stage', 'multipart'), ('n', '2')]
        uid = self.s3.create_multipart_upload(Bucket=self.bucket, Key='mp', Tagging=urlencode(tags))['UploadId']
        parts = []
        for n, body in ((1, b'a' * (5 * 1024 * 1024)), (2, b'tail')):
            r = self.s3.upload_part(Bucket=self.bucket, Key='mp', UploadId=uid, PartNumber=n, Body=body)
            parts.append({'PartNumber': n, 'ETag': r['ETag']})
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=uid,
                                          MultipartUpload={'Parts': parts})
        self.assertEqual(self.tags('mp'), tags)
        h = self.s3.head_object(Bucket=self.bucket, Key='mp')
        self.assertEqual(h['ResponseMetadata']['HTTPHeaders']['x-amz-tagging-count'], '2')

    def test_copy_tagging_directive(self):
        b = self.bucket
        src_tags = [('from', 'source')]
        self.put(b, 'src', b'copy me', Metadata={'origin': 'src'}, Tagging=urlencode(src_tags))
        src = {'Bucket': b, 'Key': 'src'}
        # COPY (the default): the source's tags; x-amz-tagging is ignored then.
        self.s3.copy_object(Bucket=b, Key='c-default', CopySource=src)
        self.assertEqual(self.tags('c-default'), src_tags)
        self.s3.copy_object(Bucket=b, Key='c-copy', CopySource=src, TaggingDirective='COPY', Tagging='x=1')
        self.assertEqual(self.tags('c-copy'), src_tags)
        # REPLACE: the request's tags, the source's metadata still.
        self.s3.copy_object(Bucket=b, Key='c-replace', CopySource=src, TaggingDirective='REPLACE',
                            Tagging='new=tags&n=1')
        self.assertEqual(self.tags('c-replace'), [('new', 'tags'), ('n', '1')])
        self.assertEqual(self.s3.head_object(Bucket=b, Key='c-replace')['Metadata'], {'origin': 'src'})
        self.assertEqual(self.get_body(b, 'c-replace'), b'copy me')
        # REPLACE without x-amz-tagging: no tags.
        self.s3.copy_object(Bucket=b, Key='c-none', CopySource=src, TaggingDirective='REPLACE')
        self.assertEqual(self.tags('c-none'), [])
        # New metadata, the source's tags.
        self.s3.copy_object(Bucket=b, Key='c-meta', CopySource=src, MetadataDirective='REPLACE',
                            Metadata={'new': 'meta'})
        self.assertEqual(self.tags('c-meta'), src_tags)
        self.assertEqual(self.s3.head_object(Bucket=b, Key='c-meta')['Metadata'], {'new': 'meta'})
        # Both replaced.
        self.s3.copy_object(Bucket=b, Key='c-both', CopySource=src, MetadataDirective='REPLACE',
                            Metadata={'new': 'meta'}, TaggingDirective='REPLACE', Tagging='both=1')
        self.assertEqual(self.tags('c-both'), [('both', '1')])
        self.assertEqual(self.tags('src'), src_tags)
        # An unknown directive.
        self.assertClientError(self.s3.copy_object, 400, 'InvalidArgument', Bucket=b, Key='c-bad', CopySource=src,
                               TaggingDirective='MERGE')
        self.assertNoObject(b, 'c-bad')


class TaggingRestartTests(GatewayTestCase):

    def test_tags_survive_restart(self):
        b = self.new_bucket()
        self.put(b, 'persist', b'x', Tagging='at=put')
        self.s3.put_object_tagging(Bucket=b, Key='persist', Tagging={'TagSet': tag_set([('set', 'later')])})
        self.put(b, 'from-header', b'y', Tagging='only=header')
        self.gw.restart(sig=signal.SIGINT)
        c = self.gw.client()
        self.assertEqual(pairs(c.get_object_tagging(Bucket=b, Key='persist')['TagSet']), [('set', 'later')])
        self.assertEqual(pairs(c.get_object_tagging(Bucket=b, Key='from-header')['TagSet']), [('only', 'header')])


if __name__ == '__main__':
    main()
