"""Vosk (Kaldi), the design-card engine for devices, used when a Vosk model is installed.

Biased to the shop by restricting the recogniser's vocabulary to the domain's words plus
``[unk]``: anything else comes out as ``[unk]``, which marks the utterance as not in domain.
(Runtime vocabularies work with Vosk's small models and the "lgraph" ones.) No model is ever
fetched here: ``voice-shop models download`` installs one on a device with internet.

Not exercised against a real English model on the development machine (none can be fetched
there); the loading checks, the grammar and the result handling are what the tests cover.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..errors import SpeechToTextError
from .base import Transcript
from .domain import Domain

NAME = "vosk"
MAX_ALTERNATIVES = 5
_MODEL_MARKERS = ("am/final.mdl", "final.mdl", "conf/model.conf")


def is_vosk_model_dir(path: Path) -> bool:
    return path.is_dir() and any((path / marker).exists() for marker in _MODEL_MARKERS)


def find_vosk_model(models_dir: Path) -> Path | None:
    """The first installed Vosk model under ``models_dir``, if any."""
    if not models_dir.is_dir():
        return None
    return next((p for p in sorted(models_dir.iterdir()) if is_vosk_model_dir(p)), None)


def vosk_grammar(domain: Domain) -> str:
    """Vosk takes its grammar as a JSON string (a Python list raises a TypeError)."""
    return json.dumps([*sorted(domain.words), "[unk]"])


def _result_transcript(result: dict[str, Any], samples: int, decode_s: float) -> Transcript:
    alternatives = result.get("alternatives") or [
        {"text": result.get("text", ""), "confidence": 1.0}]
    texts = [a.get("text", "").strip() for a in alternatives]
    text = texts[0] if texts else ""
    confidence = float(alternatives[0].get("confidence", 0.0)) if alternatives else 0.0
    in_domain = bool(text) and "[unk]" not in text.split()
    return Transcript(text=text.replace("[unk]", "").strip(), is_in_domain=in_domain,
                      confidence=confidence, duration_s=samples / SAMPLE_RATE_HZ,
                      decode_s=decode_s,
                      alternatives=tuple(t for t in dict.fromkeys(texts[1:]) if t and t != text))


class _Stream:
    def __init__(self, recognizer: Any) -> None:
        self._recognizer = recognizer
        self._samples = 0

    def feed(self, samples: np.ndarray) -> None:
        self._recognizer.AcceptWaveform(np.asarray(samples, np.int16).tobytes())
        self._samples += len(samples)

    def finish(self) -> Transcript:
        started = time.perf_counter()
        result = json.loads(self._recognizer.FinalResult())
        return _result_transcript(result, self._samples, time.perf_counter() - started)


class VoskSTT:
    """A loaded Vosk model (load once per process)."""

    name = NAME

    def __init__(self, model_dir: Path, domain: Domain | None) -> None:
        if not is_vosk_model_dir(model_dir):
            raise SpeechToTextError(
                f"{model_dir} is not a Vosk model folder (expected am/final.mdl or "
                "conf/model.conf); install one with 'voice-shop models download'")
        try:
            import vosk
        except ImportError as exc:
            raise SpeechToTextError("the vosk package is not installed") from exc
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise SpeechToTextError(f"Vosk could not load the model in {model_dir}: {exc}") \
                from exc
        self._vosk = vosk
        self._grammar = vosk_grammar(domain) if domain else None

    def stream(self) -> _Stream:
        if self._grammar is not None:
            recognizer = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE_HZ, self._grammar)
        else:
            recognizer = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE_HZ)
        recognizer.SetMaxAlternatives(MAX_ALTERNATIVES)
        return _Stream(recognizer)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        stream = self.stream()
        stream.feed(samples)
        return stream.finish()
