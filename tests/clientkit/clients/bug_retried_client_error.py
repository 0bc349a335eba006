"""Planted bug (retried-client-error): retries every refusal, 4000-4006 and 4100 included."""

import sys

import kit_client as base


class Client(base.Client):
    def call(self, method, path, **kwargs):
        original = base.TRANSIENT
        base.TRANSIENT = {str(code) for code in range(4000, 7000)}  # every error looks worth another try
        try:
            return super().call(method, path, **kwargs)
        finally:
            base.TRANSIENT = original


if __name__ == "__main__":
    sys.exit(base.main(Client))
