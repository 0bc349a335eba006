"""Planted bug (key-leak): sends its Topview headers, API key included, to the presigned upload URL."""

import sys

import kit_client as base


class Client(base.Client):
    def put(self, url):
        if self.http.put(url, content=base.PNG, headers=self.headers).status_code != 200:
            raise base.Failed("the upload was refused")


if __name__ == "__main__":
    sys.exit(base.main(Client))
