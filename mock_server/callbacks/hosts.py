"""Callback hosts in one normalised form, and the addresses no callback may target.

A host is compared against the allow-list and sent in the same form, so a spelling the allow-list does
not see (``LOCALHOST``, ``localhost.``, ``bücher.example``) can neither slip past it nor reach a resolver
under another name. Which hosts are internal is judged from the URL alone: the fake never resolves a
name to decide (no DNS look-up ever happens for a host that is not delivered to).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import SplitResult

# Cloud metadata services by name; their addresses (169.254.169.254, fd00:ec2::254) are link-local
# or private and caught as addresses.
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def normalise_host(host: str) -> str:
    """``host`` lower-cased, without trailing dots, IDNA-encoded ("" when it cannot be encoded)."""
    host = host.strip().lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


@lru_cache(maxsize=1024)  # a few hosts, asked about at every submit naming one: parsed once each
def address_of(host: str) -> IPAddress | None:
    """The IP address a normalised host spells literally (IPv4-mapped IPv6 as IPv4), else None."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_internal(host: str) -> bool:
    """Whether a normalised host is a private, loopback, link-local, reserved or metadata address."""
    if host in METADATA_NAMES:
        return True
    address = address_of(host)
    return address is not None and not address.is_global


def with_host(parts: SplitResult, host: str) -> str:
    """The URL of ``parts`` with its host replaced by ``host`` (the port, path and query kept)."""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()
