"""Planted bug (polled-after-terminal): queries the finished task once more "to be sure"."""

import sys
import time

import kit_client as base


class Client(base.Client):
    def wait(self, task_id):
        super().wait(task_id)
        time.sleep(self.poll_interval)
        return dict(self.call("GET", "/v1/common_task/remove_background/query", params={"taskId": task_id}))


if __name__ == "__main__":
    sys.exit(base.main(Client))
