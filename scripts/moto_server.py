"""moto's server for the test suites, with DynamoDB requests applied one at a time and transactions that
undo only what they touched.

Real DynamoDB applies every request, and every transaction, atomically: a conditional put and a counter
update of the same item never interleave. moto's threaded server runs each request in its own thread
without that isolation, so concurrent transactions can lose an update (the contract suites' concurrency
cases see a count of 11 after 12 likes). Serialising DynamoDB's requests gives back the isolation the
suites test for; S3 and SQS stay concurrent (SQS long polls must not wait on each other).

moto makes a transaction undoable by deep-copying the whole table, once for every item of the transaction,
before it writes anything. Darkroom keeps one table per deployment (one per test), and most of its writes
are transactions, so every like, follow or post copied everything the test had written so far: the
DynamoDB API suite ran four times as long as the Postgres one, and grew with every test added. Here a
transaction instead remembers the items it is about to touch (a copy of each, or that it was absent) and,
when moto cancels it, puts exactly those back: the same all-or-nothing outcome at the cost of the items
written, not of the table.

Two more costs every request paid, seen with py-spy while the DynamoDB suite ran: moto's dispatcher, under
a lock that every request takes, listed its own package directory (some 150 `stat` calls) to tell a service
name from a host name; and werkzeug logged each request's line through a handler lock. The directory does
not change while the server runs, so it is listed once; request lines are not logged (errors still are).

Usage: the same arguments as `moto_server` (scripts/services starts it).
"""

import copy
import functools
import logging
import sys
import threading

import moto.backends
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.server import main

logging.getLogger("werkzeug").setLevel(logging.WARNING)

_list_moto_modules = moto.backends.list_of_moto_modules
moto.backends.list_of_moto_modules = functools.lru_cache(maxsize=1)(lambda: tuple(_list_moto_modules()))

_one_at_a_time = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):
    with _one_at_a_time:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models: a table is "copied" as itself, since
    `_transact_write_items` below keeps its own undo log; every other copy is a real one."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


dynamodb_models.copy = _TablesNotCopied()
_moto_transact_write_items = DynamoDBBackend.transact_write_items


def _item_key(backend, operation):
    """The table and key an item of a transaction writes, as moto works them out; None when moto will
    refuse the item before writing it."""
    try:
        _, op = next(iter(operation.items()))
        table_name = op["TableName"]
        if "Item" in op:
            table = backend.get_table(table_name)
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        return table_name, key
    except Exception:  # noqa: BLE001 - moto reports the malformed item itself
        return None


def _transact_write_items(self, transact_items):
    undo = []
    for operation in transact_items:
        target = _item_key(self, operation)
        if target is None:
            continue
        table_name, key = target
        try:
            before = self.get_item(table_name, key)
        except Exception:  # noqa: BLE001 - an unknown table: moto answers for it
            continue
        undo.append((table_name, key, None if before is None else copy.deepcopy(before)))
    try:
        return _moto_transact_write_items(self, transact_items)
    except Exception:
        # moto rolled back by putting the same table objects in place, i.e. not at all: undo here, newest
        # first, so an item touched twice ends as it was before the first.
        for table_name, key, before in reversed(undo):
            table = self.get_table(table_name)
            if before is None:
                hash_value, range_value = self.get_keys_value(table, key)
                if table.get_item(hash_value, range_value) is not None:
                    table.delete_item(hash_value, range_value)
            else:
                table.put_item(before.to_json()["Attributes"], overwrite=True)
        raise


DynamoDBBackend.transact_write_items = _transact_write_items

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
