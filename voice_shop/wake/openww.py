"""openWakeWord (pyopen-wakeword): a shared melspectrogram and embedding model, then one
small classifier per wake word (okay_nabu, hey_jarvis, hey_mycroft, alexa, hey_rhasspy).

It must be fed small chunks (a whole file at once fails inside the package); it is ~25x
slower than microWakeWord here (real-time factor ~0.19 measured on 2 cores).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import WAKE_WORDS, WakeEngineName, unknown_word, unloadable

NAME = WakeEngineName.OPEN
DEFAULT_CUTOFF = 0.5


def _load(word: str) -> Any:
    from pyopen_wakeword import Model, OpenWakeWord
    try:
        if word in WAKE_WORDS[NAME]:
            return OpenWakeWord.from_builtin(Model(word))
        if not Path(word).is_file():
            raise unknown_word(NAME, word, "an openWakeWord .tflite model file")
        return OpenWakeWord.from_model(word)
    except (OSError, ValueError, KeyError) as exc:
        raise unloadable(word, exc) from exc


class OpenWakeWordEngine:
    def __init__(self, word: str) -> None:
        from pyopen_wakeword import OpenWakeWordFeatures
        self._model = _load(word)
        self._features = OpenWakeWordFeatures.from_builtin()
        self.word = str(self._model.id)
        self.default_cutoff = DEFAULT_CUTOFF

    def process(self, samples: np.ndarray) -> list[float]:
        out: list[float] = []
        for embeddings in self._features.process_streaming(np.asarray(samples, np.int16)
                                                           .tobytes()):
            out.extend(float(p) for p in self._model.process_streaming(embeddings))
        return out

    def reset(self) -> None:
        self._features.reset()
        self._model.reset()
