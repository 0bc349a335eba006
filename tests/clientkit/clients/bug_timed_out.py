"""Planted bug (timed-out): waits for success only, so a failed task is polled forever."""

import sys
import time

import kit_client as base


class Client(base.Client):
    def wait(self, task_id):
        while True:
            result = self.call("GET", "/v1/common_task/remove_background/query", params={"taskId": task_id})
            if str(result.get("status")).lower() in base.DONE:
                return dict(result)
            time.sleep(self.poll_interval)


if __name__ == "__main__":
    sys.exit(base.main(Client))
