"""What ``x-topview-ref`` names: resources an account may refer to, and how to find them."""

from __future__ import annotations

from collections.abc import Callable

from ..engine.state import Tenant
from .catalogues import Catalogues
from .openapi import Contract
from .validation import ContractError

Finder = Callable[[Tenant, str], bool]


class Lookups:
    """Answers "does this account see resource X with id V?" for every ``x-topview-ref`` name."""

    def __init__(self, catalogues: Catalogues, contract: Contract) -> None:
        ids = {
            name: {str(item[key]) for item in catalogues.items[name]}
            for name, key in (
                ("voices", "voiceId"),
                ("captions", "captionId"),
                ("aiavatars", "aiavatarId"),
                ("productAvatars", "avatarId"),
                ("photoAvatars", "avatarId"),
                ("anyshootTemplates", "templateId"),
            )
        }
        self._finders: dict[str, Finder] = {
            "board": lambda t, v: v in t.boards,
            "voice": lambda t, v: v in ids["voices"] or v in t.voices,
            "caption": lambda t, v: v in ids["captions"],
            "aiAvatar": lambda t, v: v in ids["aiavatars"] or v in t.avatars,
            "productAvatar": lambda t, v: v in ids["productAvatars"],
            # public templates, custom photo avatars (template/create) and saved custom AI avatars
            "photoAvatar": lambda t, v: v in ids["photoAvatars"] or v in t.photo_avatars or v in t.avatars,
            "anyshootTemplate": lambda t, v: v in ids["anyshootTemplates"],
            "paV1ReplaceKey": lambda t, v: v in t.replace_keys,
            "paV2ReplaceImageId": lambda t, v: f"v2:{v}" in t.replace_keys,
        }
        self._operations = set(contract.operations)
        for operation in contract:
            for annotation in operation.annotations:
                if annotation.kind == "ref":
                    self._known(annotation.value, operation.operation_id)

    def _known(self, resource: str, where: str) -> None:
        if resource.startswith("task:"):
            parts = resource.split(":")
            if parts[1] not in self._operations or parts[2:] not in ([], ["success"]):
                raise ContractError(f"{where}: x-topview-ref {resource!r} names no submit operation")
        elif resource not in self._finders:
            raise ContractError(f"{where}: unknown x-topview-ref {resource!r}")

    def exists(self, tenant: Tenant, resource: str, value: str) -> bool:
        """True if the account can use ``value`` as a ``resource``."""
        if resource.startswith("task:"):
            parts = resource.split(":")
            task = tenant.tasks.get(value)
            if task is None or task.deleted or task.operation_id != parts[1]:
                return False
            return len(parts) == 2 or task.status == "success"
        return self._finders[resource](tenant, value)
