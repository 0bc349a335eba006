"""The checkout built into a wheel and installed outside it, once per test session (shared by xdist workers).

The packaging test and the README examples both run against this install, so the wheel is built once:
the first worker to need it builds it under a file lock, the others wait and reuse it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class InstalledWheel:
    """A wheel of the checkout and the directory it was installed into (``pip install --target``)."""

    wheel: Path
    site: Path

    @property
    def scripts(self) -> Path:
        """Where its console scripts (``topview-mock``) are."""
        return self.site / "bin"

    def env(self) -> dict[str, str]:
        """An environment whose ``python`` imports the installed copy and whose PATH finds its scripts first."""
        path = os.pathsep.join([str(self.scripts), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        return {**os.environ, "PYTHONPATH": str(self.site), "PATH": path}


def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """Build and install the wheel once for this session, whichever xdist worker asks first."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session only
    home = base / "installed-wheel"
    with (base / "installed-wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "done").exists():
            wheels = home / "wheels"
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)],
                check=True,
            )
            (wheel,) = wheels.glob("topview_mock-*.whl")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    "--target",
                    str(home / "site"),
                    str(wheel),
                ],
                check=True,
            )
            (home / "done").write_text(wheel.name)
    return InstalledWheel(home / "wheels" / (home / "done").read_text(), home / "site")
