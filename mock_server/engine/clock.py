"""The fake's clock: every notion of time in the fake reads it, nothing reads the wall clock directly."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: virtual time starts here, so seeded runs repeat exactly.
LATEST = 32_503_680_000.0  # 3000-01-01T00:00:00Z: beyond it, dates (expiry times, ISO strings) cannot be written.


@dataclass
class Clock:
    """Virtual time in seconds since the Unix epoch.

    ``manual`` mode moves only through :meth:`advance`; ``realtime`` mode follows a monotonic source
    scaled by ``speed`` and can still be pushed forward with :meth:`advance`. Listeners run after every
    advance so that due work (task transitions, callback retries) happens without anybody polling.
    """

    mode: str = "manual"
    speed: float = 1.0
    start: float = EPOCH
    source: Callable[[], float] = time.monotonic
    _offset: float = 0.0
    _origin: float = field(default=0.0, init=False)
    _listeners: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("manual", "realtime"):
            raise ValueError(f"clock mode must be 'manual' or 'realtime', not {self.mode!r}")
        if self.speed <= 0:
            raise ValueError("clock speed must be positive")
        self._origin = self.source()

    def now(self) -> float:
        """The current virtual time."""
        if self.mode == "manual":
            return self.start + self._offset
        return self.start + self._offset + (self.source() - self._origin) * self.speed

    def advance(self, seconds: float) -> float:
        """Move virtual time forward and let listeners run due work; returns the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if not self.now() + seconds <= LATEST:  # also refuses NaN
            raise ValueError("the clock cannot move past the year 3000")
        self._offset += seconds
        self.notify()
        return self.now()

    def notify(self) -> None:
        """Run every listener once (called after advance, and by the realtime ticker)."""
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every advance or tick."""
        self._listeners.append(listener)

    def resume_at(self, now: float) -> None:
        """Stand at virtual time ``now`` (a restarted fake goes on from where its clock stood)."""
        self._offset += now - self.now()

    def reset(self) -> None:
        """Back to the start of virtual time."""
        self._offset = 0.0
        self._origin = self.source()
