"""Result bodies generated from the contract's result schemas.

A query result is the operation's result schema filled in: identity and status from the task, outputs
(URLs, file ids, sizes, durations) from what the task asked for, and the rest realistic seeded values.
Field names decide what a value means, so one compiler serves every task kind (each schema compiled once
into steps, see below); group rows only patch what truly differs (m2v preview/export, the PA v1 key quirk).
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
from .vocabulary import file_name, vocabulary

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

    def fill(self, schema: Mapping[str, Any]) -> Any:
        """A value for ``schema``."""
        return compiled(schema)(self, 0)

    def media(self, kind: tuple[str, str], look: str) -> Media:
        """The next output file of the result: its key numbered in order, its size and length the task's."""
        self.media_count += 1
        key = f"results/{self.task.task_id}/{self.media_count}.{kind[1]}"
        if kind[0] == "image":
            return Media(key, *kind, width=self.width, height=self.height, look=look)
        if kind[0] == "video":
            return Media(key, *kind, width=self.width, height=self.height, seconds=self.seconds)
        return Media(key, *kind, seconds=self.seconds)

    @property
    def seconds(self) -> int:
        """How long the task's video or audio lasts: the requested duration, else 5 s."""
        duration = self.task.params.get("duration")
        seconds = int(duration or 5) if not isinstance(duration, str) else 5
        return seconds if seconds > 0 else 5


# -- schemas compiled into steps ---------------------------------------------------------------------
# What a field's value is decided by its name, its parent's name and its schema, which never change, and
# by the task, which does: each schema is compiled once into steps that hold what was decided and take
# only the task's part (its filler) at every result made. A step draws from the filler's generators in
# the order the fields come, so a result is the same, seed for seed, however it was compiled.

Step = Callable[[Filler, int], Any]  # (the task's filler, the item's index in its array) -> the value

MAX_COMPILED = 1024
_compiled: dict[int, tuple[Mapping[str, Any], Step]] = {}  # by id, the schema kept so its id stays its own


def compiled(schema: Mapping[str, Any]) -> Step:
    """``schema`` compiled into the step that fills it (once per schema: a contract's schemas live on)."""
    entry = _compiled.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_compiled) >= MAX_COMPILED:
            _compiled.clear()
        entry = _compiled[id(schema)] = (schema, _compile(schema, "", ""))
    return entry[1]


def _constant(value: Any) -> Step:
    return lambda filler, index: value


