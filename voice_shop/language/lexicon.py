"""The shop's word lists (``lexicon.yaml``), loaded once into one :class:`Lexicon`.

The phrasings (templates and expansion rules) are in ``shop.yaml``; the plain word lists the
parser, the dialog and the replies share are here, so a synonym is one line of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Lexicon:
    """Every named word list of ``lexicon.yaml``; the file's comments say what each is."""

    number_words: frozenset[str]
    amount_phrases: tuple[tuple[tuple[str, ...], int], ...]
    """Longest first."""
    units: dict[str, str]
    measures: frozenset[str]
    sign_words: frozenset[str]
    fractions: tuple[tuple[str, ...], ...]
    """Longest first."""
    homophones: dict[str, int]
    not_after_homophone: frozenset[str]
    places: dict[str, int]
    place_nouns: frozenset[str]
    not_a_place_before: frozenset[str]
    digits: dict[str, int]
    trigger_phrases: tuple[str, ...]
    split_words: frozenset[str]
    edge_words: frozenset[str]
    leading_words: frozenset[str]
    plural_pronouns: frozenset[str]
    glue_words: frozenset[str]
    back_words: frozenset[str]
    tag_question_subjects: frozenset[str]
    determiners: frozenset[str]
    articles: tuple[str, ...]
    counted_by_name: frozenset[str]
    spoken_units: dict[str, str]
    said_before_the_name: frozenset[str]
    plural_only: frozenset[str]
    counted_in_packs: frozenset[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lexicon:
        def words(name: str) -> frozenset[str]:
            return frozenset(str(w) for w in data[name])

        def longest_first(phrases: Any) -> list[tuple[str, ...]]:
            return sorted((tuple(str(p).split()) for p in phrases), key=lambda p: -len(p))

        amounts = {tuple(str(k).split()): int(v) for k, v in data["amount_phrases"].items()}
        return cls(
            number_words=words("number_words"),
            amount_phrases=tuple((p, amounts[p]) for p in longest_first(data["amount_phrases"])),
            units={str(k): str(v) for k, v in data["units"].items()},
            measures=words("measures"), sign_words=words("sign_words"),
            fractions=tuple(longest_first(data["fractions"])),
            homophones={str(k): int(v) for k, v in data["homophones"].items()},
            not_after_homophone=words("not_after_homophone"),
            places={str(k): int(v) for k, v in data["places"].items()},
            place_nouns=words("place_nouns"),
            not_a_place_before=words("not_a_place_before"),
            digits={str(k): int(v) for k, v in data["digits"].items()},
            trigger_phrases=tuple(str(p) for p in data["trigger_phrases"]),
            split_words=words("split_words"), edge_words=words("edge_words"),
            leading_words=words("leading_words"), plural_pronouns=words("plural_pronouns"),
            glue_words=words("glue_words"), back_words=words("back_words"),
            tag_question_subjects=words("tag_question_subjects"),
            determiners=words("determiners"),
            articles=tuple(str(w) for w in data["articles"]),
            counted_by_name=words("counted_by_name"),
            spoken_units={str(k): str(v) for k, v in data["spoken_units"].items()},
            said_before_the_name=words("said_before_the_name"),
            plural_only=words("plural_only"),
            counted_in_packs=words("counted_in_packs"))


@cache
def lexicon() -> Lexicon:
    """The packaged word lists, read once."""
    text = resources.files(__package__).joinpath("lexicon.yaml").read_text(encoding="utf-8")
    return Lexicon.from_dict(yaml.safe_load(text))
