// AWS SDK for JavaScript v3 (@aws-sdk/client-s3) against a live ostor-gateway,
// with the SDK's default settings (request checksums WHEN_SUPPORTED: CRC32 in
// aws-chunked trailers for streamed bodies; response validation
// WHEN_SUPPORTED) except forcePathStyle. Run by ../node-sdk.sh, which starts
// the gateway and passes OSTOR_URL, OSTOR_KEY, OSTOR_SECRET, WORK.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { strict as assert } from 'node:assert';
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, PutObjectCommand,
  GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, paginateListObjectsV2,
  CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, DeleteBucketCommand,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  ListPartsCommand, ListMultipartUploadsCommand, AbortMultipartUploadCommand,
  GetBucketLocationCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const { OSTOR_URL, OSTOR_KEY, OSTOR_SECRET, WORK } = process.env;
if (!OSTOR_URL || !OSTOR_KEY || !OSTOR_SECRET || !WORK) {
  console.error('run me through tests/clients/node-sdk.sh');
  process.exit(2);
}
const MiB = 1024 * 1024;
const debug = process.env.OSTOR_CLIENT_DEBUG === '1';

function client(accessKeyId = OSTOR_KEY, secretAccessKey = OSTOR_SECRET, extra = {}) {
  return new S3Client({
    endpoint: OSTOR_URL,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1, // a failure is the gateway's; no retries that hide it
    logger: debug ? console : undefined,
    ...extra,
  });
}
const s3 = client();
// The default client (responseChecksumValidation WHEN_SUPPORTED) sends
// x-amz-checksum-mode: ENABLED on every GetObject by itself; this one only
// when asked to.
const s3WhenRequired = client(OSTOR_KEY, OSTOR_SECRET, { responseChecksumValidation: 'WHEN_REQUIRED' });
if (debug) {
  s3.middlewareStack.add((next) => async (args) => {
    console.error('>>', args.request.method, args.request.path, args.request.query, args.request.headers);
    const r = await next(args);
    console.error('<<', r.response.statusCode, r.response.headers);
    return r;
  }, { step: 'finalizeRequest', priority: 'low', name: 'ostorDump' });
}

const sha = (buf) => createHash('sha256').update(buf).digest('hex');
const md5 = (buf) => createHash('md5').update(buf).digest('hex');
function crc32b64(buf) { // CRC-32 (IEEE), base64 of the big-endian value, as S3 returns it
  let c = ~0 >>> 0;
  for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xEDB88320 & -(c & 1)); }
  const out = Buffer.alloc(4); out.writeUInt32BE((~c) >>> 0); return out.toString('base64');
}
function same(what, expected, actual) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.equal(sha(actual), sha(expected), `${what}: sha256`);
  console.error(`ok: ${what} (${actual.length} bytes, sha256 ${sha(actual).slice(0, 16)}...)`);
}
function ok(what) { console.error(`ok: ${what}`); }
async function bytes(res) { return Buffer.from(await res.Body.transformToByteArray()); }
async function rejects(what, promise, code, status) {
  try { await promise; } catch (e) {
    if (code) assert.equal(e.name, code, `${what}: error ${e.name} (${e.message}), expected ${code}`);
    if (status) assert.equal(e.$metadata?.httpStatusCode, status, `${what}: HTTP status`);
    ok(`${what}: ${e.name} ${e.$metadata?.httpStatusCode}`);
    return e;
  }
  assert.fail(`${what}: succeeded, expected ${code}`);
}
let stepName = '';
function step(name) { stepName = name; console.error(`\n=== ${name}`); }

const Bucket = 'clients-node-sdk';
const small = Buffer.from('hello from @aws-sdk/client-s3 ✓\n', 'utf8');
const mid = randomBytes(5 * MiB + 12345);
const midPath = `${WORK}/mid.bin`;
writeFileSync(midPath, mid);
const big = randomBytes(17 * MiB + 3);

