#!/usr/bin/env python3
"""Bucket tagging: Put/Get/DeleteBucketTagging (owner only, Content-MD5 or a
checksum required), S3's limits (50 tags, keys of 1 to 128 and values of up
to 256 characters, no key twice, none starting "aws:"), every refusal
changing nothing, and tags surviving a restart apart from the bucket's CORS
rules and its objects' tags."""


from harness import GatewayTestCase, main, md5_header, unique_bucket

NS = 'http://s3.amazonaws.com/doc/2006-03-01/'
TAGS = [{'Key': 'team', 'Value': 'storage'}, {'Key': 'cost centre', 'Value': ''}, {'Key': 'ünï', 'Value': 'çødé'}]


def tagging_xml(pairs):
    tags = ''.join(f'<Tag><Key>{k}</Key><Value>{v}</Value></Tag>' for k, v in pairs)
    return f'<Tagging xmlns="{NS}"><TagSet>{tags}</TagSet></Tagging>'.encode()


class BucketTaggingTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_creds = cls.gw.create_user()
        cls.other = cls.gw.client(cls.other_creds)

    def put_raw(self, bucket, body, headers=None):
        return self.gw.request('PUT', f'/{bucket}', 'tagging',
                               headers=headers if headers is not None else md5_header(body), body=body)

    def test_put_get_replace_delete(self):
        b = self.new_bucket()
        e = self.assertClientError(self.s3.get_bucket_tagging, 404, 'NoSuchTagSet', Bucket=b)
        self.assertEqual(e.response['Error']['Message'], 'The TagSet does not exist')
        r = self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': TAGS})
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], TAGS)
        self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': TAGS[:1]})
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], TAGS[:1])
        self.assertEqual(self.s3.delete_bucket_tagging(Bucket=b)['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertClientError(self.s3.get_bucket_tagging, 404, 'NoSuchTagSet', Bucket=b)
        self.assertEqual(self.s3.delete_bucket_tagging(Bucket=b)['ResponseMetadata']['HTTPStatusCode'], 204)

    def test_limits_exactly_reached_are_accepted(self):
        b = self.new_bucket()
        tags = [{'Key': f'k{i:02d}', 'Value': 'v'} for i in range(49)]
        tags.append({'Key': 'ü' * 128, 'Value': 'é' * 256})  # characters, not bytes
        self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': tags})
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], tags)

    def test_refusals_change_nothing(self):
        b = self.new_bucket()
        self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': TAGS})
        cases = [
            ('51 tags', tagging_xml((f'k{i}', 'v') for i in range(51)), 400, 'BadRequest',
             'Bucket tag count cannot be greater than 50'),
            ('a key twice', tagging_xml([('k', '1'), ('k', '2')]), 400, 'InvalidTag',
             'Cannot provide multiple Tags with the same key'),
            ('an empty key', tagging_xml([('', 'v')]), 400, 'InvalidTag', 'The TagKey you have provided is invalid'),
            ('a key of 129', tagging_xml([('k' * 129, 'v')]), 400, 'InvalidTag',
             'The TagKey you have provided is invalid'),
            ('a value of 257', tagging_xml([('k', 'v' * 257)]), 400, 'InvalidTag',
             'The TagValue you have provided is invalid'),
            ('an aws: key', tagging_xml([('aws:cloudformation:stack-name', 'v')]), 400, 'InvalidTag',
             'Your TagKey cannot be prefixed with aws:'),
            ('not XML', b'<Tagging><TagSet>', 400, 'MalformedXML', None),
            ('no TagSet', f'<Tagging xmlns="{NS}"/>'.encode(), 400, 'MalformedXML', None),
            ('a tag without a value', '<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>'.encode(), 400,
             'MalformedXML', None),
        ]
        for what, body, status, code, message in cases:
            with self.subTest(what):
                r = self.put_raw(b, body)
                self.assertError(r, status, code)
                if message:
                    self.assertEqual(r.xml().findtext('Message'), message)
        good = tagging_xml([('k', 'v')])
        with self.subTest('no Content-MD5 nor checksum'):
            r = self.put_raw(b, good, headers={})
            self.assertError(r, 400, 'InvalidRequest')
            self.assertEqual(r.xml().findtext('Message'), 'Missing required header for this request: Content-MD5')
        with self.subTest('a wrong Content-MD5'):
            self.assertError(self.put_raw(b, good, headers=md5_header(b'other')), 400, 'BadDigest')
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], TAGS)

    def test_only_the_owner_tags(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read-write')
        self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': TAGS})
        self.assertClientError(self.other.put_bucket_tagging, 403, 'AccessDenied', Bucket=b,
                               Tagging={'TagSet': TAGS[:1]})
        self.assertClientError(self.other.get_bucket_tagging, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.delete_bucket_tagging, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.gw.anonymous_client().delete_bucket_tagging, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], TAGS)

    def test_missing_bucket(self):
        missing = unique_bucket('gone')
        self.assertClientError(self.s3.get_bucket_tagging, 404, 'NoSuchBucket', Bucket=missing)
        self.assertClientError(self.s3.put_bucket_tagging, 404, 'NoSuchBucket', Bucket=missing,
                               Tagging={'TagSet': TAGS})

    def test_tags_apart_from_cors_and_object_tags_and_surviving_a_restart(self):
        b = self.new_bucket()
        self.s3.put_object(Bucket=b, Key='obj', Body=b'x')
        rules = [{'AllowedOrigins': ['*'], 'AllowedMethods': ['GET']}]
        self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': TAGS})
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': rules})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key='obj')['TagSet'], [])
        self.s3.delete_bucket_cors(Bucket=b)
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], TAGS)
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': rules})
        self.s3.delete_bucket_tagging(Bucket=b)
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], rules)
        self.s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': TAGS})
        self.gw.restart()  # on another port: new clients
        type(self).s3 = self.gw.client()
        type(self).other = self.gw.client(self.other_creds)
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)['TagSet'], TAGS)
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], rules)


if __name__ == '__main__':
    main()
