"""Verify a webhook delivery in Python with the official Standard Webhooks
library (pip install standardwebhooks).

    WEBHOOK_SECRET=whsec_... python3 verify.py "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" < body.json

In your server, call wh.verify with the raw body (bytes, before json.loads)
and the request's headers, then deduplicate on webhook-id (it is signed).
"""
import os
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> int:
    body = sys.stdin.buffer.read()
    try:
        wh = Webhook(os.environ.get("WEBHOOK_SECRET", ""))
        # verify checks the signature and that the timestamp is within five minutes.
        wh.verify(body, {"webhook-id": sys.argv[1], "webhook-timestamp": sys.argv[2], "webhook-signature": sys.argv[3]})
    except (WebhookVerificationError, IndexError, ValueError, RuntimeError):
        print("invalid")
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
