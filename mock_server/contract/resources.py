"""Where the contract, catalogues and fixtures live, installed or in a checkout, and how they are read."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

CACHE_ENV = "TOPVIEW_MOCK_CACHE"  # where parsed documents are kept; "off" reads the YAML every time


def __getattr__(name: str) -> Any:
    """``YAML_LOADER``: libyaml's loader where PyYAML has it (the same documents, about 7x faster).

    Made on first use, so that a start-up reading its documents from the cache never imports PyYAML.
    """
    if name == "YAML_LOADER":
        import yaml

        return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def data_dir(name: str) -> Path:
    """The ``contracts`` or ``fixtures`` directory: packaged in the wheel, or beside the package."""
    packaged = Path(str(resources.files("mock_server"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"topview-mock data directory {name!r} is missing from this installation")


def read_yaml(path: Path) -> Any:
    """The document in a YAML file, parsed once per version of its bytes and then read from a cache.

    Parsing the contract and the catalogues took most of a fake's start; their parsed form (plain data,
    written with ``marshal``) loads in a few milliseconds. The cache is keyed by the file's bytes and the
    Python version, so an edited file or another interpreter parses again; a cache that cannot be written
    or read is only skipped.
    """
    data = path.read_bytes()
    cache = _cache_file(path, data)
    if cache is not None:
        try:
            return marshal.loads(cache.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
    import yaml

    document = yaml.load(data, Loader=__getattr__("YAML_LOADER"))
    if cache is not None:
        _write_cache(cache, document)
    return document


def _cache_file(path: Path, data: bytes) -> Path | None:
    """Where the parsed form of ``data`` is kept, or None when caching is off."""
    root = os.environ.get(CACHE_ENV)
    if root == "off":
        return None
    if not root:
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(home, "topview-mock")
    key = hashlib.blake2b(data, digest_size=16, person=b"topview-mock")
    key.update(f"{sys.version_info[:2]} {marshal.version}".encode())
    return Path(root) / f"{path.stem}-{key.hexdigest()}.marshal"


def _write_cache(cache: Path, document: Any) -> None:
    """Keep a parsed document (whole or not at all: written aside, then moved in place)."""
    try:
        payload = marshal.dumps(document)
        cache.parent.mkdir(parents=True, exist_ok=True)
        aside = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        aside.write_bytes(payload)
        aside.replace(cache)
    except (OSError, ValueError):  # an unwritable home, or a value marshal cannot hold (a YAML date)
        pass
