#!/usr/bin/env python3
"""boto3 helper for bench/gateway_load.sh and bench/rados_load.sh: sets up the bucket and objects,
presigns URLs (SigV4 query string, path-style, us-east-1) and checks what the
PUTs stored.

Environment: ENDPOINT (http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY.

  presign.py setup BUCKET KEY=FILE...      create BUCKET (if new), put each FILE as KEY
  presign.py urls get|put BUCKET KEY...    one presigned URL per KEY, one a line
  presign.py verify BUCKET SIZE KEY...     every KEY exists with SIZE bytes
  presign.py etag BUCKET KEY               the object's ETag, quotes stripped
  presign.py same BUCKET KEY FILE          the object's bytes equal FILE's (small objects)
  presign.py present BUCKET FILE KEY...    how many KEYs exist; each that does holds FILE's
                                           bytes (small objects; for a run that may not have
                                           reached every key)
"""
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

EXPIRES = 3600


def client():
    options = dict(
        s3={'addressing_style': 'path'},
        signature_version='s3v4',
        retries={'max_attempts': 1, 'mode': 'standard'},
        # No checksum headers the presigned URLs would not carry, and no CRC
        # pass over the large setup object.
        request_checksum_calculation='when_required',
        response_checksum_validation='when_required',
    )
    try:
        config = botocore.config.Config(**options)
    except TypeError:
        # botocore before 1.36 (Debian 12's 1.29) has neither option, nor
        # the default checksums they turn off.
        del options['request_checksum_calculation'], options['response_checksum_validation']
        config = botocore.config.Config(**options)
    return boto3.client('s3', endpoint_url=os.environ['ENDPOINT'], region_name='us-east-1',
                        aws_access_key_id=os.environ['AWS_ACCESS_KEY_ID'],
                        aws_secret_access_key=os.environ['AWS_SECRET_ACCESS_KEY'],
                        config=config)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    s3 = client()
    cmd, bucket, rest = argv[1], argv[2], argv[3:]
    if cmd == 'setup':
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as e:
            if e.response['Error']['Code'] not in ('BucketAlreadyOwnedByYou', 'BucketAlreadyExists'):
                raise
        for item in rest:
            key, path = item.split('=', 1)
            with open(path, 'rb') as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f, ContentLength=os.path.getsize(path))
    elif cmd == 'urls':
        op = {'get': 'get_object', 'put': 'put_object'}[bucket]
        bucket, keys = rest[0], rest[1:]
        for key in keys:
            print(s3.generate_presigned_url(op, Params={'Bucket': bucket, 'Key': key}, ExpiresIn=EXPIRES))
    elif cmd == 'verify':
        size, keys = int(rest[0]), rest[1:]
        bad = []
        for key in keys:
            try:
                got = s3.head_object(Bucket=bucket, Key=key)['ContentLength']
                if got != size:
                    bad.append(f'{key}: {got} bytes, expected {size}')
            except ClientError as e:
                bad.append(f'{key}: {e.response["Error"]["Code"]}')
        if bad:
            sys.exit(f'verify: {len(bad)} of {len(keys)} objects wrong: ' + '; '.join(bad[:5]))
        print(f'verify: {len(keys)} objects of {size} bytes present')
    elif cmd == 'etag':
        print(s3.head_object(Bucket=bucket, Key=rest[0])['ETag'].strip('"'))
    elif cmd == 'same':
        body = s3.get_object(Bucket=bucket, Key=rest[0])['Body'].read()
        with open(rest[1], 'rb') as f:
            if body != f.read():
                sys.exit(f'same: {bucket}/{rest[0]} differs from {rest[1]}')
    elif cmd == 'present':
        with open(rest[0], 'rb') as f:
            expected = f.read()
        keys = rest[1:]
        present, bad = 0, []
        for key in keys:
            try:
                body = s3.get_object(Bucket=bucket, Key=key)['Body'].read()
            except ClientError as e:
                if e.response['Error']['Code'] in ('NoSuchKey', '404'):
                    continue
                raise
            present += 1
            if body != expected:
                bad.append(f'{key}: {len(body)} bytes, not those of {rest[0]}')
        if bad:
            sys.exit(f'present: {len(bad)} of {present} objects wrong: ' + '; '.join(bad[:5]))
        print(present)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
