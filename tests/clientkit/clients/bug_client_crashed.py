"""Planted bug (client-crashed): trusts every answer to carry a result, so an error envelope raises a TypeError."""

import sys

import kit_client as base


class Client(base.Client):
    def call(self, method, path, **kwargs):
        response = self.http.request(method, self.base_url + path, headers=self.headers, **kwargs)
        return response.json()["result"]  # None on any error: the next ["taskId"] is an uncaught TypeError


if __name__ == "__main__":
    sys.exit(base.main(Client))
