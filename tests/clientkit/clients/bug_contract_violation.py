"""Planted bug (contract-violation): asks for a format the API does not take first, then falls back to png."""

import contextlib
import sys

import kit_client as base


class Client(base.Client):
    def upload(self):
        with contextlib.suppress(base.Failed):
            self.call("GET", "/v1/upload/credential", params={"format": "heic"})  # not in the format enum: 4000
        return super().upload()


if __name__ == "__main__":
    sys.exit(base.main(Client))
