"""Result bodies generated from the contract's result schemas.

A query result is the operation's result schema filled in: identity and status from the task, outputs
(URLs, file ids, sizes, durations) from what the task asked for, and the rest realistic seeded values.
Field names decide what a value means, so one walker serves every task kind; group rows only patch
what truly differs (m2v preview/export, the PA v1 key quirk).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from ..engine.credits import credit_number
from ..engine.tasks import Task
from ..storage.links import Media
from .result_media import aspect_size, look_of
from .vocabulary import file_name, word

if TYPE_CHECKING:
    from faker import Faker  # imported by whoever makes one: it takes a while

IMAGE_RESOLUTIONS = {"512p": 512, "1K": 1024, "2K": 2048, "4K": 4096}


def render(value: Any, url_for: Callable[[Media], str]) -> Any:
    """Replace every :class:`Media` marker with its URL."""
    if isinstance(value, Media):
        return url_for(value)
    if isinstance(value, dict):
        return {k: render(v, url_for) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, url_for) for v in value]
    return value


@cache  # the contract's field names, judged once each rather than at every result made
def media_kind(name: str, parent: str = "") -> tuple[str, str] | None:
    """What a URL or path field holds, judged by its name (and its parent's), or None if not media."""
    lowered = name.lower()
    if not (lowered.endswith(("url", "path")) or lowered in ("url", "filepath")):
        return None
    context = f"{parent.lower()}.{lowered}"
    if any(w in lowered for w in ("cover", "image", "thumbnail", "mask", "avatarimage")):
        return "image", "jpg" if "cover" in lowered or "thumbnail" in lowered else "png"
    if any(w in context for w in ("audio", "voice", "music", "outputs", "demo")):
        return "audio", "mp3"
    if any(w in context for w in ("video", "tracking", "download")):
        return "video", "mp4"
    if any(w in context for w in ("image", "replace", "details", "result")):
        return "image", "png"
    return "video", "mp4"


def _non_null(types: Any) -> str | None:
    if isinstance(types, str):
        return None if types == "null" else types
    for t in types or ():
        if t != "null":
            return str(t)
    return None


class Filler:
    """Fills a schema for one task; ``register_file(kind, fmt)`` makes output fileIds usable later.

    Everything it makes is a pure function of the seed and the task: its random choices, its text
    (``faker``, one per fake, reseeded for each task) and its new ids all come from the task's id, so a
    result can be made whenever it is first needed and made again identically.
    """

    def __init__(
        self,
        task: Task,
        register_file: Callable[[str, str], str],
        seed: int,
        faker: Faker,
        voices: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.task = task
        self.register_file = register_file
        self.voices = voices or {}  # the public voices by voiceId, for results spoken in one
        self.rng = random.Random(f"{seed}:{task.task_id}")
        self._ids = random.Random(f"{seed}:{task.task_id}:ids")
        self.faker = faker
        faker.seed_instance(f"{seed}:{task.task_id}")
        self.media_count = 0
        width, height = self._size()
        self.width, self.height = width, height

    def new_id(self) -> str:
        """A fresh 32-hex id for something the result creates (a fileId, an imageId, a voiceId)."""
        return f"{self._ids.getrandbits(128):032x}"

    def _size(self) -> tuple[int, int]:
        params = self.task.params
        width, height = aspect_size(params.get("aspectRatio"))
        resolution = params.get("resolution")
        if isinstance(resolution, int) and resolution > 0:  # video: the short side, in pixels
            scale = resolution / min(width, height)
        elif resolution in IMAGE_RESOLUTIONS:  # image: 512p / 1K / 2K / 4K name the long side
            scale = IMAGE_RESOLUTIONS[resolution] / max(width, height)
        else:
            return width, height
        return 2 * round(width * scale / 2), 2 * round(height * scale / 2)  # even: videos need even sides

    def count(self, name: str) -> int:
        """How many items an output array holds: the requested count for outputs, else one."""
        params = self.task.params
        if name in ("videos", "images", "outputs"):
            return int(params.get("generatingCount") or params.get("generateCount") or 1)
        if name == "details":
            return max(1, len(params.get("fileIds") or [1])) * max(1, len(params.get("languages") or [1]))
        return 1

    def fill(self, schema: Mapping[str, Any], name: str = "", parent: str = "", index: int = 0) -> Any:
        """A value for ``schema`` at field ``name``."""
        if "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            return self.fill(options[0], name, parent, index) if options else None
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}}
            for part in schema["allOf"]:
                merged["properties"].update(part.get("properties", {}))
            return self.fill(merged, name, parent, index)
        kind = _non_null(schema.get("type")) or ("object" if "properties" in schema else None)
        if kind == "object":
            props = schema.get("properties") or {}
            return {key: self.fill(sub, key, name, index) for key, sub in props.items()}
        if kind == "array":
            items = schema.get("items") or {"type": "string"}
            # the schema's bounds win over the requested count (resizedSize is exactly [width, height])
            size = max(self.count(name), int(schema.get("minItems", 0)))
            size = min(size, int(schema.get("maxItems", size)))
            return [self.fill(items, name, name, i) for i in range(size)]
        return self.scalar(schema, kind, name, parent, index)

    def scalar(self, schema: Mapping[str, Any], kind: str | None, name: str, parent: str, index: int) -> Any:
        """A scalar chosen by field name first, then by schema."""
        task, lowered = self.task, name.lower()
        if "const" in schema:
            return schema["const"]
        if name == "taskId":
            return task.task_id
        if name in ("status", "taskStatus"):
            return "success"
        if lowered in ("errormsg", "errosmsg", "errorcode", "errormessage"):
            return None
        if name == "costCredit":
            return f"{task.cost:.3f}" if kind == "string" else credit_number(task.cost)
        if name == "boardId":
            return task.board_id
        if name == "boardTaskId":
            ids = task.board_task_ids
            return ids[min(index, len(ids) - 1)] if ids else None
        media = media_kind(name, parent)
        if media is not None and kind == "string":
            self.media_count += 1
            key = f"results/{task.task_id}/{self.media_count}.{media[1]}"
            if media[0] == "image":
                return Media(key, *media, width=self.width, height=self.height, look=look_of(name))
            if media[0] == "video":
                return Media(key, *media, width=self.width, height=self.height, seconds=self.seconds)
            return Media(key, *media, seconds=self.seconds)
        if lowered.endswith("fileid") and kind == "string":
            fmt = "mp4" if "video" in lowered else "mp3" if "audio" in lowered else "png"
            return self.register_file("video" if fmt == "mp4" else "audio" if fmt == "mp3" else "image", fmt)
        chosen = word(name, parent, self.rng) if kind == "string" else None
        if chosen is not None and ("enum" not in schema or chosen in schema["enum"]):
            return chosen  # a field with a fixed vocabulary takes a word from it (contract/vocabulary)
        if "filename" in lowered and kind == "string":
            return file_name(name, parent, index)
        if isinstance(task.params.get(name), str) and kind == "string" and not media:
            return task.params[name]  # what the request said (styles, model, text, productLink)
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            return values[0] if name in ("mediaType", "mode") else self.rng.choice(values)
        if kind in ("integer", "number"):
            return self.number(schema, kind, lowered)
        if kind == "boolean":
            return lowered in ("faceexistence", "isowner")
        return self.text(lowered)

    @property
    def seconds(self) -> int:
        """How long the task's video or audio lasts: the requested duration, else 5 s."""
        duration = self.task.params.get("duration")
        seconds = int(duration or 5) if not isinstance(duration, str) else 5
        return seconds if seconds > 0 else 5

    def number(self, schema: Mapping[str, Any], kind: str, lowered: str) -> int | float:
        """Sizes, durations and counts that agree with the request."""
        seconds = self.seconds
        if lowered in ("width", "outputwidth", "bgremovedimagewidth"):
            return self.width
        if lowered in ("height", "outputheight", "bgremovedimageheight"):
            return self.height
        if lowered == "videoduration":
            return 36_096_000  # microseconds: the one real payload only fits that unit (reference README)
        if lowered == "outputduration":
            return seconds * 1000
        if lowered in ("duration", "durations"):
            return seconds
        if lowered in ("scriptid", "seq", "segid", "start"):
            return 0
        low = schema.get("minimum", 0)
        high = schema.get("maximum", 100)
        value = self.rng.uniform(low, high)
        return int(value) if kind == "integer" else round(value, 2)

    def text(self, lowered: str) -> str:
        """Realistic text for a free string field."""
        if lowered.startswith("voiceoverid") and self.voices:  # a default voice is a voice that exists
            return str(self.rng.choice(sorted(self.voices)))
        if lowered.endswith("id") or lowered.endswith("uuid"):
            return f"{self.rng.getrandbits(128):032x}"
        if lowered in ("aiavatarname", "avatarname", "voicename"):
            return self.faker.first_name()  # avatars and voices are named like people
        if "name" in lowered:
            return self.faker.catch_phrase()
        if "desc" in lowered or "text" in lowered or "prompt" in lowered or "styles" in lowered:
            return self.faker.sentence(nb_words=12)
        if lowered in ("gmtcreate", "gmtmodify", "completedat", "date"):
            return "2026-01-01T00:00:00Z"
        return self.faker.word()


def skeleton(schema: Mapping[str, Any], task: Task) -> dict[str, Any]:
    """What a query shows before success: identity, status and errorMsg; outputs null or empty."""
    props = _properties(schema)
    out: dict[str, Any] = {}
    for name, sub in props.items():
        types = sub.get("type")
        if name == "taskId":
            out[name] = task.task_id
        elif name in ("status", "taskStatus"):
            out[name] = task.status
        elif name == "errorMsg":
            out[name] = task.error_msg
        elif name == "boardId":
            out[name] = task.board_id
        elif name == "boardTaskId":
            out[name] = task.board_task_ids[0] if task.board_task_ids else None
        elif name == "costCredit":
            out[name] = None if "null" in (types or ()) else ("0.000" if _non_null(types) == "string" else 0)
        elif _non_null(types) == "array" and not sub.get("minItems"):
            out[name] = []  # outputs are "empty while processing" (docs); a fixed-size one (resizedSize) is null
        else:
            out[name] = None
    return out


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_properties(part))
        return merged
    return dict(schema.get("properties") or {})