async function main() {
  step('CreateBucket / HeadBucket / ListBuckets / GetBucketLocation');
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new HeadBucketCommand({ Bucket }));
  const lb = await s3.send(new ListBucketsCommand({}));
  assert.ok(lb.Buckets.some((b) => b.Name === Bucket), 'ListBuckets lists the bucket');
  await s3.send(new GetBucketLocationCommand({ Bucket }));
  // Of a bucket one owns already: in us-east-1 AWS answers 200 and changes nothing;
  // with a LocationConstraint (another region's request) BucketAlreadyOwnedByYou.
  await s3.send(new CreateBucketCommand({ Bucket }));
  await rejects('CreateBucket again, in eu-west-1',
    s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
    'BucketAlreadyOwnedByYou', 409);
  ok('bucket created');

  step('PutObject: string body');
  let put = await s3.send(new PutObjectCommand({
    Bucket, Key: 'small.txt', Body: small.toString('utf8'), ContentType: 'text/plain; charset=utf-8',
    Metadata: { color: 'blue', 'two-words': 'x y' },
  }));
  assert.equal(put.ETag, `"${md5(small)}"`, 'ETag of the string body');
  ok(`ETag ${put.ETag}, ChecksumCRC32 ${put.ChecksumCRC32}`);
  if (put.ChecksumCRC32) assert.equal(put.ChecksumCRC32, crc32b64(small), 'ChecksumCRC32 in the PutObject answer');

  step('PutObject: file stream body (aws-chunked with a CRC32 trailer)');
  put = await s3.send(new PutObjectCommand({ Bucket, Key: 'dir/mid.bin', Body: createReadStream(midPath) }));
  assert.equal(put.ETag, `"${md5(mid)}"`, 'ETag of the stream body');
  assert.equal(put.ChecksumCRC32, crc32b64(mid), 'ChecksumCRC32 of the stream body');
  ok(`ETag ${put.ETag}, ChecksumCRC32 ${put.ChecksumCRC32}`);

  step('PutObject: generic Readable with ContentLength');
  put = await s3.send(new PutObjectCommand({
    Bucket, Key: 'dir/readable.bin', Body: Readable.from([mid.subarray(0, MiB), mid.subarray(MiB)]), ContentLength: mid.length,
  }));
  assert.equal(put.ETag, `"${md5(mid)}"`, 'ETag of the Readable body');

  step('GetObject without and with ChecksumMode ENABLED');
  let get = await s3WhenRequired.send(new GetObjectCommand({ Bucket, Key: 'small.txt' }));
  assert.equal(get.ChecksumCRC32, undefined, 'no checksum without x-amz-checksum-mode');
  same('GetObject small.txt without x-amz-checksum-mode', small, await bytes(get));
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'small.txt' }));
  assert.equal(get.ChecksumCRC32, crc32b64(small), 'checksum with the default client (it sends x-amz-checksum-mode)');
  assert.equal(get.ContentType, 'text/plain; charset=utf-8');
  assert.deepEqual(get.Metadata, { color: 'blue', 'two-words': 'x y' });
  same('GetObject small.txt', small, await bytes(get));
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/mid.bin' }));
  same('GetObject dir/mid.bin', mid, await bytes(get));
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/mid.bin', ChecksumMode: 'ENABLED' }));
  assert.equal(get.ChecksumCRC32, crc32b64(mid), 'ChecksumCRC32 with ChecksumMode ENABLED');
  same('GetObject dir/mid.bin, checksum validated by the SDK', mid, await bytes(get));
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/readable.bin', ChecksumMode: 'ENABLED' }));
  same('GetObject dir/readable.bin', mid, await bytes(get));

  step('ranged GetObject');
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/mid.bin', Range: 'bytes=1000-1999' }));
  assert.equal(get.ContentRange, `bytes 1000-1999/${mid.length}`);
  assert.equal(get.ContentLength, 1000);
  same('range 1000-1999', mid.subarray(1000, 2000), await bytes(get));
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/mid.bin', Range: 'bytes=-100', ChecksumMode: 'ENABLED' }));
  assert.equal(get.ChecksumCRC32, undefined, 'no checksum on a ranged GET');
  same('range -100 with ChecksumMode ENABLED', mid.subarray(mid.length - 100), await bytes(get));
  await rejects('range past the end', s3.send(new GetObjectCommand({ Bucket, Key: 'small.txt', Range: 'bytes=100000-' })), 'InvalidRange', 416);

  step('HeadObject');
  let head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'dir/mid.bin' }));
  assert.equal(head.ContentLength, mid.length);
  assert.equal(head.ETag, `"${md5(mid)}"`);
  head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'dir/mid.bin', ChecksumMode: 'ENABLED' }));
  assert.equal(head.ChecksumCRC32, crc32b64(mid), 'HeadObject ChecksumCRC32');
  await rejects('HeadObject of a missing key', s3.send(new HeadObjectCommand({ Bucket, Key: 'nope' })), 'NotFound', 404);
  await rejects('GetObject of a missing key', s3.send(new GetObjectCommand({ Bucket, Key: 'nope' })), 'NoSuchKey', 404);
  await rejects('If-None-Match', s3.send(new GetObjectCommand({ Bucket, Key: 'small.txt', IfNoneMatch: `"${md5(small)}"` })), undefined, 304);
  ok('HeadObject');

  step('CopyObject (COPY and REPLACE, also onto the same key)');
  const cp = await s3.send(new CopyObjectCommand({ Bucket, Key: 'copy/small.txt', CopySource: `${Bucket}/small.txt` }));
  assert.equal(cp.CopyObjectResult.ETag, `"${md5(small)}"`);
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'copy/small.txt' }));
  assert.deepEqual(get.Metadata, { color: 'blue', 'two-words': 'x y' }, 'COPY keeps the metadata');
  same('copy of small.txt', small, await bytes(get));
  await s3.send(new CopyObjectCommand({
    Bucket, Key: 'small.txt', CopySource: `${Bucket}/small.txt`, MetadataDirective: 'REPLACE',
    ContentType: 'application/x-test', Metadata: { color: 'red' },
  }));
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'small.txt' }));
  assert.deepEqual(get.Metadata, { color: 'red' }, 'REPLACE onto the same key');
  assert.equal(get.ContentType, 'application/x-test');
  same('small.txt after copy onto itself', small, await bytes(get));
  await s3.send(new CopyObjectCommand({ Bucket, Key: 'copy/key with spaces+plus ü', CopySource: encodeURI(`${Bucket}/dir/mid.bin`) }));
  same('copy to a key with spaces', mid, await bytes(await s3.send(new GetObjectCommand({ Bucket, Key: 'copy/key with spaces+plus ü' }))));

  step('multipart with lib-storage Upload (17 MiB, 5 MiB parts, 4 at a time)');
  const up = new Upload({ client: s3, params: { Bucket, Key: 'big/upload.bin', Body: Readable.from([big]) }, partSize: 5 * MiB, queueSize: 4 });
  const done = await up.done();
  assert.match(done.ETag, /^"[0-9a-f]{32}-4"$/, 'multipart ETag');
  get = await s3.send(new GetObjectCommand({ Bucket, Key: 'big/upload.bin', ChecksumMode: 'ENABLED' }));
  assert.equal(get.ContentLength, big.length);
  same('GetObject big/upload.bin (multipart)', big, await bytes(get));

  step('multipart by hand: Create, UploadPart x2, ListParts, ListMultipartUploads, Complete; Abort');
  const cmu = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'big/manual.bin' }));
  const p1 = await s3.send(new UploadPartCommand({ Bucket, Key: 'big/manual.bin', UploadId: cmu.UploadId, PartNumber: 1, Body: big.subarray(0, 5 * MiB) }));
  const p2 = await s3.send(new UploadPartCommand({ Bucket, Key: 'big/manual.bin', UploadId: cmu.UploadId, PartNumber: 2, Body: big.subarray(5 * MiB, 6 * MiB) }));
  const lp = await s3.send(new ListPartsCommand({ Bucket, Key: 'big/manual.bin', UploadId: cmu.UploadId }));
  assert.deepEqual(lp.Parts.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 5 * MiB, p1.ETag], [2, MiB, p2.ETag]]);
  const lmu = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
  assert.ok(lmu.Uploads.some((u) => u.UploadId === cmu.UploadId && u.Key === 'big/manual.bin'), 'ListMultipartUploads');
  await s3.send(new CompleteMultipartUploadCommand({
    Bucket, Key: 'big/manual.bin', UploadId: cmu.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32 }, { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: p2.ChecksumCRC32 }] },
  }));
  same('big/manual.bin', big.subarray(0, 6 * MiB), await bytes(await s3.send(new GetObjectCommand({ Bucket, Key: 'big/manual.bin' }))));
  const ab = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'big/aborted.bin' }));
  await s3.send(new UploadPartCommand({ Bucket, Key: 'big/aborted.bin', UploadId: ab.UploadId, PartNumber: 1, Body: 'x' }));
  await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'big/aborted.bin', UploadId: ab.UploadId }));
  await rejects('ListParts of an aborted upload', s3.send(new ListPartsCommand({ Bucket, Key: 'big/aborted.bin', UploadId: ab.UploadId })), 'NoSuchUpload', 404);

  step('ListObjectsV2: pagination, prefix, delimiter');
  const keys = Array.from({ length: 23 }, (_, i) => `many/k${String(i).padStart(2, '0')}`);
  await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));
  const seen = []; let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 5 }, { Bucket, Prefix: 'many/' })) {
    pages++; for (const o of page.Contents ?? []) seen.push(o.Key);
  }
  assert.deepEqual(seen, keys, 'all keys, in order');
  assert.equal(pages, 5, 'pages of 5');
  const lo = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
  assert.deepEqual((lo.CommonPrefixes ?? []).map((p) => p.Prefix), ['big/', 'copy/', 'dir/', 'many/']);
  assert.deepEqual((lo.Contents ?? []).map((o) => o.Key), ['small.txt']);
  const lo2 = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'dir/', Delimiter: '/' }));
  assert.deepEqual(lo2.Contents.map((o) => [o.Key, o.Size]), [['dir/mid.bin', mid.length], ['dir/readable.bin', mid.length]]);
  ok(`${seen.length} keys in ${pages} pages; delimiter listing`);

  step('presigned GET and PUT (getSignedUrl) with fetch');
  let url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'dir/mid.bin' }), { expiresIn: 300 });
  let r = await fetch(url);
  assert.equal(r.status, 200, `presigned GET: ${r.status} ${await r.clone().text()}`);
  same('presigned GET', mid, Buffer.from(await r.arrayBuffer()));
  url = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key: 'presigned/put.bin' }), { expiresIn: 300 });
  r = await fetch(url, { method: 'PUT', body: mid });
  assert.equal(r.status, 200, `presigned PUT: ${r.status} ${await r.text()}`);
  same('object uploaded by presigned PUT', mid, await bytes(await s3.send(new GetObjectCommand({ Bucket, Key: 'presigned/put.bin' }))));
  url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'small.txt' }), { expiresIn: 1 });
  await sleep(2100);
  r = await fetch(url);
  assert.equal(r.status, 403, 'expired presigned URL');
  ok('expired presigned URL: 403');

  step('negative: wrong secret, unknown key');
  await rejects('wrong secret', client(OSTOR_KEY, 'wrong'.repeat(8)).send(new ListObjectsV2Command({ Bucket })), 'SignatureDoesNotMatch', 403);
  await rejects('unknown key', client('AKIAUNKNOWNUNKNOWN00', OSTOR_SECRET).send(new ListObjectsV2Command({ Bucket })), 'InvalidAccessKeyId', 403);

  step('DeleteObject / DeleteObjects / DeleteBucket');
  await rejects('DeleteBucket of a non-empty bucket', s3.send(new DeleteBucketCommand({ Bucket })), 'BucketNotEmpty', 409);
  await s3.send(new DeleteObjectCommand({ Bucket, Key: 'small.txt' }));
  await rejects('GetObject after DeleteObject', s3.send(new GetObjectCommand({ Bucket, Key: 'small.txt' })), 'NoSuchKey', 404);
  let total = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1000 }, { Bucket })) {
    const objs = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (!objs.length) continue;
    const del = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [...objs, { Key: 'never-existed' }] } }));
    assert.equal((del.Errors ?? []).length, 0, `DeleteObjects errors: ${JSON.stringify(del.Errors)}`);
    assert.equal(del.Deleted.length, objs.length + 1, 'DeleteObjects reports every key deleted');
    total += objs.length;
  }
  ok(`DeleteObjects removed ${total} objects`);
  const after = await s3.send(new ListObjectsV2Command({ Bucket }));
  assert.equal(after.KeyCount, 0, 'bucket empty');
  await s3.send(new DeleteBucketCommand({ Bucket }));
  await rejects('HeadBucket after DeleteBucket', s3.send(new HeadBucketCommand({ Bucket })), 'NotFound', 404);
}

main().then(() => { console.error('\nnode-sdk: all steps passed'); }, (e) => {
  console.error(`\nFAIL in step "${stepName}":`, e?.name, e?.message);
  if (e?.$metadata) console.error('  $metadata:', JSON.stringify(e.$metadata));
  if (e?.$response) console.error('  response:', e.$response.statusCode, JSON.stringify(e.$response.headers));
  if (e?.stack) console.error(e.stack);
  process.exit(1);
});
