"""Planted bug (unchecked-upload): submits the fileId right after the PUT, without /v1/upload/check."""

import sys

import kit_client as base


class Client(base.Client):
    def upload(self):
        credential = self.call("GET", "/v1/upload/credential", params={"format": "png"})
        self.put(credential["uploadUrl"])
        return str(credential["fileId"])


if __name__ == "__main__":
    sys.exit(base.main(Client))
