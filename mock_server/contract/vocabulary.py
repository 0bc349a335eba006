"""The fixed vocabularies of result fields: what a gender, a language, an age or an accent can be.

Topview answers these fields from small fixed sets (``gender: "female"``, ``bestSupportLanguage:
"en"``), never with free text, and clients branch on them. The result filler asks :func:`vocabulary`
before it invents any text, and the seeded catalogues draw from the same sets, so a voice's gender in Voice
Query and in a text2voice result come from one list.
"""

from __future__ import annotations

from typing import Final

GENDERS: Final = ("male", "female")
LANGUAGES: Final = ("en", "es", "fr", "de", "ja", "ko", "pt", "zh-CN", "ar", "hi", "id", "it", "ru", "tr", "vi")
AGES: Final = ("Young", "Middle Aged", "Old")
ACCENTS: Final = ("American", "British", "Australian", "Indian", "Irish", "Neutral")
STYLES: Final = ("Narration", "Conversational", "News", "Advertisement", "Calm", "Energetic")
ETHNICITY_NAMES: Final = (
    "Asian",
    "Black",
    "Caucasian",
    "Hispanic",
    "Middle Eastern",
    "South Asian",
    "Southeast Asian",
    "Mixed",
)
# The file format a result field names, by what its object holds.
FORMATS: Final = {"audio": "mp3", "video": "mp4", "image": "png"}

_BY_FIELD: Final[dict[str, tuple[str, ...]]] = {
    "gender": GENDERS,
    "language": LANGUAGES,
    "bestsupportlanguage": LANGUAGES,
    "age": AGES,
    "accent": ACCENTS,
    "style": STYLES,
    "ethnicityname": ETHNICITY_NAMES,
}


def vocabulary(name: str, parent: str) -> tuple[str, ...] | str | None:
    """The words field ``name`` (inside ``parent``) may take: a set to draw one from, the one word it always
    takes, or None if it has no fixed vocabulary."""
    lowered = name.lower()
    choices = _BY_FIELD.get(lowered)
    if choices is not None:
        return choices
    if lowered == "format":
        return FORMATS[holds(parent)]
    if lowered in ("mediatype", "filetype"):
        return holds(parent)
    if lowered == "unit":
        return "byte"
    return None


def holds(parent: str) -> str:
    """What kind of media an object holds, judged by its field name (``outputAudio`` holds audio)."""
    lowered = parent.lower()
    for kind in ("audio", "video"):
        if kind in lowered or (kind == "audio" and ("voice" in lowered or "music" in lowered)):
            return kind
    return "image"


def file_name(name: str, parent: str, index: int) -> str:
    """A file name as uploads and scraped pages carry them: ``scene_1.mp4``, ``image_2.png``."""
    kind = holds(parent)
    stem = "scene" if "scene" in name.lower() else kind
    return f"{stem}_{index + 1}.{FORMATS[kind]}"
