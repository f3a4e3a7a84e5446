#!/usr/bin/env python3
"""CORS: Put/Get/DeleteBucketCors (owner only, Content-MD5 or a checksum
required, every refusal changing nothing), browser preflights (OPTIONS,
unauthenticated) answered from the rules with S3's errors, and the
Access-Control-* headers on the answers (errors included) to cross-origin
requests a rule allows, browser form uploads (POST Object) among them; the
rules surviving a restart."""


import requests

from harness import Credentials, GatewayTestCase, main, md5_header, unique_bucket

NS = 'http://s3.amazonaws.com/doc/2006-03-01/'
VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method'
NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
               "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
               "whitelisted by the resource's CORS spec.")

RULES = [
    {'ID': 'app', 'AllowedOrigins': ['https://app.example.com', 'http://*.test'], 'AllowedMethods': ['GET', 'PUT'],
     'AllowedHeaders': ['x-amz-*', 'Content-Type'], 'ExposeHeaders': ['ETag', 'x-amz-request-id'],
     'MaxAgeSeconds': 600},
    {'AllowedOrigins': ['*'], 'AllowedMethods': ['HEAD']},
]


def cors_xml(rules_xml):
    return f'<CORSConfiguration xmlns="{NS}">{rules_xml}</CORSConfiguration>'.encode()


def cors_headers(resp):
    return {k.lower(): v for k, v in resp.headers.items() if k.lower().startswith('access-control-')}


class CorsConfigurationTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_creds = cls.gw.create_user()
        cls.other = cls.gw.client(cls.other_creds)

    def put_raw(self, bucket, body, headers=None, **kw):
        return self.gw.request('PUT', f'/{bucket}', 'cors', headers=headers if headers is not None else md5_header(body),
                               body=body, **kw)

    def test_put_get_replace_delete(self):
        b = self.new_bucket()
        self.assertClientError(self.s3.get_bucket_cors, 404, 'NoSuchCORSConfiguration', Bucket=b)
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': RULES})
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], RULES)
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': RULES[1:]})
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], RULES[1:])
        self.assertEqual(self.s3.delete_bucket_cors(Bucket=b)['ResponseMetadata']['HTTPStatusCode'], 204)
        e = self.assertClientError(self.s3.get_bucket_cors, 404, 'NoSuchCORSConfiguration', Bucket=b)
        self.assertEqual(e.response['Error']['Message'], 'The CORS configuration does not exist')
        # Deleting what is not there is no error, as in S3.
        self.assertEqual(self.s3.delete_bucket_cors(Bucket=b)['ResponseMetadata']['HTTPStatusCode'], 204)

    def test_raw_put_with_content_md5_and_the_stored_document(self):
        b = self.new_bucket()
        body = cors_xml('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>'
                        '<Unknown-to-nobody-here/></CORSRule>')
        self.assertError(self.put_raw(b, body), 400, 'MalformedXML')
        body = cors_xml('<CORSRule>\n  <AllowedOrigin>*</AllowedOrigin>\n  <AllowedMethod>GET</AllowedMethod>\n'
                        '</CORSRule>')
        r = self.put_raw(b, body)
        self.assertEqual(r.status, 200, repr(r))
        got = self.gw.request('GET', f'/{b}', 'cors')
        self.assertEqual(got.status, 200, repr(got))
        self.assertIn(f'<CORSConfiguration xmlns="{NS}">'.encode(), got.body)
        root = got.xml()
        self.assertEqual(root.tag, 'CORSConfiguration')
        self.assertEqual([(c.tag, c.text) for c in root[0]], [('AllowedMethod', 'GET'), ('AllowedOrigin', '*')])

    def test_refusals_change_nothing(self):
        b = self.new_bucket()
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': RULES})
        rule = '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>'
        cases = [
            ('not XML', b'<CORSConfiguration>', 400, 'MalformedXML', None),
            ('no rule', cors_xml(''), 400, 'MalformedXML', None),
            ('101 rules', cors_xml(rule * 101), 400, 'MalformedXML', None),
            ('a rule without a method', cors_xml('<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>'), 400,
             'MalformedXML', None),
            ('a rule without an origin', cors_xml('<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>'), 400,
             'MalformedXML', None),
            ('OPTIONS allowed', cors_xml('<CORSRule><AllowedOrigin>*</AllowedOrigin>'
                                         '<AllowedMethod>OPTIONS</AllowedMethod></CORSRule>'), 400, 'InvalidRequest',
             'Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS'),
            ('two wildcards', cors_xml('<CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin>'
                                       '<AllowedMethod>GET</AllowedMethod></CORSRule>'), 400, 'InvalidRequest',
             'AllowedOrigin "http://*.*.com" can not have more than one wildcard.'),
            ('a wildcard exposed header', cors_xml('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET'
                                                   '</AllowedMethod><ExposeHeader>*</ExposeHeader></CORSRule>'), 400,
             'InvalidRequest', 'ExposeHeader "*" contains wildcard. We currently do not support wildcard for '
             'ExposeHeader.'),
            ('a negative max age', cors_xml('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET'
                                            '</AllowedMethod><MaxAgeSeconds>-5</MaxAgeSeconds></CORSRule>'), 400,
             'MalformedXML', None),
            ('a document over 64 KiB', cors_xml(rule.replace('*', 'x' * 700) * 100), 400,
             'MaxMessageLengthExceeded', None),
            # Under 64 KiB, but over the 256 KiB a bucket keeps once its quotes are escaped.
            ('a document whose stored form is too long',
             cors_xml(rule.replace('</CORSRule>', '<ExposeHeader>' + '"' * 60000 + '</ExposeHeader></CORSRule>')),
             400, 'MaxMessageLengthExceeded', None),
        ]
        for what, body, status, code, message in cases:
            with self.subTest(what):
                r = self.put_raw(b, body)
                self.assertError(r, status, code)
                if message:
                    self.assertEqual(r.xml().findtext('Message'), message)
        with self.subTest('100 rules are fine'):
            hundred = self.put_raw(self.new_bucket(), cors_xml(rule * 100))
            self.assertEqual(hundred.status, 200, repr(hundred))
        good = cors_xml(rule)
        with self.subTest('no Content-MD5 nor checksum'):
            r = self.put_raw(b, good, headers={})
            self.assertError(r, 400, 'InvalidRequest')
            self.assertEqual(r.xml().findtext('Message'), 'Missing required header for this request: Content-MD5')
        with self.subTest('a wrong Content-MD5'):
            self.assertError(self.put_raw(b, good, headers=md5_header(b'other')), 400, 'BadDigest')
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], RULES)

    def test_only_the_owner_sets_reads_and_removes_rules(self):
        b = self.new_bucket()
        self.s3.put_bucket_acl(Bucket=b, ACL='public-read-write')
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': RULES})
        self.assertClientError(self.other.put_bucket_cors, 403, 'AccessDenied', Bucket=b,
                               CORSConfiguration={'CORSRules': RULES[1:]})
        self.assertClientError(self.other.get_bucket_cors, 403, 'AccessDenied', Bucket=b)
        self.assertClientError(self.other.delete_bucket_cors, 403, 'AccessDenied', Bucket=b)
        anon = self.gw.anonymous_client()
        self.assertClientError(anon.get_bucket_cors, 403, 'AccessDenied', Bucket=b)
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], RULES)

    def test_missing_bucket(self):
        missing = unique_bucket('gone')
        self.assertClientError(self.s3.get_bucket_cors, 404, 'NoSuchBucket', Bucket=missing)
        self.assertClientError(self.s3.put_bucket_cors, 404, 'NoSuchBucket', Bucket=missing,
                               CORSConfiguration={'CORSRules': RULES})
        self.assertClientError(self.s3.delete_bucket_cors, 404, 'NoSuchBucket', Bucket=missing)

    def test_rules_survive_a_restart_and_go_with_the_bucket(self):
        b = self.new_bucket()
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': RULES})
        self.gw.restart()  # on another port: new clients
        type(self).s3 = self.gw.client()
        type(self).other = self.gw.client(self.other_creds)
        self.assertEqual(self.s3.get_bucket_cors(Bucket=b)['CORSRules'], RULES)
        self.s3.delete_bucket(Bucket=b)
        self.s3.create_bucket(Bucket=b)
        self.assertClientError(self.s3.get_bucket_cors, 404, 'NoSuchCORSConfiguration', Bucket=b)


class PreflightTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('cors')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_bucket_cors(Bucket=cls.bucket, CORSConfiguration={'CORSRules': RULES})
        cls.s3.put_object(Bucket=cls.bucket, Key='obj', Body=b'cross-origin data')

    def options(self, path, headers, query=''):
        return self.gw.request('OPTIONS', path, query, headers=headers, auth=None)

    def test_without_origin_is_400(self):
        for path in (f'/{self.bucket}', f'/{self.bucket}/obj', f'/{unique_bucket("gone")}'):
            with self.subTest(path):
                r = self.options(path, {'Access-Control-Request-Method': 'GET'})
                self.assertError(r, 400, 'BadRequest')
                self.assertEqual(r.xml().findtext('Message'),
                                 'Insufficient information. Origin request header needed.')

    def test_without_request_method_is_400(self):
        r = self.options(f'/{self.bucket}/obj', {'Origin': 'https://app.example.com'})
        self.assertError(r, 400, 'BadRequest')

    def test_missing_bucket_and_bucket_without_rules_are_403(self):
        headers = {'Origin': 'https://app.example.com', 'Access-Control-Request-Method': 'GET'}
        r = self.options(f'/{unique_bucket("gone")}/obj', headers)
        self.assertError(r, 403, 'AccessForbidden')
        self.assertEqual(r.xml().findtext('Message'), 'CORSResponse: Bucket not found')
        plain = self.new_bucket()
        r = self.options(f'/{plain}', headers)
        self.assertError(r, 403, 'AccessForbidden')
        self.assertEqual(r.xml().findtext('Message'), 'CORSResponse: CORS is not enabled for this bucket.')

    def test_a_matching_preflight_is_answered_from_its_rule(self):
        for path in (f'/{self.bucket}', f'/{self.bucket}/obj', f'/{self.bucket}/no-such-key'):
            with self.subTest(path):
                r = self.options(path, {'Origin': 'http://dev.test', 'Access-Control-Request-Method': 'PUT',
                                        'Access-Control-Request-Headers': 'X-Amz-Date,content-type'})
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.body, b'')
                self.assertEqual(cors_headers(r), {
                    'access-control-allow-origin': 'http://dev.test',
                    'access-control-allow-credentials': 'true',
                    'access-control-allow-methods': 'GET, PUT',
                    'access-control-allow-headers': 'x-amz-date, content-type',
                    'access-control-expose-headers': 'ETag, x-amz-request-id',
                    'access-control-max-age': '600',
                })
                self.assertEqual(r.header('Vary'), VARY)

    def test_a_rule_for_any_origin_answers_star(self):
        r = self.options(f'/{self.bucket}/obj', {'Origin': 'https://anywhere.example.org',
                                                 'Access-Control-Request-Method': 'HEAD'})
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(cors_headers(r), {'access-control-allow-origin': '*',
                                           'access-control-allow-methods': 'HEAD'})

    def test_a_preflight_no_rule_allows_is_403(self):
        cases = {
            'origin': {'Origin': 'https://evil.example.com', 'Access-Control-Request-Method': 'GET'},
            'origin with a path': {'Origin': 'https://app.example.com/', 'Access-Control-Request-Method': 'GET'},
            'method': {'Origin': 'https://app.example.com', 'Access-Control-Request-Method': 'DELETE'},
            'header': {'Origin': 'https://app.example.com', 'Access-Control-Request-Method': 'GET',
                       'Access-Control-Request-Headers': 'x-amz-date, authorization'},
            'header under a rule without any': {'Origin': 'https://other.example', 'Access-Control-Request-Method':
                                                'HEAD', 'Access-Control-Request-Headers': 'x-amz-date'},
        }
        for what, headers in cases.items():
            with self.subTest(what):
                r = self.options(f'/{self.bucket}/obj', headers)
                self.assertError(r, 403, 'AccessForbidden')
                self.assertEqual(r.xml().findtext('Message'), NOT_ALLOWED)
                self.assertEqual(cors_headers(r), {})

    def test_a_preflight_needs_no_signature(self):
        # Browsers preflight a presigned URL with its query, unsigned.
        r = self.options(f'/{self.bucket}/obj', {'Origin': 'https://app.example.com',
                                                 'Access-Control-Request-Method': 'GET'},
                         query='X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=bogus')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('Access-Control-Allow-Origin'), 'https://app.example.com')

    def test_a_preflight_after_the_rules_went_is_403(self):
        b = self.new_bucket()
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': RULES})
        headers = {'Origin': 'https://app.example.com', 'Access-Control-Request-Method': 'GET'}
        self.assertEqual(self.options(f'/{b}', headers).status, 200)
        self.s3.delete_bucket_cors(Bucket=b)
        self.assertError(self.options(f'/{b}', headers), 403, 'AccessForbidden')


