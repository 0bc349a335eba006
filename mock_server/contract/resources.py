"""Where the contract, catalogues and fixtures live, installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader where PyYAML has it: the same documents as the pure-Python one, about 7x faster.
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def data_dir(name: str) -> Path:
    """The ``contracts`` or ``fixtures`` directory: packaged in the wheel, or beside the package."""
    packaged = Path(str(resources.files("mock_server"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"topview-mock data directory {name!r} is missing from this installation")
