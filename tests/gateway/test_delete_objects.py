#!/usr/bin/env python3
"""DeleteObjects (POST ?delete): with and without Content-MD5, Quiet mode,
missing keys, bad digests, malformed bodies."""

from harness import GatewayTestCase, main, md5_b64, unique_bucket


def delete_xml(keys, quiet=False):
    objs = ''.join(f'<Object><Key>{k}</Key></Object>' for k in keys)
    q = '<Quiet>true</Quiet>' if quiet else ''
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{q}{objs}</Delete>').encode()


class DeleteObjectsTests(GatewayTestCase):

    def fill(self, keys):
        b = self.new_bucket()
        for k in keys:
            self.put(b, k, k.encode())
        return b

    def remaining(self, b):
        return [o['Key'] for o in self.s3.list_objects_v2(Bucket=b).get('Contents', [])]

    def test_boto3_delete_objects(self):
        keys = ['a', 'b/c', 'd e', 'f&g']
        b = self.fill(keys + ['keep'])
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': k} for k in keys + ['missing']]})
        self.assertEqual(r.get('Errors', []), [])
        # S3 reports keys that did not exist as deleted too.
        self.assertEqual(sorted(d['Key'] for d in r['Deleted']), sorted(keys + ['missing']))
        self.assertEqual(self.remaining(b), ['keep'])

    def test_quiet(self):
        b = self.fill(['q1', 'q2', 'q3'])
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'q1'}, {'Key': 'q2'}], 'Quiet': True})
        self.assertEqual(r.get('Deleted', []), [])
        self.assertEqual(r.get('Errors', []), [])
        self.assertEqual(self.remaining(b), ['q3'])

    def test_raw_with_content_md5(self):
        b = self.fill(['m1', 'm2', 'm3'])
        body = delete_xml(['m1', 'm2'])
        r = self.gw.request('POST', '/' + b, 'delete', headers={'Content-MD5': md5_b64(body),
                                                               'Content-Type': 'application/xml'}, body=body)
        self.assertEqual(r.status, 200, repr(r))
        root = r.xml()
        self.assertEqual(root.tag, 'DeleteResult')
        self.assertEqual(sorted(d.findtext('Key') for d in root.findall('Deleted')), ['m1', 'm2'])
        self.assertEqual(self.remaining(b), ['m3'])

    def test_raw_without_content_md5(self):
        b = self.fill(['n1', 'n2'])
        body = delete_xml(['n1'])
        r = self.gw.request('POST', '/' + b, 'delete', body=body)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual([d.findtext('Key') for d in r.xml().findall('Deleted')], ['n1'])
        self.assertEqual(self.remaining(b), ['n2'])

    def test_raw_quiet(self):
        b = self.fill(['r1', 'r2'])
        body = delete_xml(['r1', 'r2'], quiet=True)
        r = self.gw.request('POST', '/' + b, 'delete', headers={'Content-MD5': md5_b64(body)}, body=body)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.xml().tag, 'DeleteResult')
        self.assertEqual(r.xml().findall('Deleted'), [])
        self.assertEqual(self.remaining(b), [])

    def test_bad_content_md5(self):
        b = self.fill(['x1'])
        body = delete_xml(['x1'])
        r = self.gw.request('POST', '/' + b, 'delete', headers={'Content-MD5': md5_b64(b'other')}, body=body)
        self.assertError(r, 400, 'BadDigest')
        self.assertEqual(self.remaining(b), ['x1'])

    def test_malformed(self):
        b = self.fill(['y1'])
        for body in [b'<Delete><Object><Key>y1</Key></Object>', b'not xml at all',
                     b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></Delete>',
                     b'<Delete><Object><Key>y1</Key></Object>' + b'<Object><Key>z</Key></Object>' * 1001
                     + b'</Delete>']:
            with self.subTest(body=body[:60]):
                r = self.gw.request('POST', '/' + b, 'delete', headers={'Content-MD5': md5_b64(body)}, body=body)
                self.assertError(r, 400, 'MalformedXML')
        self.assertEqual(self.remaining(b), ['y1'])

    def test_no_such_bucket(self):
        body = delete_xml(['k'])
        r = self.gw.request('POST', '/' + unique_bucket('nb'), 'delete', headers={'Content-MD5': md5_b64(body)},
                            body=body)
        self.assertError(r, 404, 'NoSuchBucket')

    def test_thousand_keys(self):
        b = self.new_bucket()
        keys = [f'k{i:04d}' for i in range(1000)]
        for k in keys[:20]:
            self.put(b, k, b'')
        r = self.s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': k} for k in keys], 'Quiet': True})
        self.assertEqual(r.get('Errors', []), [])
        self.assertEqual(self.remaining(b), [])


if __name__ == '__main__':
    main()