def _compile(schema: Mapping[str, Any], name: str, parent: str) -> Step:
    """The step filling ``schema`` at field ``name`` of ``parent``."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _compile(options[0], name, parent) if options else _constant(None)
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(part.get("properties", {}))
        return _compile(merged, name, parent)
    kind = _non_null(schema.get("type")) or ("object" if "properties" in schema else None)
    if kind == "object":
        fields = [(key, _compile(sub, key, name)) for key, sub in (schema.get("properties") or {}).items()]
        return lambda filler, index: {key: step(filler, index) for key, step in fields}
    if kind == "array":
        item = _compile(schema.get("items") or {"type": "string"}, name, name)
        least, most = int(schema.get("minItems", 0)), schema.get("maxItems")

        def array(filler: Filler, index: int) -> list[Any]:
            # the schema's bounds win over the requested count (resizedSize is exactly [width, height])
            size = max(filler.count(name), least)
            size = size if most is None else min(size, int(most))
            return [item(filler, i) for i in range(size)]

        return array
    return _scalar(schema, kind, name, parent)


def _scalar(schema: Mapping[str, Any], kind: str | None, name: str, parent: str) -> Step:
    """A scalar chosen by field name first, then by schema."""
    lowered = name.lower()
    if "const" in schema:
        return _constant(schema["const"])
    if name == "taskId":
        return lambda filler, index: filler.task.task_id
    if name in ("status", "taskStatus"):
        return _constant("success")
    if lowered in ("errormsg", "errosmsg", "errorcode", "errormessage"):
        return _constant(None)
    if name == "costCredit":
        if kind == "string":
            return lambda filler, index: f"{filler.task.cost:.3f}"
        return lambda filler, index: credit_number(filler.task.cost)
    if name == "boardId":
        return lambda filler, index: filler.task.board_id
    if name == "boardTaskId":
        return _board_task_id
    media = media_kind(name, parent)
    if media is not None and kind == "string":
        look = look_of(name)
        return lambda filler, index: filler.media(media, look)
    if lowered.endswith("fileid") and kind == "string":
        fmt = "mp4" if "video" in lowered else "mp3" if "audio" in lowered else "png"
        file_kind = "video" if fmt == "mp4" else "audio" if fmt == "mp3" else "image"
        return lambda filler, index: filler.register_file(file_kind, fmt)
    rest = _unnamed(schema, kind, name, parent, lowered)
    words = vocabulary(name, parent) if kind == "string" else None
    allowed = schema.get("enum") if "enum" in schema else None
    if isinstance(words, tuple):  # a field with a fixed vocabulary takes a word from it (contract/vocabulary)
        choices = words

        def drawn(filler: Filler, index: int) -> Any:
            chosen = filler.rng.choice(choices)
            return chosen if allowed is None or chosen in allowed else rest(filler, index)

        return drawn
    if words is not None and (allowed is None or words in allowed):
        return _constant(words)
    return rest


def _board_task_id(filler: Filler, index: int) -> str | None:
    ids = filler.task.board_task_ids
    return ids[min(index, len(ids) - 1)] if ids else None


def _unnamed(schema: Mapping[str, Any], kind: str | None, name: str, parent: str, lowered: str) -> Step:
    """A scalar whose name gives it no fixed value: a file name, what the request said, or one invented."""
    if "filename" in lowered and kind == "string":
        return lambda filler, index: file_name(name, parent, index)
    invented = _invented(schema, kind, name, lowered)
    if kind != "string":
        return invented

    def said(filler: Filler, index: int) -> Any:  # what the request said (styles, model, text, productLink)
        value = filler.task.params.get(name)
        return value if isinstance(value, str) else invented(filler, index)

    return said


def _invented(schema: Mapping[str, Any], kind: str | None, name: str, lowered: str) -> Step:
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        if name in ("mediaType", "mode"):
            return lambda filler, index: values[0]
        return lambda filler, index: filler.rng.choice(values)
    if kind in ("integer", "number"):
        return _number(schema, kind, lowered)
    if kind == "boolean":
        return _constant(lowered in ("faceexistence", "isowner"))
    return _text(lowered)


def _number(schema: Mapping[str, Any], kind: str, lowered: str) -> Step:
    """Sizes, durations and counts that agree with the request."""
    if lowered in ("width", "outputwidth", "bgremovedimagewidth"):
        return lambda filler, index: filler.width
    if lowered in ("height", "outputheight", "bgremovedimageheight"):
        return lambda filler, index: filler.height
    if lowered == "videoduration":
        return _constant(36_096_000)  # microseconds: the one real payload only fits that unit (reference README)
    if lowered == "outputduration":
        return lambda filler, index: filler.seconds * 1000
    if lowered in ("duration", "durations"):
        return lambda filler, index: filler.seconds
    if lowered in ("scriptid", "seq", "segid", "start"):
        return _constant(0)
    low, high = schema.get("minimum", 0), schema.get("maximum", 100)
    if kind == "integer":
        return lambda filler, index: int(filler.rng.uniform(low, high))
    return lambda filler, index: round(filler.rng.uniform(low, high), 2)


def _text(lowered: str) -> Step:
    """Realistic text for a free string field."""
    if lowered.startswith("voiceoverid"):  # a default voice is a voice that exists, when the fake has voices
        otherwise = _invented_text(lowered)
        return lambda filler, index: (
            str(filler.rng.choice(sorted(filler.voices))) if filler.voices else otherwise(filler, index)
        )
    return _invented_text(lowered)


def _invented_text(lowered: str) -> Step:
    if lowered.endswith("id") or lowered.endswith("uuid"):
        return lambda filler, index: f"{filler.rng.getrandbits(128):032x}"
    if lowered in ("aiavatarname", "avatarname", "voicename"):
        return lambda filler, index: filler.faker.first_name()  # avatars and voices are named like people
    if "name" in lowered:
        return lambda filler, index: filler.faker.catch_phrase()
    if "desc" in lowered or "text" in lowered or "prompt" in lowered or "styles" in lowered:
        return lambda filler, index: filler.faker.sentence(nb_words=12)
    if lowered in ("gmtcreate", "gmtmodify", "completedat", "date"):
        return _constant("2026-01-01T00:00:00Z")
    return lambda filler, index: filler.faker.word()


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
