"""Verify a webhook delivery in Python, with the standard library only.

    WEBHOOK_SECRET=... python3 verify.py "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" < body.json

In your server, call verify with the headers and the raw body (bytes, before
json.loads).
"""
import hashlib
import hmac
import os
import sys
import time


def verify(secret: str, timestamp: str, signature: str, body: bytes) -> bool:
    if not timestamp or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 5 * 60:
        return False  # missing, or too old: a replay
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    want = "v1=" + mac.hexdigest()
    return any(hmac.compare_digest(got, want) for got in (signature or "").split(" "))


if __name__ == "__main__":
    ok = len(sys.argv) == 3 and verify(os.environ.get("WEBHOOK_SECRET", ""), sys.argv[1], sys.argv[2], sys.stdin.buffer.read())
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)
