"""The admin plane's object-lock refusals on RADOS (docs/versioning.md,
"Admin refusals"), a part of guarantees.py's admin-changes case: the owner
of a bucket holding a locked version (COMPLIANCE retention; a legal hold) is
not deleted by the REST API, the CLI (ostor-s3-admin on the rados: spec) or
the admin tree, nor is the bucket by the system user's or its owner's S3
DeleteBucket; each refusal names the lock, and nothing changes. The versions
are written through one gateway and the refusals asked through the others,
the CLI and the tree: each reads the lock from the volume, not from a cache
of its own writes.
"""
import datetime
import errno
import json
import os
import subprocess

from botocore.exceptions import ClientError

from guarantees_lib import Failure, check, create_user, error_code, http_status, log, quote

CLI_TIMEOUT_S = 120


class LockedOwner:
    """A user whose one bucket (with object lock) holds a locked version,
    made through `writer`; `reason` is what every refusal must name, and
    `object_lock` the bucket's object_lock field in ?ostor-buckets (whose
    versioning field is Enabled)."""

    def __init__(self, admin_gw, system, writer, tag, lock):
        self.email, self.user_id, self.keys = create_user(admin_gw, system, tag)
        self.bucket = tag
        s3 = writer.client(self.keys)
        s3.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
        self.bodies = {}  # version id -> body
        if lock == "compliance":
            until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).replace(microsecond=0)
            put = s3.put_object(Bucket=self.bucket, Key="k", Body=b"retained", ObjectLockMode="COMPLIANCE",
                                ObjectLockRetainUntilDate=until)
            self.bodies[put["VersionId"]] = b"retained"
            self.reason = (f"bucket {self.bucket} holds versions under object lock until "
                           f"{until.strftime('%Y-%m-%dT%H:%M:%SZ')}")
            self.object_lock = {"locked_until": until.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "legal_holds": 0}
        else:
            put = s3.put_object(Bucket=self.bucket, Key="k", Body=b"held", ObjectLockLegalHoldStatus="ON")
            self.bodies[put["VersionId"]] = b"held"
            self.reason = f"bucket {self.bucket} holds 1 version under legal hold"
            self.object_lock = {"legal_holds": 1}

    def check_unchanged(self, gw, system, when):
        """The user, its bucket (with its object_lock field) and its versions
        are all there, as made, read through `gw`."""
        status, doc, body = gw.admin("GET", f"ostor-users&emailAddress={quote(self.email)}", system)
        check(status == 200 and doc["UserId"] == self.user_id, f"{when}: the user {self.email}: {status} {body!r}")
        doc = gw.admin_ok("GET", f"ostor-buckets&emailAddress={quote(self.email)}", system)
        # A bucket with object lock is versioned (Enabled) from its creation.
        check([(b["name"], b.get("object_lock"), b.get("versioning")) for b in doc["Buckets"]] ==
              [(self.bucket, self.object_lock, "Enabled")],
              f"{when}: the buckets of {self.email}: {doc['Buckets']}, expected {self.bucket} with {self.object_lock} "
              f"and versioning Enabled")
        s3 = gw.client(self.keys)
        listed = s3.list_object_versions(Bucket=self.bucket)
        check("DeleteMarkers" not in listed and sorted(v["VersionId"] for v in listed.get("Versions", [])) ==
              sorted(self.bodies), f"{when}: the versions of {self.bucket}: {listed.get('Versions')}")
        for version_id, body in self.bodies.items():
            got = s3.get_object(Bucket=self.bucket, Key="k", VersionId=version_id)["Body"].read()
            check(got == body, f"{when}: version {version_id} of {self.bucket} reads {got!r}")


def expect_bucket_not_empty(s3, bucket, reason, who):
    try:
        s3.delete_bucket(Bucket=bucket)
    except ClientError as e:
        message = e.response.get("Error", {}).get("Message", "")
        check(http_status(e) == 409 and error_code(e) == "BucketNotEmpty" and reason in message,
              f"{who}'s DeleteBucket of {bucket}: {http_status(e)} {error_code(e)} {message!r}, expected 409 "
              f"BucketNotEmpty naming {reason!r}")
        return
    raise Failure(f"{who}'s DeleteBucket of {bucket} under object lock succeeded")


def admin_refusals(owners, admin_gw, owner_gw, system, cli, spec):
    """The REST API (through admin_gw), the CLI, the system user's and the
    owner's S3 DeleteBucket (through owner_gw) refuse each owner's deletion
    and its bucket's, naming its lock; nothing changes."""
    for o in owners:
        status, doc, body = admin_gw.admin("DELETE", f"ostor-users&emailAddress={quote(o.email)}", system)
        check(status == 409 and doc and doc.get("Code") == "UserHasBuckets" and o.reason in doc.get("Message", ""),
              f"REST DELETE ?ostor-users of {o.email}: {status} {body!r}, expected 409 UserHasBuckets naming "
              f"{o.reason!r}")
        out = subprocess.run([cli, "delete-user", "-e", o.email, "--data", spec], capture_output=True, text=True,
                             timeout=CLI_TIMEOUT_S)
        check(out.returncode == 1 and out.stdout == "" and o.reason in out.stderr,
              f"ostor-s3-admin delete-user -e {o.email}: exit {out.returncode}, stdout {out.stdout!r}, stderr "
              f"{out.stderr!r}, expected exit 1 naming {o.reason!r}")
        expect_bucket_not_empty(admin_gw.client(system), o.bucket, o.reason, "the system user")
        expect_bucket_not_empty(owner_gw.client(o.keys), o.bucket, o.reason, "the owner")
        o.check_unchanged(admin_gw, system, "after the refusals")


def tree_refusals(tree, owners, gw, system):
    """The admin tree (a daemon of its own on the volume) shows each bucket's
    lock and versioning state as the REST API does and refuses rmdir of its
    owner (ENOTEMPTY, as for any owner of buckets) and of the bucket (EPERM:
    the tree deletes no bucket); nothing changes."""
    for o in owners:
        check(json.loads(tree.read(f"buckets/{o.bucket}/object-lock")) == o.object_lock,
              f"buckets/{o.bucket}/object-lock: {tree.read(f'buckets/{o.bucket}/object-lock')!r}, expected "
              f"{o.object_lock}")
        check(tree.read(f"buckets/{o.bucket}/versioning") == "Enabled\n",
              f"buckets/{o.bucket}/versioning: {tree.read(f'buckets/{o.bucket}/versioning')!r}, expected 'Enabled\\n'")
        for path, wanted in ((f"users/{o.email}", errno.ENOTEMPTY), (f"buckets/{o.bucket}", errno.EPERM)):
            try:
                os.rmdir(os.path.join(tree.mountpoint, path))
            except OSError as e:
                check(e.errno == wanted, f"rmdir {path} in the admin tree: {e}, expected {os.strerror(wanted)}")
            else:
                raise Failure(f"rmdir {path} in the admin tree succeeded under object lock")
        check(o.email in os.listdir(os.path.join(tree.mountpoint, "users")), f"the tree lost the user {o.email}")
        check(tree.read(f"users/{o.email}/buckets") == o.bucket + "\n", f"users/{o.email}/buckets changed")
        o.check_unchanged(gw, system, "after rmdir in the admin tree")
    log("admin-changes: the admin tree shows each locked bucket's object-lock and versioning as the REST API; "
        "rmdir of the owners ENOTEMPTY, of their buckets EPERM; all unchanged")
