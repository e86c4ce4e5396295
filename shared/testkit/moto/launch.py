"""Start moto_server, with one fix to its DynamoDB transactions' cost.

moto's transact_write_items snapshots a table for rollback once per action
of the transaction (copy.deepcopy inside its per-item loop), so a 100-action
transaction on a table of thousands of items copies it 100 times. This
launcher makes that snapshot once per table per transaction. The snapshot is
taken before any action applies, so every copy of one transaction is the
same and reusing it changes nothing but the time. Everything else is plain
moto_server, with its own command-line flags.
"""
import copy
import sys

try:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class _SnapshotOnce:
        cache = None

        def deepcopy(self, x, memo=None):
            if self.cache is not None and isinstance(x, Table):
                key = id(x)
                if key not in self.cache:
                    self.cache[key] = copy.deepcopy(x)
                return self.cache[key]
            return copy.deepcopy(x, memo)

        def __getattr__(self, name):
            return getattr(copy, name)

    _shim = _SnapshotOnce()
    _original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        _shim.cache = {}
        try:
            return _original(self, transact_items)
        finally:
            _shim.cache = None

    models.copy = _shim
    models.DynamoDBBackend.transact_write_items = transact_write_items
except Exception as exc:  # an unknown moto layout: run it as it is
    print("moto launcher: transaction patch not applied: %r" % (exc,), file=sys.stderr)

from moto.server import main

sys.exit(main(sys.argv[1:]))
