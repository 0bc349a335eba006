"""Planted bug (retry-storm): retries transient errors at once, twenty times."""

import sys

import kit_client as base


class Client(base.Client):
    retries = 20
    backoff = 0.0


if __name__ == "__main__":
    sys.exit(base.main(Client))
