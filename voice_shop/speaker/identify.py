"""Voice profiles: enrollment, and identification with a calibrated threshold.

A profile's voice print is the L2-normalised mean of its enrollment embeddings; an utterance
belongs to the closest profile when the cosine similarity reaches ``threshold``, and to
nobody (an unknown voice) otherwise. The threshold was calibrated on real read speech
(``scripts/eval_speakers.py`` on LibriSpeech voices; figures in README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SpeakerIdError
from ..shop.engine import Shop
from ..shop.models import Profile, Role
from .encoder import SpeakerEncoder

DEFAULT_THRESHOLD = 0.77
MIN_ENROLL_UTTERANCES = 1


@dataclass(frozen=True)
class SpeakerSettings:
    models_dir: Path = Path("models")
    threshold: float = DEFAULT_THRESHOLD
    """Cosine similarity a voice must reach to be taken for an enrolled profile."""
    follow_up_threshold: float = 0.6
    """Lower bar for a short answer ("yes") from the person the device just asked: one or
    two words carry too little voice for the full threshold (measured: 0.63-0.70 for "yes"
    against its own speaker, at most 0.54 against others)."""


@dataclass(frozen=True)
class Identification:
    speaker: str | None
    """The profile name, None when the voice is unknown."""
    score: float
    """Cosine similarity with the closest profile (0 when nobody is enrolled)."""
    closest: str | None


def centroid(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    mean = np.mean(np.stack(embeddings), axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


class SpeakerIdentifier:
    def __init__(self, shop: Shop, settings: SpeakerSettings | None = None,
                 encoder: SpeakerEncoder | None = None) -> None:
        self.shop = shop
        self.settings = settings or SpeakerSettings()
        self.encoder = encoder or SpeakerEncoder(self.settings.models_dir)
        self._prints: dict[str, np.ndarray] | None = None

    def _voiceprints(self) -> dict[str, np.ndarray]:
        if self._prints is None:
            self._prints = {
                name: centroid([np.frombuffer(b, np.float32) for b in blobs])
                for name, blobs in self.shop.voiceprints().items()}
        return self._prints

    def enroll(self, name: str, utterances: Sequence[np.ndarray],
               role: Role = Role.ADULT) -> Profile:
        if len(utterances) < MIN_ENROLL_UTTERANCES:
            raise SpeakerIdError("enrollment needs at least one utterance")
        embeddings = [self.encoder.embed(u) for u in utterances]
        profile = self.shop.enroll_voice(name, role, [e.tobytes() for e in embeddings])
        self._prints = None
        return profile

    def identify_embedding(self, embedding: np.ndarray) -> Identification:
        prints = self._voiceprints()
        if not prints:
            return Identification(None, 0.0, None)
        name, score = max(((n, float(embedding @ p)) for n, p in prints.items()),
                          key=lambda kv: kv[1])
        return Identification(name if score >= self.settings.threshold else None, score, name)

    def identify(self, samples: np.ndarray, expected: str | None = None) -> Identification:
        """Who is speaking; ``expected`` is the person just asked a question, if any."""
        if not self._voiceprints():
            return Identification(None, 0.0, None)  # nobody enrolled: skip the encoder
        found = self.identify_embedding(self.encoder.embed(samples))
        if found.speaker is None and expected is not None and found.closest == expected \
                and found.score >= self.settings.follow_up_threshold:
            return Identification(expected, found.score, expected)
        return found
