"""Result fields served under a second name, where sources disagree and a real client reads the other one.

The reference notes mark these DISAGREEMENT; serving both readings keeps every client working. Each
alias is declared in the contract's result schema and recorded with its evidence in contracts/README.md
("Aliases"); this module only fills the declared ones, from the field they repeat.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.credits import credit_number, credits


def fill_aliases(output: dict[str, Any], cost: Decimal) -> None:
    """Set every alias field ``output`` declares (its schema put the key there) from its source field."""
    if "aiAvatarId" in output:  # video2aiAvatar: a third-party client reads it at the top level
        avatar = output.get("aiAvatar")
        output["aiAvatarId"] = avatar.get("aiavatarId") if isinstance(avatar, dict) else None
    replaced = output.get("replaceProductResult")
    if isinstance(replaced, list) and replaced:  # PA v3: the official client reads one result URL
        for name in ("resultImageUrl", "finishedVideoUrl"):
            if name in output:
                output[name] = replaced[0].get("url")
    images = output.get("images")
    if isinstance(images, list) and images:  # image tasks: a client reads each image's cost
        share = credit_number(credits(cost / len(images)))
        for image in images:
            if isinstance(image, dict) and "costCredit" in image:
                image["costCredit"] = share
