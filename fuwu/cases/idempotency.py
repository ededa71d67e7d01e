"""Idempotency keys: the stored first answer of a request that created something.

The API's `@idempotent` decorator (`fuwu/api/idempotency.py`) claims a key at the start of the
request's transaction and records the answer at its end, so the key and the write commit
together or not at all. A second request with the key waits on the first one's unique row
(PostgreSQL) or the write lock (SQLite), then finds the stored answer: never two writes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from fuwu.cases.models import IdempotencyKey

KEEP = timedelta(hours=24)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes a retry "the same request": method, path and the body's JSON value (key
    order and white space do not count; a body that is not JSON counts byte for byte)."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(b"%s\n%s\n%s" % (method.encode(), path.encode(), canonical)).hexdigest()


def claim(
    user_id: int, key: str, *, method: str, path: str, digest: str
) -> tuple[IdempotencyKey, bool]:
    """Inside the request's transaction: the key's row and whether it is new (ours to answer).
    An existing row is an earlier request's committed answer; an expired one is forgotten."""
    now = timezone.now()
    IdempotencyKey.objects.filter(user_id=user_id, key=key, created_at__lt=now - KEEP).delete()
    found = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                user_id=user_id, key=key, method=method, path=path[:500], fingerprint=digest
            )
        return row, True
    except IntegrityError:
        # A request with the same key committed while we waited on its row: its answer is ours.
        return IdempotencyKey.objects.get(user_id=user_id, key=key), False


def record(row: IdempotencyKey, status: int, body: str) -> None:
    row.status = status
    row.body = body
    row.save(update_fields=["status", "body"])


def purge_expired(now: datetime | None = None) -> int:
    """Forget keys older than 24 hours (run by the worker's sweep)."""
    now = now or timezone.now()
    return IdempotencyKey.objects.filter(created_at__lt=now - KEEP).delete()[0]
