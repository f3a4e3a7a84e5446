#!/usr/bin/env python3
"""A full disk. The gateway's data directory is a small ext4 file system
(a loop-mounted image, as close to production as a test gets; tmpfs would
not do: the engine uses O_DIRECT and punch-hole). Writers fill it through
the gateway until it refuses them:

  * every refusal is 503 (never a 500: LMDB reports a commit whose write came
    up short as EIO, which the engine must tell apart from a failing disk);
  * every acknowledged object reads back byte-exact, also after a restart;
  * multipart parts, completes and copies on the full disk are refused the
    same way, and the usage checkpoint failing for lack of space does not
    take the gateway down;
  * after some objects are deleted, writes succeed again.

Needs root (mount) and e2fsprogs; without them the test fails, it does not
skip."""

import hashlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time

from harness import Gateway, GatewayTestCase, MiB, main, skip_on_rados

IMAGE_MIB = 48
# Refusals each writer must see before the disk counts as full.
REFUSALS_PER_WRITER = 12
WRITERS = 4
# Bounds of the fill: requests and seconds.
MAX_REQUESTS = 4000
MAX_FILL_SECONDS = 120
SIZES = [0, 1, 3000, 70000, 700000, MiB, 3 * MiB]
META = 'm' * 1500  # user metadata makes each commit write more pages
# Usage statistics periods of the short-commit gateway: each stores an object.
STAT_PERIOD_S = 2


def mount_small_ext4(cls):
    """Mounts a fresh IMAGE_MIB ext4 image at cls.mnt (unmounted and removed
    at class cleanup); fails without root."""
    cls.tmp = tempfile.mkdtemp(prefix='ostor-disk-full-')
    cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
    image = os.path.join(cls.tmp, 'fs.img')
    cls.mnt = os.path.join(cls.tmp, 'mnt')
    os.mkdir(cls.mnt)
    with open(image, 'wb') as f:
        f.truncate(IMAGE_MIB * MiB)
    subprocess.run(['mkfs.ext4', '-q', '-F', '-m', '0', image], check=True, capture_output=True)
    mounted = subprocess.run(['mount', '-o', 'loop', image, cls.mnt], capture_output=True, text=True)
    if mounted.returncode != 0:
        raise RuntimeError(f'cannot loop-mount an ext4 image (this test needs root): {mounted.stderr.strip()}')

    def unmount():
        for _ in range(50):  # a process that just exited may still hold it for a moment
            if subprocess.run(['umount', cls.mnt], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f'cannot unmount {cls.mnt}')

    cls.addClassCleanup(unmount)


