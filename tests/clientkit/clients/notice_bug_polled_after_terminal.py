"""Planted bug (polled-after-terminal, through a duplicate callback): fetches a task's result on every notice.

Topview may deliver a notice twice; this client takes the second as news and queries the finished task again.
"""

import sys

import notice_client as base


class Client(base.NoticeClient):
    def on_notice(self, notice):
        self.handle(str(notice.get("taskId")), notice)  # no memory of notices already handled


if __name__ == "__main__":
    sys.exit(base.main(Client))
