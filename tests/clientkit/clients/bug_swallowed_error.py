"""Planted bug (swallowed-error): any failure is reported as success."""

import os
import sys

import kit_client as base

if __name__ == "__main__":
    client = base.Client(os.environ["TOPVIEW_BASE_URL"], os.environ["TOPVIEW_UID"], os.environ["TOPVIEW_API_KEY"])
    try:
        base.run(client)
    except base.Failed:
        print("done")  # the error is dropped on the floor
    sys.exit(0)
