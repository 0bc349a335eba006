"""Credit amounts: exact decimals to the thousandth in the ledger, plain JSON numbers at the edge.

Floats drift (``1000 - 2.2`` reads ``997.8000000000001`` after a few refunds); the ledger keeps
:class:`~decimal.Decimal` amounts quantised to 0.001 credit, the finest step Topview's prices use
("0.000" is the documented default of ``costCredit``), so sums and differences are exact. Responses show
the same amount as the shortest float that reads back to it (``997.8``, never ``-0.0``).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

STEP: Final = Decimal("0.001")
ZERO: Final = Decimal("0.000")
# The largest balance the fake holds: every amount up to it is exact as a JSON number (a double).
MAX_CREDITS: Final = Decimal(10**12)


# Prices are a few floats used over and over: each is read into a ledger amount once (reading costs more than
# the rest of admitting a task). Cleared when full, so odd prices cannot grow it.
_FROM_FLOAT: dict[float, Decimal] = {}
_NEGATIVE_ZERO: Final = Decimal("-0.000")


def credits(amount: float | int | str | Decimal) -> Decimal:
    """``amount`` as an exact ledger amount (a float is read as the decimal it prints as)."""
    if type(amount) is float:
        if amount == 0.0:  # 0.0 and -0.0 are one key, but two amounts
            return _NEGATIVE_ZERO if math.copysign(1.0, amount) < 0 else ZERO
        known = _FROM_FLOAT.get(amount)
        if known is not None:
            return known
        if len(_FROM_FLOAT) >= 1024:
            _FROM_FLOAT.clear()
        known = _FROM_FLOAT[amount] = _exact(amount)  # NaN never matches: refused each time
        return known
    return _exact(amount)


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
