"""Settings of one fake: timing, seed, credits, accounts, limits, callback delivery."""

from __future__ import annotations

from dataclasses import dataclass, field

from .callbacks.policy import DeliveryPolicy
from .engine.tasks import Progression


@dataclass(frozen=True)
class MockConfig:
    """Everything a fake is configured with; the defaults suit in-process tests (manual clock)."""

    seed: int = 0
    clock_mode: str = "manual"  # manual (tests) or realtime (serve)
    clock_speed: float = 1.0
    progression: Progression = field(default_factory=Progression)
    credits: float = 1000.0
    accounts: dict[str, str] | None = None  # uid -> API key; None accepts any non-empty pair
    max_unfinished: int | None = None  # per-account limit on unfinished tasks (4007)
    max_body_bytes: int = 1_048_576  # larger JSON bodies are refused (4000)
    max_upload_bytes: int = 50 * 1_048_576
    upload_url_seconds: int = 3600
    result_url_seconds: int = 86_400  # X-Amz-Expires=86400 as seen on real result URLs
    storage_dir: str | None = None  # keep uploaded bytes on disk instead of in memory
    # Keep the whole state (accounts, tasks, files and their bytes, boards, credits, callbacks, ids, the
    # clock) in this directory, written before every answer, and take it back on start (persistence).
    data_dir: str | None = None
    journal_size: int = 10_000
    secret: bytes = b"topview-mock-presign"
    # Where result URLs inside callbacks point (requests carry their own base URL; callbacks have none).
    public_url: str = "https://api.topview.ai"
    # How callbacks (noticeUrl) are delivered: retries, allowed hosts (loopback plus the ones named here),
    # per-attempt timeout and the receiver-testing aids. ``mock.set_notice_policy`` changes it at run time.
    notice_policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
