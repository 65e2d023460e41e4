"""PocketSphinx, the embedded default: its wheel ships the en-US acoustic model.

Biased to the shop: a trigram LM built from the domain corpus and a dictionary of just the
domain's words (pronunciations made for missing ones), compiled once per catalog version and
cached. The decoder streams: audio is decoded while it is spoken, so little is left to do when
the shopper stops. The n-best list goes with the transcript so the intent stage can prefer a
hypothesis that is a complete shop command.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..errors import SpeechToTextError
from .base import Transcript
from .denoise import SpectralDenoiser
from .domain import Domain
from .pronounce import write_dictionary

NAME = "pocketsphinx"
NBEST = 10
DISCOUNT_MASS = 0.1
"""Little probability for unseen word sequences: the shop's language is narrow."""
MIN_WORD_POSTERIOR = 0.15
"""Geometric mean word posterior below which the engine itself says "not in domain"."""


@dataclass(frozen=True)
class SphinxSettings:
    """Load-time settings of the PocketSphinx recogniser."""

    cache_dir: Path
    """Where compiled domain models are kept, one folder per domain key."""
    use_domain: bool = True
    """False decodes with the general English LM (for comparison in the benchmark)."""
    denoise: bool = True
    """Spectral subtraction of steady background noise before decoding."""


def _model_dir() -> Path:
    import pocketsphinx
    return Path(pocketsphinx.get_model_path()) / "en-us"


def compile_domain(domain: Domain, cache_dir: Path) -> Path:
    """Write the dictionary and LM of a domain once; later calls reuse them."""
    from pocketsphinx.lm import ArpaBoLM
    folder = cache_dir / f"sphinx-{domain.key}"
    if (folder / "complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    write_dictionary(domain.words, folder / "words.dict")
    lm = ArpaBoLM(text="\n".join(domain.sentences), add_start=True,
                  discount_mass=DISCOUNT_MASS)
    lm.compute()
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False) as f:
        lm.write(f)
    os.replace(f.name, folder / "domain.lm")
    (folder / "complete").write_text(domain.key)
    return folder


def _decoder(**config: Any) -> Any:
    from pocketsphinx import Decoder
    try:
        return Decoder(samprate=SAMPLE_RATE_HZ, loglevel="FATAL", **config)
    except (RuntimeError, ValueError) as exc:
        raise SpeechToTextError(f"PocketSphinx could not load its models: {exc}") from exc


def _clean(hypstr: str) -> str:
    return " ".join(w for w in hypstr.split() if not w.startswith(("<", "[", "++")))


class _Stream:
    def __init__(self, decoder: Any, denoiser: SpectralDenoiser | None) -> None:
        self._decoder = decoder
        self._denoiser = denoiser
        self._samples = 0
        decoder.start_utt()

    def _decode(self, samples: np.ndarray) -> None:
        if len(samples):
            self._decoder.process_raw(np.asarray(samples, np.int16).tobytes(), False, False)

    def feed(self, samples: np.ndarray) -> None:
        self._samples += len(samples)
        self._decode(self._denoiser.feed(samples) if self._denoiser else samples)

    def partial(self) -> str:
        """The best hypothesis so far, mid-utterance (for ending early on a complete command)."""
        hyp = self._decoder.hyp()
        return _clean(hyp.hypstr) if hyp else ""

    def finish(self) -> Transcript:
        started = time.perf_counter()
        if self._denoiser:
            self._decode(self._denoiser.flush())
        d = self._decoder
        d.end_utt()
        hyp = d.hyp()
        text = _clean(hyp.hypstr) if hyp else ""
        alternatives: list[str] = []
        if text:
            for n, _ in zip(d.nbest(), range(NBEST * 3), strict=False):
                if n is None or n.hypstr is None:
                    break
                candidate = _clean(n.hypstr)
                if candidate and candidate != text and candidate not in alternatives:
                    alternatives.append(candidate)
        words = max(len(text.split()), 1)
        posterior = float(hyp.prob) ** (1.0 / words) if hyp else 0.0
        return Transcript(text=text, is_in_domain=bool(text) and posterior >= MIN_WORD_POSTERIOR,
                          confidence=posterior, duration_s=self._samples / SAMPLE_RATE_HZ,
                          decode_s=time.perf_counter() - started,
                          alternatives=tuple(alternatives[:NBEST]))


class PocketSphinxSTT:
    """The recogniser, loaded once per process."""

    name = NAME

    def __init__(self, domain: Domain | None, settings: SphinxSettings) -> None:
        self.settings = settings
        model = _model_dir()
        if domain is None or not settings.use_domain:
            self._decoder = _decoder(hmm=str(model / "en-us"))
            return
        folder = compile_domain(domain, settings.cache_dir)
        self._decoder = _decoder(hmm=str(model / "en-us"), dict=str(folder / "words.dict"),
                                 lm=str(folder / "domain.lm"))

    def stream(self) -> _Stream:
        return _Stream(self._decoder, SpectralDenoiser() if self.settings.denoise else None)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        stream = self.stream()
        stream.feed(samples)
        return stream.finish()
