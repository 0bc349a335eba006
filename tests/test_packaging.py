"""The built wheel carries the contract and fixtures: installed outside the checkout, the fake finds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from built_wheel import InstalledWheel

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
import mock_server
from mock_server.contract.resources import data_dir
app = mock_server.create_app()
print(json.dumps({
    "package": mock_server.__file__,
    "contracts": str(data_dir("contracts")),
    "fixtures": str(data_dir("fixtures")),
    "operations": len(app.state.mock.contract.operations),
}))
"""


def test_wheel_installed_elsewhere_finds_its_contract_and_fixtures(
    tmp_path: Path, wheel_install: InstalledWheel
) -> None:
    names = zipfile.ZipFile(wheel_install.wheel).namelist()
    assert "mock_server/_data/contracts/topview.openapi.yaml" in names
    assert "mock_server/_data/contracts/catalogs.yaml" in names
    assert any(n.startswith("mock_server/_data/fixtures/") and n.endswith(".json") for n in names)
    assert "mock_server/py.typed" in names
    for asset in ("templates/dashboard.html", "static/dashboard.js", "static/dashboard.css"):
        assert f"mock_server/dashboard/{asset}" in names  # the dashboard works from the wheel, offline

    target = wheel_install.site
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    # -I keeps the checkout (and PYTHONPATH) off sys.path; the wheel's copy goes first, ahead of the
    # editable install of the checkout in this virtual environment.
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r})\n{PROBE}"],
        cwd=outside,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(target))
    assert found["contracts"].startswith(str(target))
    assert found["fixtures"].startswith(str(target))
    assert found["operations"] >= 99
