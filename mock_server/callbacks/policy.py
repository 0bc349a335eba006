"""How the fake delivers task callbacks (noticeUrl): retry schedule, allowed hosts, testing aids.

Topview documents no retry count, interval, timeout or signature for callbacks (see the reference
README's "callback delivery policy" decision), so everything here is the fake's own choice, made
configurable so receivers can be tested against slow, repeated, late and reordered deliveries.

A noticeUrl is judged twice. At submit (and at check notice url) any public http(s) host is accepted,
as Topview accepts ngrok and webhook.site URLs; only private, link-local and metadata addresses are
refused (4000), unless the allow-list names them. At delivery only allowed hosts are contacted: loopback
and the configured ones. A notice for any other host is journalled as not delivered and never leaves
the fake — no connection, no DNS look-up.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

from .hosts import address_of, is_internal, normalise_host, with_host

MAX_NOTICE_URL_LENGTH = 1024
MAX_ATTEMPT_TIMEOUT = 3600  # real seconds: network timeouts beyond what sockets can be told are refused
LOOPBACK_HOSTS = ("localhost", "127.0.0.0/8", "::1")
ANY_HOST = "*"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Retry schedule, host allow-list and testing aids for callback delivery.

    Delays are in *virtual* seconds (the fake's clock) except ``attempt_timeout``, which bounds real
    network I/O and is therefore in real seconds.
    """

    max_attempts: int = 6
    # Virtual seconds between attempt 1 and 2; each later gap is ``backoff`` times the previous
    # one, capped at ``max_delay``.
    first_delay: float = 5.0
    backoff: float = 2.0
    max_delay: float = 600.0
    # REAL seconds for one HTTP attempt, connect to last byte: it bounds network I/O.
    attempt_timeout: float = 10.0
    # Added to the loopback hosts, which are always allowed. Entries are host names
    # ("hooks.test"), "*.suffix" wildcards, IP addresses or CIDR networks; "*" allows all.
    allowed_hosts: tuple[str, ...] = ()
    # Aid: every acknowledged notice is sent once more, with the same uuid.
    deliver_twice: bool = False
    # Aid: virtual seconds between the task finishing and the first attempt.
    extra_delay: float = 0.0
    # Aid: notices finished within this many virtual seconds of the first one are held, then
    # sent one after another in reverse order. 0 disables it.
    shuffle_window: float = 0.0
    # Finished deliveries beyond this many are evicted, oldest first; unfinished ones never.
    journal_limit: int = 10_000
    # Characters of each receiver reply kept in the journal.
    response_excerpt: int = 1000
    _networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.first_delay, self.max_delay, self.extra_delay, self.shuffle_window) < 0:
            raise ValueError("delays must not be negative")
        if self.backoff < 1:
            raise ValueError("backoff must be at least 1")
        if not 0 < self.attempt_timeout <= MAX_ATTEMPT_TIMEOUT:
            raise ValueError(f"attempt_timeout must be positive and at most {MAX_ATTEMPT_TIMEOUT} seconds")
        if self.journal_limit < 1 or self.response_excerpt < 0:
            raise ValueError("journal_limit must be positive and response_excerpt not negative")
        hosts = tuple(_entry(h) for h in self.allowed_hosts)
        object.__setattr__(self, "allowed_hosts", hosts)
        networks = tuple(_network(h) for h in (*LOOPBACK_HOSTS, *hosts))
        object.__setattr__(self, "_networks", tuple(n for n in networks if n is not None))

    def delay_after(self, attempt_number: int) -> float:
        """Virtual seconds between attempt ``attempt_number`` failing and the next attempt."""
        delay = self.first_delay
        for _ in range(attempt_number - 1):
            if delay >= self.max_delay:
                break  # early, so that a large attempt number cannot overflow the float
            delay *= self.backoff
        return min(delay, self.max_delay)

    def allows_host(self, host: str) -> bool:
        """Whether callbacks may be sent to ``host`` (a name or an IP literal, without brackets)."""
        host = normalise_host(host)
        if ANY_HOST in self.allowed_hosts:
            return True
        if any(h.startswith("*.") and host.endswith(h[1:]) for h in self.allowed_hosts):
            return True
        return self.names(host)

    def names(self, host: str) -> bool:
        """Whether the allow-list names this normalised host itself (not through ``*`` or ``*.suffix``)."""
        if host in ("localhost", *self.allowed_hosts):
            return True
        address = address_of(host)
        return address is not None and any(address in network for network in self._networks)

    def describe_allowed(self) -> str:
        """The allow-list as a human-readable list, for error messages."""
        return ", ".join(dict.fromkeys((*LOOPBACK_HOSTS, *self.allowed_hosts)))


