"""Documented media rules, judged from the uploaded bytes (the named checks of ``x-topview-rules``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.errors import bad_value
from ..engine.state import Tenant
from .models import model_code
from .rules import NamedCheck
from .validation import is_empty


def same_image_size(rule: Mapping[str, Any], body: Mapping[str, Any], tenant: Tenant) -> None:
    """A mask must have exactly the pixel size of its image (AnyShoot)."""
    mask_field, image_field = rule["fields"]
    mask, image = tenant.files.get(body.get(mask_field) or ""), tenant.files.get(body.get(image_field) or "")
    if mask is None or image is None or mask.width is None or image.width is None:
        return  # absent files are reported by the file checks; unknown sizes cannot be compared
    if (mask.width, mask.height) != (image.width, image.height):
        raise bad_value(
            mask_field,
            f"size {mask.width}x{mask.height} must equal {image_field} size {image.width}x{image.height}",
        )


def max_audio_seconds(rule: Mapping[str, Any], body: Mapping[str, Any], tenant: Tenant) -> None:
    """Audio may be at most the mode's limit long (avatar2 28 s, avatar4/avatar4Fast 120 s)."""
    field = rule["field"]
    record = tenant.files.get(body.get(field) or "")
    limit = rule["limits"].get(body.get(rule["by"]))
    if record is None or record.duration is None or limit is None:
        return
    if record.duration > limit + 1e-6:
        raise bad_value(
            field, f"audio is {record.duration:.1f} s; {rule['by']} {body.get(rule['by'])} allows at most {limit} s"
        )


def m2v_image_count(rule: Mapping[str, Any], body: Mapping[str, Any], tenant: Tenant) -> None:
    """With only local material that is all images, m2v needs more than 10 of them."""
    if not is_empty(body.get("productLink")):
        return
    records = [tenant.files.get(file_id) for file_id in body.get("fileIds") or []]
    kinds = {r.kind for r in records if r is not None}
    if records and kinds == {"image"} and len(records) <= 10:
        raise bad_value("fileIds", f"with only images needs more than 10 of them, got {len(records)}")


def face_needs_avatar2(rule: Mapping[str, Any], body: Mapping[str, Any], tenant: Tenant) -> None:
    """A replaced image without a face (faceExistence false) only takes mode avatar2 (PA v2 docs)."""
    image_id = body.get("replaceProductTaskImageId")
    task = tenant.tasks.get(tenant.replace_keys.get(f"v2:{image_id}", ""))
    images = (task.output or {}).get("replaceProductResult") or [] if task else []
    image = next((i for i in images if i.get("imageId") == image_id), None)
    mode = body.get("mode", "avatar2")
    if image is not None and image.get("faceExistence") is False and mode != "avatar2":
        raise bad_value("mode", f"must be avatar2: image {image_id} has no face (faceExistence false)")


def mask_points(rule: Mapping[str, Any], body: Mapping[str, Any], tenant: Tenant) -> None:
    """modifyPoints and protectPoints of a frame must not both be empty (mask drawing docs)."""
    field = rule["field"]
    value = body.get(field)
    frames = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    for i, frame in enumerate(frames):
        if is_empty(frame.get("modifyPoints")) and is_empty(frame.get("protectPoints")):
            label = f"{field}[{i}]" if isinstance(value, list) else field
            raise bad_value(f"{label}.modifyPoints", "and protectPoints cannot both be empty")


def model_name(rule: Mapping[str, Any], body: Mapping[str, Any], tenant: Tenant) -> None:
    """A listed model by display name or code, in any case ("case-insensitive; model code also accepted").

    The value is normalised to the display name, like scalar coercion, so later rules can name models.
    """
    field, models = rule["field"], rule["models"]
    value = body.get(field)
    if not isinstance(value, str) or is_empty(value):
        return  # absence is the schema's business
    wanted = value.strip().lower()
    for name in models:
        if wanted in (name.lower(), model_code(name)):
            body[field] = name  # type: ignore[index]
            return
    raise bad_value(field, f"{value} is not supported here; supported models: {', '.join(models)}")


NAMED_CHECKS: dict[str, NamedCheck] = {
    "modelName": model_name,
    "faceNeedsAvatar2": face_needs_avatar2,
    "maskPoints": mask_points,
    "sameImageSize": same_image_size,
    "maxAudioSeconds": max_audio_seconds,
    "m2vImageCount": m2v_image_count,
}