class CrossOriginRequestTests(GatewayTestCase):
    """The headers of an actual request (signed or anonymous) with an Origin."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('cors')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_bucket_cors(Bucket=cls.bucket, CORSConfiguration={'CORSRules': RULES})
        cls.s3.put_object(Bucket=cls.bucket, Key='obj', Body=b'cross-origin data')

    def test_an_allowed_request_gets_the_rules_headers(self):
        r = self.gw.request('GET', f'/{self.bucket}/obj', headers={'Origin': 'https://app.example.com'})
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, b'cross-origin data')
        self.assertEqual(cors_headers(r), {
            'access-control-allow-origin': 'https://app.example.com',
            'access-control-allow-credentials': 'true',
            'access-control-allow-methods': 'GET, PUT',
            'access-control-expose-headers': 'ETag, x-amz-request-id',
            'access-control-max-age': '600',
        })
        self.assertEqual(r.header('Vary'), VARY)
        head = self.gw.request('HEAD', f'/{self.bucket}/obj', headers={'Origin': 'https://x.example'})
        self.assertEqual(head.status, 200, repr(head))
        self.assertEqual(head.header('Access-Control-Allow-Origin'), '*')

    def test_requests_no_rule_allows_get_no_cors_headers_and_are_served(self):
        for what, method, headers in (
                ('no Origin', 'GET', {}),
                ('another origin', 'GET', {'Origin': 'https://evil.example.com'}),
                ('a method the rule does not allow', 'DELETE', {'Origin': 'https://app.example.com'})):
            with self.subTest(what):
                if method == 'DELETE':
                    self.s3.put_object(Bucket=self.bucket, Key='doomed', Body=b'x')
                    r = self.gw.request(method, f'/{self.bucket}/doomed', headers=headers)
                    self.assertEqual(r.status, 204, repr(r))
                else:
                    r = self.gw.request(method, f'/{self.bucket}/obj', headers=headers)
                    self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(cors_headers(r), {})
                self.assertIsNone(r.header('Vary'))

    def test_errors_of_allowed_requests_carry_the_headers(self):
        origin = {'Origin': 'https://app.example.com'}
        missing = self.gw.request('GET', f'/{self.bucket}/no-such-key', headers=origin)
        self.assertError(missing, 404, 'NoSuchKey')
        self.assertEqual(missing.header('Access-Control-Allow-Origin'), 'https://app.example.com')
        # Anonymous on a private bucket: refused, and the browser may read why.
        denied = self.gw.request('GET', f'/{self.bucket}/obj', headers=origin, auth=None)
        self.assertError(denied, 403, 'AccessDenied')
        self.assertEqual(denied.header('Access-Control-Allow-Origin'), 'https://app.example.com')
        bad_signature = self.gw.request('PUT', f'/{self.bucket}/obj', headers=origin, body=b'new',
                                        credentials=Credentials(self.gw.credentials.access_key, 'x' * 40))
        self.assertError(bad_signature, 403, 'SignatureDoesNotMatch')
        self.assertEqual(bad_signature.header('Access-Control-Allow-Origin'), 'https://app.example.com')
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key='obj')['Body'].read(), b'cross-origin data')

    def test_a_bucket_without_rules_answers_no_cors_headers(self):
        plain = self.new_bucket()
        self.s3.put_object(Bucket=plain, Key='k', Body=b'v')
        r = self.gw.request('GET', f'/{plain}/k', headers={'Origin': 'https://app.example.com'})
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(cors_headers(r), {})


class BrowserUploadTests(GatewayTestCase):
    """A web page on another origin uploading with a form (POST Object): its
    preflight, and the headers that let its script read the answer, a refusal
    included (the form is read before the bucket is)."""

    ORIGIN = 'https://app.example.com'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket('cors')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_bucket_cors(Bucket=cls.bucket, CORSConfiguration={'CORSRules': [
            {'AllowedOrigins': [cls.ORIGIN], 'AllowedMethods': ['POST'], 'ExposeHeaders': ['ETag', 'Location']}]})

    def post_form(self, fields, data, origin):
        files = {'file': ('report.txt', data)}
        headers = {'Origin': origin} if origin else {}
        return requests.post(f'{self.gw.endpoint}/{self.bucket}', data=fields, files=files, headers=headers,
                             timeout=30, allow_redirects=False)

    def test_preflight_then_upload_from_an_allowed_origin(self):
        pre = self.gw.request('OPTIONS', f'/{self.bucket}', headers={
            'Origin': self.ORIGIN, 'Access-Control-Request-Method': 'POST'}, auth=None)
        self.assertEqual(pre.status, 200, repr(pre))
        self.assertEqual(pre.header('Access-Control-Allow-Methods'), 'POST')
        post = self.s3.generate_presigned_post(self.bucket, 'uploads/report.txt', ExpiresIn=600)
        r = self.post_form(post['fields'], b'from the browser', self.ORIGIN)
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(r.headers.get('Access-Control-Allow-Origin'), self.ORIGIN)
        self.assertEqual(r.headers.get('Access-Control-Expose-Headers'), 'ETag, Location')
        self.assertEqual(self.get_body(self.bucket, 'uploads/report.txt'), b'from the browser')

    def test_a_refused_upload_carries_the_headers_and_stores_nothing(self):
        post = self.s3.generate_presigned_post(self.bucket, 'uploads/forged.txt', ExpiresIn=600)
        fields = dict(post['fields'], **{'x-amz-signature': '0' * 64})
        r = self.post_form(fields, b'forged', self.ORIGIN)
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn('<Code>SignatureDoesNotMatch</Code>', r.text)
        self.assertEqual(r.headers.get('Access-Control-Allow-Origin'), self.ORIGIN)
        self.assertNoObject(self.bucket, 'uploads/forged.txt')

    def test_an_upload_from_another_origin_is_stored_without_the_headers(self):
        # CORS protects the page's reader, not the bucket: the signed form is served.
        post = self.s3.generate_presigned_post(self.bucket, 'uploads/elsewhere.txt', ExpiresIn=600)
        r = self.post_form(post['fields'], b'elsewhere', 'https://evil.example.com')
        self.assertEqual(r.status_code, 204, r.text)
        self.assertNotIn('Access-Control-Allow-Origin', r.headers)
        self.assertEqual(self.get_body(self.bucket, 'uploads/elsewhere.txt'), b'elsewhere')


if __name__ == '__main__':
    main()