def check_notice_url(url: str, policy: DeliveryPolicy) -> str | None:
    """Why ``url`` cannot be accepted as a noticeUrl (at submit, at check notice url), or None when it can."""
    if not isinstance(url, str):  # callers may pass raw JSON values straight through
        return "noticeUrl must be a string"
    problem, host, internal = _judged(url)
    if problem is not None:
        return problem
    if internal and not policy.names(host):
        return (
            f"noticeUrl host '{host}' is a private, link-local or metadata address; "
            f"callbacks go to public hosts or to ones the fake allows (--notice-host {host})"
        )
    return None


@lru_cache(maxsize=1024)
def _judged(url: str) -> tuple[str | None, str, bool]:
    """What makes ``url`` unusable (None: nothing), its host as compared, and whether that host is internal.

    Kept per URL: a client sends the same noticeUrl with every submit, and parsing it cost more than every
    other check of the submit together.
    """
    problem = _syntax_problem(url)
    if problem is not None:
        return problem, "", False
    host = normalise_host(urlsplit(url).hostname or "")
    return None, host, is_internal(host)


def _syntax_problem(url: str) -> str | None:
    """What makes ``url`` no usable http(s) URL, whatever the policy (``url`` a string: the callers check)."""
    if not url:
        return "noticeUrl must not be empty"
    if len(url) > MAX_NOTICE_URL_LENGTH:
        return f"noticeUrl must be at most {MAX_NOTICE_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "noticeUrl must not contain whitespace or control characters"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return "noticeUrl must use http or https"
    problem = _authority_problem(parts)
    if problem is not None:
        return problem
    if not normalise_host(parts.hostname or ""):
        return "noticeUrl has an invalid host"
    return None


def normalise_notice_url(url: str) -> str:
    """``url`` with its host in the one form the allow-list compares and delivery uses (as is if malformed)."""
    if not isinstance(url, str) or _judged(url)[0] is not None:
        return url
    return _normalised(url)


@lru_cache(maxsize=1024)
def _normalised(url: str) -> str:
    parts = urlsplit(url)
    return with_host(parts, normalise_host(parts.hostname or ""))


def delivery_problem(url: str, policy: DeliveryPolicy) -> str | None:
    """Why a notice to ``url`` is not delivered under ``policy`` (it is never contacted), or None."""
    problem = check_notice_url(url, policy)
    if problem is not None:
        return f"not delivered: {problem}"
    host = normalise_host(urlsplit(url).hostname or "")
    if not policy.allows_host(host):
        return (
            f"not delivered: host not allowed; to deliver callbacks to {host}, start the fake with "
            f"--notice-host {host} (or add it to allowedHosts: PUT /_mock/callbacks/policy)"
        )
    return None


def _authority_problem(parts: SplitResult) -> str | None:
    """Problems with the host/userinfo/port part of a parsed noticeUrl."""
    if "@" in parts.netloc:
        return "noticeUrl must not contain user credentials"
    if not parts.hostname:
        return "noticeUrl must have a host"
    try:
        _ = parts.port  # parsing the port is the check
    except ValueError:
        return "noticeUrl has an invalid port"
    return None


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """``entry`` as an IP network when it is an address or CIDR, else None (it is a host name)."""
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def _entry(entry: str) -> str:
    """An allow-list entry in the form hosts are compared in (``*`` and ``*.suffix`` kept as patterns)."""
    entry = entry.strip()
    if entry == ANY_HOST:
        return entry
    if entry.startswith("*."):
        return "*." + normalise_host(entry[2:])
    return normalise_host(entry)
