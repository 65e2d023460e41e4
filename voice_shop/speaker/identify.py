"""Voice profiles: enrollment with quality checks, and identification against a calibrated,
cohort-normalised threshold.

A profile's voice print is the L2-normalised mean of its enrollment embeddings. An utterance
is compared with every print; the cosine is S-normalised against a cohort of other voices
(``cohort.py``) and the utterance belongs to the closest profile when that score reaches
``threshold``, to nobody (an unknown voice) otherwise. Audio without voiced speech (silence,
noise) is refused before any score is given. The thresholds were calibrated on real voices
(``scripts/eval_speakers.py``; figures and which voices in docs/measurements.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AudioQualityError, SpeakerIdError
from ..shop.engine import Shop
from ..shop.models import Profile, Role
from .cohort import CohortStats, ScoreNormaliser, load_cohort
from .encoder import SpeakerEncoder
from .quality import QualitySettings, check_enrollment, require_speech

DEFAULT_THRESHOLD = 3.15
DEFAULT_FOLLOW_UP_THRESHOLD = 2.2
MIN_ENROLL_UTTERANCES = 1


@dataclass(frozen=True)
class SpeakerSettings:
    models_dir: Path = Path("models")
    threshold: float = DEFAULT_THRESHOLD
    """S-norm score a voice must reach to be taken for an enrolled profile."""
    follow_up_threshold: float = DEFAULT_FOLLOW_UP_THRESHOLD
    """Lower S-norm bar for a short answer ("yes", a PIN) from the person the device just
    asked: 0.6-1 s of speech carries too little voice for the full threshold."""
    consistency_threshold: float = DEFAULT_THRESHOLD
    """An enrollment recording scoring below this against the others is refused as unlike
    them (another voice, or a very different recording)."""
    cohort_top_k: int = 60
    """Cohort voices that count in S-norm (60: the whole shipped cohort)."""
    quality: QualitySettings = field(default_factory=QualitySettings)


@dataclass(frozen=True)
class Identification:
    speaker: str | None
    """The profile name, None when the voice is unknown."""
    score: float
    """S-norm score against the closest profile (0 when nobody is enrolled)."""
    closest: str | None


@dataclass(frozen=True)
class Voiceprint:
    embedding: np.ndarray
    """L2-normalised mean of the enrollment embeddings."""
    stats: CohortStats
    """Its scores against the cohort, for S-norm."""

    @classmethod
    def from_embeddings(cls, embeddings: Sequence[np.ndarray],
                        normaliser: ScoreNormaliser) -> Voiceprint:
        mean = centroid(embeddings)
        return cls(mean, normaliser.stats(mean))


def centroid(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    mean = np.mean(np.stack(embeddings), axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def closest_voice(embedding: np.ndarray, prints: dict[str, Voiceprint],
                  normaliser: ScoreNormaliser) -> tuple[str, float]:
    """(name, S-norm score) of the best-scoring voice print; ``prints`` must not be empty."""
    test = normaliser.stats(embedding)
    return max(((name, normaliser.score(float(embedding @ p.embedding), test, p.stats))
                for name, p in prints.items()), key=lambda kv: kv[1])


class SpeakerIdentifier:
    def __init__(self, shop: Shop, settings: SpeakerSettings | None = None,
                 encoder: SpeakerEncoder | None = None,
                 normaliser: ScoreNormaliser | None = None) -> None:
        self.shop = shop
        self.settings = settings or SpeakerSettings()
        self.encoder = encoder or SpeakerEncoder(self.settings.models_dir)
        self.normaliser = normaliser or ScoreNormaliser(load_cohort(),
                                                        self.settings.cohort_top_k)
        self._prints: dict[str, Voiceprint] | None = None

    def _voiceprints(self) -> dict[str, Voiceprint]:
        if self._prints is None:
            self._prints = {
                name: Voiceprint.from_embeddings([np.frombuffer(b, np.float32) for b in blobs],
                                                 self.normaliser)
                for name, blobs in self.shop.voiceprints().items()}
        return self._prints

    def enroll(self, name: str, utterances: Sequence[np.ndarray], role: Role = Role.ADULT,
               labels: Sequence[str] | None = None) -> Profile:
        """Check each recording (``labels`` name them in errors), then store the prints."""
        if len(utterances) < MIN_ENROLL_UTTERANCES:
            raise SpeakerIdError("enrollment needs at least one utterance")
        labels = list(labels or [f"recording {n + 1}" for n in range(len(utterances))])
        for samples, label in zip(utterances, labels, strict=True):
            check_enrollment(samples, label, self.settings.quality)
        embeddings = [self.encoder.embed(u) for u in utterances]
        self._check_consistent(embeddings, labels)
        profile = self.shop.enroll_voice(name, role, [e.tobytes() for e in embeddings])
        self._prints = None
        return profile

    def _check_consistent(self, embeddings: list[np.ndarray], labels: list[str]) -> None:
        """Refuse the recording least like the others when it is below the bar."""
        if len(embeddings) < 2:
            return
        scores = [self.normaliser.compare(e, centroid(embeddings[:n] + embeddings[n + 1:]))
                  for n, e in enumerate(embeddings)]
        worst = int(np.argmin(scores))
        if scores[worst] >= self.settings.consistency_threshold:
            return
        who = (f"{labels[0]} and {labels[1]} do not sound like the same voice"
               if len(labels) == 2 else
               f"{labels[worst]} does not sound like the other recordings")
        raise AudioQualityError(
            f"{who} (score {scores[worst]:.1f}, needs "
            f"{self.settings.consistency_threshold:.1f}); record it again with the same "
            "person", code="inconsistent_voice")

    def identify_embedding(self, embedding: np.ndarray) -> Identification:
        prints = self._voiceprints()
        if not prints:
            return Identification(None, 0.0, None)
        name, score = closest_voice(embedding, prints, self.normaliser)
        return Identification(name if score >= self.settings.threshold else None, score, name)

    def identify(self, samples: np.ndarray, expected: str | None = None,
                 label: str = "audio") -> Identification:
        """Who is speaking; ``expected`` is the person just asked a question, if any.
        Audio without voiced speech raises AudioQualityError (code "no_speech")."""
        if not self._voiceprints():
            return Identification(None, 0.0, None)  # nobody enrolled: skip the encoder
        require_speech(samples, label, self.settings.quality)
        found = self.identify_embedding(self.encoder.embed(samples))
        if found.speaker is None and expected is not None and found.closest == expected \
                and found.score >= self.settings.follow_up_threshold:
            return Identification(expected, found.score, expected)
        return found