@skip_on_rados('fills a small ext4 data directory')
class DiskFullTests(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        mount_small_ext4(cls)
        cls.gw = Gateway()
        cls.gw.data_dir = os.path.join(cls.mnt, 'data')
        os.makedirs(cls.gw.data_dir)
        with open(os.path.join(cls.gw.data_dir, 'gw.conf'), 'w') as f:
            f.write('S3_GW_COLLECT_STAT=1\n')
        cls.gw.start()
        cls.addClassCleanup(cls._stop_gateway)
        cls.s3 = cls.gw.client()

    def fill(self, bucket, prefix):
        """Writers PUT objects of mixed sizes until each was refused
        REFUSALS_PER_WRITER times. Returns ({key: sha256}, [unexpected answers])."""
        acked, bad = {}, []
        lock = threading.Lock()
        deadline = time.monotonic() + MAX_FILL_SECONDS
        counter = iter(range(MAX_REQUESTS))

        def writer(w):
            rnd = random.Random(w)
            refused = 0
            while refused < REFUSALS_PER_WRITER and time.monotonic() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                # Later on, mostly small objects: they need metadata more than data.
                size = rnd.choice(SIZES if refused < REFUSALS_PER_WRITER // 2 else SIZES[:4])
                data = os.urandom(size)
                key = f'{prefix}/{w}/' + 'k' * rnd.randrange(1, 300) + f'-{i}'
                try:
                    r = self.gw.request('PUT', f'/{bucket}/{key}', body=data, headers={'x-amz-meta-m': META},
                                        timeout=60)
                except OSError as e:
                    with lock:
                        bad.append((key, 'connection', repr(e)))
                    continue
                with lock:
                    if r.status == 200:
                        acked[key] = hashlib.sha256(data).hexdigest()
                    elif r.status == 503 and r.error_code:
                        refused += 1
                    else:
                        bad.append((key, r.status, r.body[:300]))
                        refused += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return acked, bad

    def assertAllReadBack(self, bucket, acked):
        for key, digest in acked.items():
            r = self.gw.request('GET', f'/{bucket}/{key}', timeout=60)
            self.assertEqual(r.status, 200, f'{key}: {r!r}')
            self.assertEqual(hashlib.sha256(r.body).hexdigest(), digest, key)

    def free_space(self, bucket, acked, keep):
        """Deletes every acknowledged object but `keep` of them (by key order)."""
        keys = sorted(acked)
        for key in keys[keep:]:
            r = self.gw.request('DELETE', f'/{bucket}/{key}')
            self.assertEqual(r.status, 204, repr(r))
            del acked[key]

    def test_fill_refuse_restart_recover(self):
        bucket = 'fill'
        self.s3.create_bucket(Bucket=bucket)
        # Started before the disk fills: finished while it is full.
        uid = self.s3.create_multipart_upload(Bucket=bucket, Key='mpu')['UploadId']
        part = self.s3.upload_part(Bucket=bucket, Key='mpu', UploadId=uid, PartNumber=1, Body=b'p' * (5 * MiB))
        self.put(bucket, 'copy-src', os.urandom(MiB))

        acked, bad = self.fill(bucket, 'a')
        self.assertEqual(bad, [], 'answers other than 200 or 503 while filling')
        self.assertGreater(len(acked), 10)
        self.assertTrue(self.gw.alive())

        # Other writes on the full disk: refused with 503 when refused at all.
        for name, send in [
            ('upload part', lambda: self.gw.request('PUT', f'/{bucket}/mpu', f'partNumber=2&uploadId={uid}',
                                                     body=b'q' * (2 * MiB))),
            ('create multipart', lambda: self.gw.request('POST', f'/{bucket}/mpu2', 'uploads')),
            ('copy', lambda: self.gw.request('PUT', f'/{bucket}/copy-dst',
                                             headers={'x-amz-copy-source': f'/{bucket}/copy-src'})),
            ('complete', lambda: self.gw.request(
                'POST', f'/{bucket}/mpu', f'uploadId={uid}',
                body=(f'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part["ETag"]}</ETag>'
                      '</Part></CompleteMultipartUpload>').encode())),
        ]:
            with self.subTest(op=name):
                r = send()
                self.assertIn(r.status, (200, 503), repr(r))
                if r.status == 503:
                    self.assertEqual(r.error_code, 'ServiceUnavailable', repr(r))
        self.assertEqual(self.gw.request('PUT', f'/{bucket}/part-big', body=os.urandom(8 * MiB)).status, 503)

        # Usage checkpoints have been failing for lack of space meanwhile; the
        # gateway lives on. Everything acknowledged survives a restart.
        time.sleep(1.5)
        self.assertTrue(self.gw.alive())
        self.assertAllReadBack(bucket, acked)
        self.gw.restart()
        type(self).s3 = self.gw.client()
        self.assertAllReadBack(bucket, acked)
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='copy-src')['ContentLength'], MiB)

        # Space freed: writes succeed again, and a second fill behaves the same.
        self.free_space(bucket, acked, keep=len(acked) // 4)
        for i in range(8):
            data = os.urandom(256 * 1024)
            r = self.gw.request('PUT', f'/{bucket}/after/{i}', body=data)
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(self.get_body(bucket, f'after/{i}'), data)
        more, bad = self.fill(bucket, 'b')
        self.assertEqual(bad, [], 'answers other than 200 or 503 while filling again')
        acked.update(more)
        self.assertAllReadBack(bucket, acked)
        self.free_space(bucket, acked, keep=0)
        r = self.gw.request('PUT', f'/{bucket}/last', body=b'x' * MiB)
        self.assertEqual(r.status, 200, repr(r))


@skip_on_rados('makes LMDB page writes come up short')
class ShortCommitTests(GatewayTestCase):
    """A commit whose page writes come up short (LMDB: EIO) on a full disk is
    503 and changes nothing; on a disk with room it is a real I/O error (500).
    The short writes come from short_write_shim (LD_PRELOAD), the full disk
    from a file that takes all but a little of the file system."""

    @classmethod
    def setUpClass(cls):
        shim = os.environ.get('OSTOR_SHORT_WRITE_SHIM') or os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            'build', 'tests', 'gateway', 'libshort_write_shim.so')
        if not os.path.exists(shim):
            raise RuntimeError(f'{shim} not found (build tests/gateway or set OSTOR_SHORT_WRITE_SHIM)')
        mount_small_ext4(cls)
        cls.trigger = os.path.join(cls.tmp, 'short-writes')
        saved = dict(os.environ)
        os.environ.update({'LD_PRELOAD': shim, 'OSTOR_SHORT_WRITE_TRIGGER': cls.trigger,
                           'ASAN_OPTIONS': os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'})
        try:
            cls.gw = Gateway()
            cls.gw.data_dir = os.path.join(cls.mnt, 'data')
            os.makedirs(cls.gw.data_dir)
            with open(os.path.join(cls.gw.data_dir, 'gw.conf'), 'w') as f:
                f.write(f'S3_GW_COLLECT_STAT=1\nS3_GW_STAT_PERIOD={STAT_PERIOD_S}\n')
            cls.gw.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        cls.addClassCleanup(cls._stop_gateway)
        cls.s3 = cls.gw.client()

    def short_writes(self, on):
        if on:
            open(self.trigger, 'w').close()
        elif os.path.exists(self.trigger):
            os.unlink(self.trigger)

    def fill_disk(self, leave_bytes):
        """A file that takes all the space but `leave_bytes`; returns its path."""
        path = os.path.join(self.mnt, 'filler')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.addCleanup(self.remove_filler)
        try:
            # Most of it at once (the file system keeps some blocks for its
            # own extent tree), then a block at a time.
            st = os.statvfs(self.mnt)
            want = st.f_bavail * st.f_frsize - leave_bytes
            while want > 0:
                try:
                    os.posix_fallocate(fd, 0, want)
                    break
                except OSError:
                    want -= 64 * 1024
            block = b'\0' * st.f_frsize
            while os.statvfs(self.mnt).f_bavail * st.f_frsize > leave_bytes:
                try:
                    os.write(fd, block)
                except OSError:
                    break
        finally:
            os.close(fd)
        return path

    def remove_filler(self):
        path = os.path.join(self.mnt, 'filler')
        if os.path.exists(path):
            os.unlink(path)

    def test_short_commit_on_full_disk_is_503_and_changes_nothing(self):
        self.s3.create_bucket(Bucket='short')
        self.put('short', 'keep', b'kept data')
        self.fill_disk(leave_bytes=200 * 1024)
        self.addCleanup(self.short_writes, False)
        self.short_writes(True)
        r = self.gw.request('DELETE', '/short/keep')
        self.assertError(r, 503, 'ServiceUnavailable')
        r = self.gw.request('PUT', '/short-2')
        self.assertError(r, 503, 'ServiceUnavailable')
        self.short_writes(False)
        self.assertEqual(self.get_body('short', 'keep'), b'kept data')
        self.assertEqual(self.gw.request('HEAD', '/short-2').status, 404)
        # The store goes on: the delete now succeeds.
        self.assertEqual(self.gw.request('DELETE', '/short/keep').status, 204)
        self.assertNoObject('short', 'keep')

    def test_short_commit_with_room_is_an_io_error(self):
        # Not every EIO is a full disk: with room left it stays a 500.
        self.s3.create_bucket(Bucket='short-room')
        self.addCleanup(self.short_writes, False)
        self.short_writes(True)
        r = self.gw.request('PUT', '/short-room-2')
        self.assertError(r, 500, 'InternalError')
        self.short_writes(False)
        self.assertEqual(self.gw.request('HEAD', '/short-room-2').status, 404)
        self.assertEqual(self.gw.request('PUT', '/short-room-2').status, 200)


    def test_usage_statistics_on_full_disk(self):
        # Checkpoints (a file) and period objects (a commit) fail for lack of
        # space: the gateway logs it, serves on, and stores them once it can.
        self.fill_disk(leave_bytes=0)
        self.addCleanup(self.short_writes, False)
        self.short_writes(True)
        deadline = time.monotonic() + 3 * STAT_PERIOD_S
        while time.monotonic() < deadline:
            self.assertServing()  # counted: the counters stay dirty
            time.sleep(0.2)
        self.assertTrue(self.gw.alive())
        log = self.gw.stderr_text()
        self.assertIn('usage checkpoint failed', log)
        self.assertIn('cannot store s3-usage-', log)
        self.short_writes(False)
        self.remove_filler()
        deadline = time.monotonic() + 3 * STAT_PERIOD_S
        while time.monotonic() < deadline:
            r = self.gw.request('GET', '/', 'ostor-usage')
            self.assertEqual(r.status, 200, repr(r))
            if b's3-usage-' in r.body:
                break
            time.sleep(0.3)
        self.assertIn(b's3-usage-', r.body)


if __name__ == '__main__':
    main()
