"""microWakeWord (pymicro-wakeword), the default wake-word engine.

Its models (okay_nabu, hey_jarvis, hey_mycroft, alexa) and the TFLite runtime ship in the
wheel. Audio goes through the micro frontend in 10 ms steps; the model's sliding-window
mean probability comes out every few feature frames. Real-time factor ~0.005 here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import WAKE_WORDS, WakeEngineName, unknown_word, unloadable

NAME = WakeEngineName.MICRO


def _load(word: str) -> Any:
    from pymicro_wakeword import MicroWakeWord, Model
    try:
        if word in WAKE_WORDS[NAME]:
            return MicroWakeWord.from_builtin(Model(word))
        path = Path(word)
        config = path if path.suffix == ".json" else path.with_suffix(".json")
        if not config.is_file():
            raise unknown_word(NAME, word, "a microWakeWord model's .json file (with its "
                               ".tflite beside it)")
        return MicroWakeWord.from_config(config)
    except (OSError, ValueError, KeyError) as exc:
        raise unloadable(word, exc) from exc


class MicroWakeWordEngine:
    """One loaded model and its feature frontend."""

    def __init__(self, word: str) -> None:
        from pymicro_wakeword import MicroWakeWordFeatures
        self._model = _load(word)
        self._features = MicroWakeWordFeatures()
        self.word = str(self._model.id)
        self.default_cutoff = float(self._model.probability_cutoff)

    def process(self, samples: np.ndarray) -> list[float]:
        out: list[float] = []
        for features in self._features.process_streaming(np.asarray(samples, np.int16)
                                                         .tobytes()):
            probability = self._model.process_streaming_prob(features)
            if probability is not None:
                out.append(float(probability))
        return out

    def reset(self) -> None:
        self._features.reset()
        self._model.reset()
