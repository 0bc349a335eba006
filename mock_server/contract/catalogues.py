"""Seeded, realistic catalogues: voices, AI avatars, captions, ethnicities, templates.

Built once per app from Faker under the seed, so the same seed always gives the same data. Ids the
documentation names exist (the four Thai voices m2v accepts, the video-avatar default avatar 3327).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..storage.links import Media
from .vocabulary import ACCENTS, AGES, ETHNICITY_NAMES, GENDERS, LANGUAGES, STYLES

# m2v accepts language "th" only with these voices (reference part A, m2v submit).
THAI_VOICE_IDS = (
    "5d188a658b5a424e98bf0dbbcb8f97d8",
    "eea5e5a4fb534231a5b4cf4766dd7a5f",
    "537e2643719c47bdac1d8a2c7f0c844a",
    "e22db502aa8d40d9ba791083c9f4ab35",
)
DOCUMENTED_VOICE_IDS = (*THAI_VOICE_IDS, "LaaHTrXZCVOQmB1wZUhnwmbPTAWDFtW6")
DOCUMENTED_AVATAR_IDS = ("3327",)
CATEGORY_NAMES = (
    "👗 Fashion",
    "💄 Beauty",
    "🏠 Home",
    "📱 Electronics",
    "🍔 Food",
    "🏋️ Fitness",
    "🧸 Toys",
    "🐶 Pets",
    "💍 Jewelry",
    "👟 Shoes",
)


@dataclass
class Catalogues:
    """Every catalogue of one fake, keyed by name; each a list of items in their API shape."""

    seed: int
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from faker import Faker  # here, not at import: the plugin must load fast in sessions that never use it

        rng = random.Random(self.seed)
        faker = Faker()
        faker.seed_instance(self.seed)

        def hexid() -> str:
            return f"{rng.getrandbits(128):032x}"

        def ethnicities(scene: str) -> list[dict[str, Any]]:
            return [{"ethnicityId": hexid(), "ethnicityName": name, "scene": scene} for name in ETHNICITY_NAMES]

        video_eth, product_eth = ethnicities("video_avatar"), ethnicities("product_avatar")
        self.items["ethnicities"] = video_eth + product_eth

        voices = []
        for i in range(120):
            voice_id = DOCUMENTED_VOICE_IDS[i] if i < len(DOCUMENTED_VOICE_IDS) else hexid()
            gender = rng.choice(GENDERS)
            voices.append(
                {
                    "voiceId": voice_id,
                    "voiceName": faker.first_name_male() if gender == "male" else faker.first_name_female(),
                    "gender": gender,
                    "age": rng.choice(AGES),
                    "accent": rng.choice(ACCENTS),
                    "style": rng.choice(STYLES),
                    "bestSupportLanguage": (language := "th" if voice_id in THAI_VOICE_IDS else rng.choice(LANGUAGES)),
                    "language": language,  # what clients read (contracts/README.md, aliases)
                    "demoAudioUrl": Media(f"catalog/voices/{voice_id}.mp3", "audio", "mp3"),
                    "isCustom": False,
                }
            )
        self.items["voices"] = voices

        captions = [
            {
                "captionId": hexid(),
                "name": f"{faker.color_name()} {rng.choice(('Bold', 'Pop', 'Classic', 'Neon'))}",
                "thumbnail": Media(f"catalog/captions/{i}.png", "image", "png"),
            }
            for i in range(12)
        ]
        self.items["captions"] = captions

        avatars = []
        for i in range(80):
            avatar_id = DOCUMENTED_AVATAR_IDS[i] if i < len(DOCUMENTED_AVATAR_IDS) else hexid()
            gender = rng.choice(GENDERS)
            chosen = rng.sample(video_eth, k=1)
            avatars.append(
                {
                    "aiavatarId": avatar_id,
                    "aiavatarName": faker.first_name_male() if gender == "male" else faker.first_name_female(),
                    "gender": gender,
                    "coverUrl": Media(f"catalog/aiavatars/{avatar_id}.jpg", "image", "jpg"),
                    "previewVideoUrl": Media(f"catalog/aiavatars/{avatar_id}.mp4", "video", "mp4"),
                    "thumbnailUrl": Media(f"catalog/aiavatars/{avatar_id}-thumb.jpg", "image", "jpg"),
                    "ethnicities": [
                        {"ethnicityId": e["ethnicityId"], "ethnicityName": e["ethnicityName"]} for e in chosen
                    ],
                    "voiceoverIdDefault": rng.choice(voices)["voiceId"],
                    "faceSquareConfig": None,
                    "type": rng.choice((0, 1)),
                    "isCustom": False,
                    "popularity": rng.randint(0, 10_000),
                    "gmtCreate": 1_700_000_000 + i * 86_400,
                }
            )
        self.items["aiavatars"] = avatars

        categories = [{"categoryId": hexid(), "categoryName": name} for name in CATEGORY_NAMES]
        self.items["productAvatarCategories"] = categories
        public = []
        for i in range(60):
            avatar_id = hexid()
            chosen_cats = rng.sample(categories, k=rng.randint(1, 2))
            chosen_eth = rng.sample(product_eth, k=1)
            public.append(
                {
                    "avatarId": avatar_id,
                    "avatarImagePath": Media(f"catalog/product_avatars/{avatar_id}.png", "image", "png"),
                    "voiceoverId": rng.choice(voices)["voiceId"],
                    "gender": rng.choice(GENDERS),
                    "avatarCategoryList": chosen_cats,
                    "objectMaskImageInfo": '{"x":312,"y":604,"width":420,"height":380}',
                    "avatarEthnicityList": [
                        {"ethnicityId": e["ethnicityId"], "ethnicityName": e["ethnicityName"]} for e in chosen_eth
                    ],
                    "minSubsType": rng.choice(("free", "pro", "business")),
                    "popularity": rng.randint(0, 10_000),
                    "gmtCreate": 1_700_000_000 + i * 86_400,
                }
            )
        self.items["productAvatars"] = public

        template_categories = [{"categoryId": hexid(), "categoryName": name} for name in CATEGORY_NAMES[:8]]
        self.items["anyshootTemplateCategories"] = template_categories
        self.items["anyshootTemplates"] = [
            {
                "templateId": (tid := hexid()),
                "templateName": faker.catch_phrase(),
                "style": rng.choice(("UGC", "Pro")),
                "coverUrl": Media(f"catalog/anyshoot/{tid}.jpg", "image", "jpg"),
                "templateImageUrl": Media(f"catalog/anyshoot/{tid}.png", "image", "png"),
                "templateCategoryList": rng.sample(template_categories, k=1),
            }
            for _ in range(40)
        ]

        photo_categories = [
            {
                "categoryId": (cid := hexid()),
                "categoryName": name,
                "coverUrl": Media(f"catalog/photo_avatar_categories/{cid}.jpg", "image", "jpg"),
            }
            for name in ("Business", "Lifestyle", "Casual", "Studio", "Outdoor", "Festive")
        ]
        self.items["photoAvatarCategories"] = photo_categories
        self.items["photoAvatars"] = [
            {
                "avatarId": (pid := hexid()),
                "avatarName": faker.first_name(),
                "gender": rng.choice(GENDERS),
                "coverUrl": Media(f"catalog/photo_avatars/{pid}.jpg", "image", "jpg"),
                "avatarImageUrl": Media(f"catalog/photo_avatars/{pid}.png", "image", "png"),
                "categoryIds": [c["categoryId"] for c in rng.sample(photo_categories, k=1)],
                "gmtCreate": None,
                "isCustom": False,
            }
            for _ in range(50)
        ]

    @cached_property
    def voices_by_id(self) -> dict[str, dict[str, Any]]:
        """The public voices by voiceId."""
        return {voice["voiceId"]: voice for voice in self.items["voices"]}

    def find(self, name: str, key: str, value: str) -> dict[str, Any] | None:
        """The item of catalogue ``name`` whose ``key`` is ``value``."""
        return next((item for item in self.items[name] if item.get(key) == value), None)
