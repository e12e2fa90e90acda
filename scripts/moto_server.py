"""moto's server for the test suites, with DynamoDB requests applied one at a time.

Real DynamoDB applies every request, and every transaction, atomically: a conditional put and a counter
update of the same item never interleave. moto's threaded server runs each request in its own thread
without that isolation, so concurrent transactions can lose an update (the contract suites' concurrency
cases see a count of 11 after 12 likes). Serialising DynamoDB's requests gives back the isolation the
suites test for; S3 and SQS stay concurrent (SQS long polls must not wait on each other).

Usage: the same arguments as `moto_server` (scripts/services starts it).
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_one_at_a_time = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):
    with _one_at_a_time:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
