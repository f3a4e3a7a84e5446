// The console's SHA-256, HMAC-SHA256 and SigV4 (gateway-lite/console/) against
// published vectors: FIPS 180's SHA-256 examples, RFC 4231's HMAC cases and
// the SigV4 examples of the S3 API reference (the ones
// tests/gateway/parts/test_signing.cpp checks the gateway's side with).
//   node test_signing.js CONSOLE_DIR
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const dir = process.argv[2] || path.join(__dirname, '..', '..', 'gateway-lite', 'console');
const context = vm.createContext({ TextEncoder });
for (const file of ['sha256.js', 'sigv4.js'])
  vm.runInContext(fs.readFileSync(path.join(dir, file), 'utf8'), context, { filename: file });
const ostor = vm.runInContext('globalThis.ostor', context);
const { sha256, hmacSha256, utf8, hex } = ostor;
const fromHex = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));

let checks = 0;
function check(name, got, want) {
  assert.strictEqual(got, want, name);
  checks++;
}

// FIPS 180-2 appendix B (and the empty message, and block-boundary lengths
// against Node's own implementation).
check('sha256 abc', hex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
check('sha256 two blocks',
  hex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
  '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
check('sha256 million a', hex(sha256(utf8('a'.repeat(1000000)))),
  'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
check('sha256 empty', hex(sha256(new Uint8Array(0))),
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
const nodeCrypto = require('crypto');
for (const n of [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
  const data = nodeCrypto.randomBytes(n);
  check(`sha256 of ${n} bytes`, hex(sha256(new Uint8Array(data))),
    nodeCrypto.createHash('sha256').update(data).digest('hex'));
}

// RFC 4231 test cases 1-4, 6 and 7 (5 truncates the output).
const rfc4231 = [
  ['0b'.repeat(20), hex(utf8('Hi There')), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  [hex(utf8('Jefe')), hex(utf8('what do ya want for nothing?')),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
  ['aa'.repeat(20), 'dd'.repeat(50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
  ['0102030405060708090a0b0c0d0e0f10111213141516171819', 'cd'.repeat(50),
    '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
  ['aa'.repeat(131), hex(utf8('Test Using Larger Than Block-Size Key - Hash Key First')),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ['aa'.repeat(131),
    hex(utf8('This is a test using a larger than block-size key and a larger than block-size data. ' +
      'The key needs to be hashed before being used by the HMAC algorithm.')),
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
];
rfc4231.forEach(([key, data, want], i) => check(`RFC 4231 case ${i}`, hex(hmacSha256(fromHex(key), fromHex(data))), want));

// SigV4: the S3 API reference's examples (examplebucket, 20130524).
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const example = (method, p, query, extra, payloadHash) => ostor.sign({
  method, path: p, query, payloadHash, region: 'us-east-1', service: 's3',
  accessKey: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  headers: { host: 'examplebucket.s3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-content-sha256': payloadHash, ...extra },
});
const getObject = example('GET', '/test.txt', [], { range: 'bytes=0-9' }, EMPTY);
check('GET Object string to sign', getObject.stringToSign,
  'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n' +
  '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
check('GET Object', getObject.authorization,
  'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
  'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
  'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
const body = 'Welcome to Amazon S3.';
check('PUT Object body hash', hex(sha256(utf8(body))), '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
check('PUT Object', example('PUT', '/test$file.text', [],
  { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
  hex(sha256(utf8(body)))).signature, '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
check('GET Bucket lifecycle', example('GET', '/', [['lifecycle', null]], {}, EMPTY).signature,
  'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
check('GET Bucket (parameters sorted)', example('GET', '/', [['prefix', 'J'], ['max-keys', '2']], {}, EMPTY).signature,
  '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');

// Signed with the day's signing key (what the console keeps) instead of the secret: the same signature.
const dayKey = ostor.signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
check('GET Object with the signing key', ostor.sign({
  method: 'GET', path: '/test.txt', query: [], payloadHash: EMPTY, region: 'us-east-1', service: 's3',
  accessKey: 'AKIAIOSFODNN7EXAMPLE', key: dayKey,
  headers: { host: 'examplebucket.s3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-content-sha256': EMPTY, range: 'bytes=0-9' },
}).signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');

// The admin API's queries: '@' and the bare service name as SigV4 encodes them.
check('canonical query', ostor.canonicalQuery([['ostor-users', null], ['emailAddress', 'a+b@example.com']]),
  'emailAddress=a%2Bb%40example.com&ostor-users=');
check('amz date', ostor.amzDate(new Date(Date.UTC(2013, 4, 24, 0, 0, 0, 123))), '20130524T000000Z');

console.log(`ok: ${checks} checks`);
