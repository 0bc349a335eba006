"""Credit amounts: exact decimals to the thousandth in the ledger, plain JSON numbers at the edge.

Floats drift (``1000 - 2.2`` reads ``997.8000000000001`` after a few refunds); the ledger keeps
:class:`~decimal.Decimal` amounts quantised to 0.001 credit, the finest step Topview's prices use
("0.000" is the documented default of ``costCredit``), so sums and differences are exact. Responses show
the same amount as the shortest float that reads back to it (``997.8``, never ``-0.0``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Final

STEP: Final = Decimal("0.001")
ZERO: Final = Decimal("0.000")
# The largest balance the fake holds: every amount up to it is exact as a JSON number (a double).
MAX_CREDITS: Final = Decimal(10**12)


def credits(amount: float | int | str | Decimal) -> Decimal:
    """``amount`` as an exact ledger amount (a float is read as the decimal it prints as)."""
    if type(amount) is float and amount != 0.0:  # 0.0 and -0.0 would share a cache entry: two amounts
        return _from_float(amount)
    return _exact(amount)


@lru_cache(maxsize=1024)  # prices are a few floats used over and over: reading one cost more than admitting a task
def _from_float(amount: float) -> Decimal:
    return _exact(amount)  # NaN never matches an entry: refused each time


def _exact(amount: float | int | str | Decimal) -> Decimal:
    exact = amount if isinstance(amount, Decimal) else Decimal(repr(amount) if isinstance(amount, float) else amount)
    if not exact.is_finite():
        raise ValueError(f"a credit amount must be finite, not {amount!r}")
    if abs(exact) > MAX_CREDITS:
        raise ValueError(f"a credit amount must be at most {MAX_CREDITS:,} credits")
    return exact.quantize(STEP, rounding=ROUND_HALF_UP)


def credit_number(amount: Decimal) -> float:
    """An amount as the JSON number a response shows: ``997.8``, ``5.0``, ``0.0`` (never ``-0.0``)."""
    # Amounts have at most 3 decimals and 13 digits before them, so the double's shortest repr is exact.
    return float(amount) + 0.0  # + 0.0 turns -0.0 into 0.0


def shown(amount: Decimal) -> str:
    """An amount in a message: ``2.2``, ``1000``."""
    return f"{(amount + 0).normalize():f}"  # + 0 turns -0 into 0
