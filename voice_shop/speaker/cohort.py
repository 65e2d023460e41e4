"""Score normalisation against a cohort of other voices (S-norm).

A raw cosine between an utterance and a voice print means different things for different
people: some voices sit close to many others. S-norm compares the raw score with how the same
utterance, and the same voice print, score against a cohort of other people's voices, and
averages the two z-scores, so one threshold holds across voices. With ``top_k`` below the
cohort size only the closest cohort voices count (adaptive S-norm); on LibriSpeech the whole
cohort gave the tightest stranger scores (``scripts/eval_speakers.py``).

The cohort ships as embeddings only (``data/speaker_cohort.npy``, float16, one row per voice),
computed by ``scripts/build_speaker_cohort.py`` from real LibriSpeech voices whose names are
listed in ``data/speaker_cohort.txt``; no audio ships.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import SpeakerIdError

COHORT_EMBEDDINGS = "speaker_cohort.npy"
COHORT_NAMES = "speaker_cohort.txt"


def _data_file(name: str) -> Path:
    return Path(str(resources.files("voice_shop") / "data" / name))


def cohort_names() -> list[str]:
    """The recordings (LibriSpeech file stems) the shipped cohort was computed from."""
    path = _data_file(COHORT_NAMES)
    return path.read_text().split() if path.exists() else []


def load_cohort() -> np.ndarray:
    path = _data_file(COHORT_EMBEDDINGS)
    if not path.exists():
        raise SpeakerIdError(f"speaker cohort missing at {path}; reinstall voice-shop")
    return np.load(path).astype(np.float32)


@dataclass(frozen=True)
class CohortStats:
    mean: float
    std: float


class ScoreNormaliser:
    """Raw cosine -> S-norm score against a fixed cohort of voice embeddings."""

    def __init__(self, cohort: np.ndarray, top_k: int) -> None:
        if top_k < 2 or len(cohort) < 2:
            raise ValueError("S-norm needs at least two cohort voices")
        self.cohort = cohort
        self.top_k = min(top_k, len(cohort))

    def stats(self, embedding: np.ndarray) -> CohortStats:
        """Mean and spread of the ``top_k`` highest cohort scores of one embedding."""
        scores = self.cohort @ embedding
        top = np.partition(scores, len(scores) - self.top_k)[-self.top_k:]
        return CohortStats(float(top.mean()), max(float(top.std()), 1e-6))

    def score(self, raw: float, test: CohortStats, model: CohortStats) -> float:
        return 0.5 * ((raw - model.mean) / model.std + (raw - test.mean) / test.std)

    def compare(self, test: np.ndarray, model: np.ndarray) -> float:
        return self.score(float(test @ model), self.stats(test), self.stats(model))
