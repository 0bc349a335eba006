"""Planted bug (poll-too-fast): polls in a tight loop."""

import sys

import kit_client as base


class Client(base.Client):
    poll_interval = 0.0
    max_polls = 1000


if __name__ == "__main__":
    sys.exit(base.main(Client))
