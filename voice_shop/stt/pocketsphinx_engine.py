"""PocketSphinx, the embedded default: its wheel ships the en-US acoustic model.

Biased to the shop: a trigram LM built from the domain corpus and a dictionary of just the
domain's words (pronunciations made for missing ones), compiled once per catalog version and
cached. An utterance is decoded when it ends (or at a pause, to end early on a complete
command), each pass from a clean state, so a file is heard the same alone or in a batch;
decoding while it is spoken would adapt the cepstral mean live, which cost a fifth of the
grammar pass's right readings on the real orders (195 vs 240 of 309). The n-best list goes
with the transcript so the intent stage can prefer a hypothesis that is a complete command.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..errors import SpeechToTextError
from ..language.graph import WordGraph
from .base import CLEAR_DYNAMIC_RANGE_DB, Transcript
from .denoise import SpectralDenoiser, WienerDenoiser
from .domain import Domain, forget_old_catalogs
from .enhance import EnhancedStream, SpeechEnhancer
from .helper_process import OpenPassHelper
from .pronounce import write_dictionary

NAME = "pocketsphinx"
NBEST = 10
NBEST_SCORED = 40
"""Paths of the n-best list that share out its probability (``Transcript.shares``)."""
NBEST_SCALE = 30.0
"""How sharply a path's score sets its share (docs/measurements.md)."""
DISCOUNT_MASS = 0.1
"""Little probability for unseen word sequences: the shop's language is narrow."""
MAX_HMMS_PER_FRAME = "5000"
"""A cap on the paths the search keeps alive per frame (PocketSphinx's ``maxhmmpf``; its
default is 30,000) (docs/measurements.md)."""

WORD_BEAM = 7e-29
"""PocketSphinx's word-exit beam (``wbeam``; its default): how far below the best a path
may score and still end a word."""
NOISY_WORD_BEAM = 1e-35
"""The word-exit beam of the grammar search over noisy audio (docs/measurements.md)."""


@dataclass(frozen=True)
class SphinxSettings:
    """Load-time settings of the PocketSphinx recogniser."""

    cache_dir: Path
    """Where compiled domain models are kept, one folder per domain key."""
    use_domain: bool = True
    """False decodes with the general English LM (for comparison in the benchmark)."""
    denoise: bool = True
    """Spectral subtraction of steady background noise before decoding."""
    enhance: bool = True
    """Under strong steady noise, decode the speech enhancer's audio instead (``enhance``)."""
    use_grammar: bool = True
    """Decode with the shop's grammar first (the LM pass then gives a second opinion)."""
    helper_process: bool = False
    """Decode the open pass and the phone loop in a second process, on the second core,
    while this one runs the grammar pass (see ``helper_process.py``)."""


def _model_dir() -> Path:
    import pocketsphinx
    return Path(pocketsphinx.get_model_path()) / "en-us"


def compile_domain(domain: Domain, cache_dir: Path) -> Path:
    """Write the dictionary, grammar and LM of a domain once; later calls reuse them."""
    from pocketsphinx.lm import ArpaBoLM
    folder = cache_dir / f"sphinx-{domain.key}"
    if (folder / "complete").exists():
        os.utime(folder)  # in use: the last to be forgotten
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    write_dictionary(domain.words, folder / "words.dict")
    lm = ArpaBoLM(text="\n".join(domain.sentences), add_start=True,
                  discount_mass=DISCOUNT_MASS)
    lm.compute()
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False) as f:
        lm.write(f)
    os.replace(f.name, folder / "domain.lm")
    if domain.grammar is not None:
        (folder / "grammar.fsg").write_text(domain.grammar.to_fsg())
    (folder / "complete").write_text(domain.key)
    forget_old_catalogs(cache_dir)
    return folder


def _decoder(**config: Any) -> Any:
    from pocketsphinx import Decoder
    try:
        return Decoder(samprate=SAMPLE_RATE_HZ, loglevel="FATAL", **config)
    except (RuntimeError, ValueError) as exc:
        raise SpeechToTextError(f"PocketSphinx could not load its models: {exc}") from exc


def _clean(hypstr: str) -> str:
    return " ".join(w for w in hypstr.split() if not w.startswith(("<", "[", "++")))


def decode_search(d: Any, search: str, pcm: bytes) -> Any:
    """One whole utterance with one search, from a clean feature state."""
    d.activate_search(search)
    d.reinit_feat()
    d.start_utt()
    d.process_raw(pcm, False, True)
    d.end_utt()
    return d


class _Passes:
    """One decoder holding the grammar search and the open LM search; each utterance is
    decoded from a clean feature state (PocketSphinx's noise estimate otherwise carries
    from one utterance into the next: the same file was heard differently in a batch)."""

    GRAMMAR = "grammar"
    GRAMMAR_NOISY = "grammar-noisy"
    """The same grammar searched with a wider word-exit beam (``NOISY_WORD_BEAM``), for
    speech over steady noise. Added the first time it is needed (``noisy_search``): an FSG
    search holds its own lexical tree of the grammar, about 270 MB for the demo catalog's,
    so a device that never hears steady noise never pays for it."""
    OPEN = "open"
    PHONES = "phones"
    """Free phone loop: the best the acoustic model can do without any language."""

    def __init__(self, decoder: Any, grammar: WordGraph | None, has_open: bool,
                 helper: OpenPassHelper | None = None,
                 grammar_file: Path | None = None) -> None:
        self.decoder = decoder
        self.grammar = grammar
        self.has_grammar = grammar is not None
        self.has_open = has_open
        self.helper = helper
        """Decodes the open pass and the phone loop elsewhere while the grammar pass runs."""
        self._grammar_file = grammar_file
        """The compiled grammar, until ``GRAMMAR_NOISY`` is added from it."""
        self.has_noisy_search = False

    def noisy_search(self) -> str:
        """``GRAMMAR_NOISY``, added on first use (0.7 s for the demo catalog's grammar here;
        a search keeps the beams the configuration held when it was added). The default
        search if the compiled grammar is gone (the cache keeps three catalogs' models)."""
        if not self.has_noisy_search and self._grammar_file is not None:
            config = self.decoder.config
            config["wbeam"] = NOISY_WORD_BEAM
            try:
                self.decoder.add_fsg(self.GRAMMAR_NOISY,
                                     self.decoder.read_fsg(str(self._grammar_file)))
                self.has_noisy_search = True
            except (RuntimeError, OSError):
                self._grammar_file = None
            finally:
                config["wbeam"] = WORD_BEAM
        return self.GRAMMAR_NOISY if self.has_noisy_search else self.GRAMMAR

    def decode(self, search: str, pcm: bytes) -> Any:
        return decode_search(self.decoder, search, pcm)

    def decode_grammar(self, pcm: bytes, search: str = GRAMMAR,
                       ) -> tuple[Any, str, list[Span]]:
        """The grammar decode, plus the best path as it stood before the utterance was
        closed (its words, and spans whose frames hold but whose scores do not: PocketSphinx
        fills those in only when the utterance is closed). Once closed, a decode where no
        path reached the grammar's end returns nothing at all."""
        d = self.decoder
        d.activate_search(search)
        d.reinit_feat()
        d.start_utt()
        d.process_raw(pcm, False, True)
        hyp = d.hyp()
        best_path = _clean(hyp.hypstr) if hyp else ""
        spans = _spans(d) if best_path else []
        d.end_utt()
        return d, best_path, spans


MAX_TRAILING_WORDS = 2
"""A hypothesis may end in this many stray words after a whole command ("... with milk to"):
breath or noise at the end of a recording makes the search wander off the final state."""


def _whole_sentence(grammar: WordGraph, text: str) -> str:
    """The hypothesis, or its longest prefix within MAX_TRAILING_WORDS, that is a whole
    sentence of the grammar; "" when there is none."""
    words = text.split()
    for cut in range(min(MAX_TRAILING_WORDS, len(words) - 1) + 1):
        if grammar.accepts(words[:len(words) - cut]):
            return " ".join(words[:len(words) - cut])
    return ""


Span = tuple[str, int, int, float]
"""A word or phone of a decode: its text, first and last frame, and log acoustic score."""


def _spans(d: Any) -> list[Span]:
    """The best path's segments ("coffee(2)", an alternate pronunciation, is "coffee"); a
    score too small for a float counts as hopeless. None when the search found no path (an
    alignment the audio cannot hold)."""
    return [(sg.word.split("(")[0], sg.start_frame, sg.end_frame,
             math.log(sg.ascore) if sg.ascore > 0 else UNDERFLOW_LOG_SCORE)
            for sg in d.seg() or ()]


UNDERFLOW_LOG_SCORE = -1e6
MIN_DYNAMIC_RANGE_DB = 16.0
"""Word evidence is measured only when the loud frames stand this far above the quiet ones
(95th vs 5th percentile of 25 ms frame energies) (docs/measurements.md)."""
QUIET_PERCENTILE = 5
"""Which frames count as quiet: a cut utterance keeps only ~0.5 s of non-speech."""
_RANGE_FRAME = 400  # 25 ms at 16 kHz
STEADY_NOISE_DB = 5.0
"""Background noise counts as steady (a fan, hiss, a hum) when the quiet frames' band
energies move less than this (``noise_modulation_db``) (docs/measurements.md)."""
DIGITAL_SILENCE_POWER = 1.0
"""A 25 ms frame whose mean square (int16 units) is under this is digital silence;
see docs/measurements.md."""
_QUIET_SHARE = 30
"""The quietest 30% of frames stand for the background."""
_BAND_EDGES_HZ = np.geomspace(200.0, 7000.0, 17)
_FFT_SIZE = 512
_WINDOW = np.hanning(_RANGE_FRAME)


def _band_masks() -> list[np.ndarray]:
    hz = np.fft.rfftfreq(_FFT_SIZE, 1 / SAMPLE_RATE_HZ)
    return [(hz >= lo) & (hz < hi) for lo, hi in itertools.pairwise(_BAND_EDGES_HZ)]


_BANDS = _band_masks()


def band_levels_db(frames: np.ndarray) -> np.ndarray:
    """Each 25 ms frame's energy in 16 log-spaced bands of 200-7000 Hz, in dB."""
    power = np.abs(np.fft.rfft(frames * _WINDOW, _FFT_SIZE)) ** 2
    return 10 * np.log10(np.stack([power[:, band].sum(axis=1) for band in _BANDS], axis=1)
                         + 1e-3)


def noise_modulation_db(levels: np.ndarray) -> float:
    """How much the background moves: per band, the spread (standard deviation, dB) of the
    quietest frames' levels, the median over bands. Steady noise varies only by chance
    (2-4 dB); other people talking rises and falls with their syllables. inf for too
    little audio."""
    if len(levels) < 10:
        return math.inf
    total = 10 * np.log10(np.sum(10 ** (levels / 10), axis=1))
    quiet = levels[total <= np.percentile(total, _QUIET_SHARE)]
    return float(np.median(quiet.std(axis=0)))


FRAMES_PER_S = 100
_FRAME_BYTES = SAMPLE_RATE_HZ // FRAMES_PER_S * 2
"""One PocketSphinx frame (10 ms) of 16-bit audio."""


def dynamic_range_db(energies: np.ndarray) -> float:
    """How far loud frames stand above quiet ones, in dB (0 for too little audio)."""
    if len(energies) < 4:
        return 0.0
    loud, quiet = np.percentile(energies, [95, QUIET_PERCENTILE])
    return float(10 * np.log10((loud + 1e-3) / (quiet + 1e-3)))


FOREGROUND_DB = 20.0
"""Under other voices, the words of the one person speaking to the device;
see docs/measurements.md."""
FOREGROUND_OVER_OTHERS_DB = 8.0
"""With others talking 10 dB under an order (babble at 10 dB), their words reach within 20
dB of its loud frames and the cut kept nearly all of them (docs/measurements.md)."""
FOREGROUND_SMOOTH_FRAMES = 9
"""Frame levels are averaged over 225 ms first: others' single loud syllables do not
stretch the cut, nor does a stop inside a word split it."""
FOREGROUND_PAD_S = 0.25
MIN_OTHERS_TALKING_S = 1.0
"""Only when more than this of the utterance lies outside its foreground speech (and the
background is not a steady noise) is it cut to the foreground (docs/measurements.md)."""


def smoothed(values: np.ndarray, width: int) -> np.ndarray:
    """The mean of each value's ``width`` neighbours (fewer at the ends)."""
    kernel = np.ones(width)
    return (np.convolve(values, kernel, mode="same")
            / np.convolve(np.ones(len(values)), kernel, mode="same"))


def foreground_span(energies: np.ndarray) -> tuple[int, int]:
    """First and last-plus-one 25 ms frame of the foreground speech (``FOREGROUND_DB``);
    all of them when none stands over the others."""
    if len(energies) < 4:
        return 0, len(energies)
    levels = smoothed(10 * np.log10(np.asarray(energies) + 1e-3), FOREGROUND_SMOOTH_FRAMES)
    loud, others = np.percentile(levels, [95, 10])
    sounding = np.flatnonzero(
        levels >= max(loud - FOREGROUND_DB, others + FOREGROUND_OVER_OTHERS_DB))
    if not len(sounding):
        return 0, len(energies)
    pad = round(FOREGROUND_PAD_S * SAMPLE_RATE_HZ / _RANGE_FRAME)
    return max(0, int(sounding[0]) - pad), min(len(energies), int(sounding[-1]) + 1 + pad)


def _is_word(token: str) -> bool:
    return not token.startswith(("<", "[", "++"))


def word_evidence(words: list[Span], phones: list[Span]) -> tuple[float, ...]:
    """Per word: (its acoustic score - the phone loop's over the same frames) / frames.
    PocketSphinx scores every frame against its best senone, so both are relative to the
    same reference; the phone loop is what the audio sounds like with no language at all."""
    evidence = []
    for _, start, end, score in words:
        loop = 0.0
        for _, p_start, p_end, p_score in phones:
            overlap = min(end, p_end) - max(start, p_start) + 1
            if overlap > 0:
                loop += p_score * overlap / (p_end - p_start + 1)
        evidence.append((score - loop) / (end - start + 1))
    return tuple(evidence)


def _nbest(d: Any) -> list[tuple[str, float]]:
    """The n-best paths' words and log scores, best first (a path may repeat with another
    alignment or pronunciation)."""
    paths: list[tuple[str, float]] = []
    for n, _ in zip(d.nbest(), range(NBEST_SCORED), strict=False):
        if n is None or n.hypstr is None:
            break
        candidate = _clean(n.hypstr)
        if candidate and n.score > 0:
            paths.append((candidate, math.log(n.score)))
    return paths


def sentence_shares(paths: list[tuple[str, float]]) -> dict[str, float]:
    """Each sentence's share of the n-best list's probability, its paths' scores summed."""
    if not paths:
        return {}
    best = max(score for _, score in paths)
    weights: dict[str, float] = {}
    for text, score in paths:
        weights[text] = weights.get(text, 0.0) + math.exp(NBEST_SCALE * (score - best))
    total = sum(weights.values())
    return {text: weight / total for text, weight in weights.items()}


@dataclass(frozen=True)
class _FirstPass:
    text: str
    alternatives: tuple[str, ...]
    posterior: float
    spans: tuple[Span, ...]
    """The words of ``text`` on the decoder's best path (empty when ``text`` is not it; in
    clear audio ``finish`` then aligns ``text`` to the audio for them)."""
    is_unfinished: bool = False
    """``text`` was heard in the audio up to a whole command, the rest left out: no path
    through all of it reached the grammar's end."""
    shares: tuple[float, ...] = ()
    """Per sentence of (text, *alternatives): its share of the n-best list's probability."""
    is_scored: bool = True
    """False when ``spans`` have their frames but no acoustic scores (``_without_lattice``):
    no word evidence is measured then."""


class _Background(Enum):
    """What an utterance's speech stands against (``_Stream._background``)."""

    CLEAR = "clear"
    STEADY = "steady noise"
    VOICES = "other noise"


class _Stream:
    """Audio of one utterance; decoded when it ends (the grammar pass, then the open pass)."""

    def __init__(self, passes: _Passes, denoiser: SpectralDenoiser | None,
                 is_cross_check_due: Callable[[Transcript], bool] | None = None,
                 enhancer: SpeechEnhancer | None = None) -> None:
        self._passes = passes
        self._denoiser = denoiser
        self._is_cross_check_due = is_cross_check_due
        self._enhancer = enhancer
        self._enhancing: EnhancedStream | None = None
        """Started the first time the speech so far stands against steady noise."""
        self._chunks: list[np.ndarray] = []
        self._enhanced: list[np.ndarray] = []
        """The audio through the speech enhancer (``_is_enhanced``)."""
        self._enhanced_chunks = 0
        """How many chunks of the audio as it came (``_raw``) the enhancer has been fed."""
        self._raw: list[np.ndarray] = []
        """The audio as it came, for the cross-check's own noise filter."""
        self._samples = 0
        self._energies: list[float] = []
        """Mean square of each 25 ms frame of the audio as it came that sounds (digital
        silence left out, ``DIGITAL_SILENCE_POWER``)."""
        self._sounding_frames: list[int] = []
        """Where each of those frames lies in the utterance (its 25 ms frame number)."""
        self._levels: list[np.ndarray] = []
        """Band levels of each of those frames (``band_levels_db``)."""
        self._silent_frames = 0
        """How many frames were digital silence."""
        self._is_silent_between = False
        """Digital silence came between sounds (``_range_db``)."""
        self._since_sound: bool | None = None
        """None before any sound; then whether digital silence followed the last sound."""
        self._pending_raw = np.zeros(0, np.float64)
        self._first: tuple[bytes, _FirstPass] | None = None
        """The audio last decoded at a pause, and its decode."""
        self._helped: tuple[int, int] | None = None
        """(audio length, ticket) of the job the helper process is decoding."""
        self._decoded: tuple[int, int | None] = (0, None)
        """The span of the utterance last given to the decoder (``_span``)."""
        self._end_pcm: bytes | None = None
        """The audio the utterance ends with (set by ``end_at_partial``)."""

    def feed(self, samples: np.ndarray) -> None:
        self._samples += len(samples)
        raw = np.concatenate([self._pending_raw, np.asarray(samples, np.float64)])
        whole = len(raw) // _RANGE_FRAME * _RANGE_FRAME
        if whole:
            frames = raw[:whole].reshape(-1, _RANGE_FRAME)
            energies = np.mean(frames ** 2, axis=1)
            sounding = np.flatnonzero(energies >= DIGITAL_SILENCE_POWER)
            self._note_silence(energies < DIGITAL_SILENCE_POWER)
            if len(sounding):  # digital silence is no room
                first = (self._samples - len(raw)) // _RANGE_FRAME  # raw's first frame
                self._energies.extend(energies[sounding].tolist())
                self._sounding_frames.extend((first + sounding).tolist())
                self._levels.append(band_levels_db(frames[sounding]))
        self._pending_raw = raw[whole:]
        self._raw.append(np.array(samples, np.int16))
        clean = self._denoiser.feed(samples) if self._denoiser else samples
        if len(clean):
            self._chunks.append(np.asarray(clean, np.int16))
        if self._enhancer is not None and self._background() is _Background.STEADY:
            self._keep_enhancing()

    def _keep_enhancing(self) -> None:
        """Feed the speech enhancer all the audio it has not had, from the start of the
        utterance: it keeps up while the speech stands against steady noise, waits while it
        does not (clear speech stops it within 0.3 s, other voices within a few tenths), and
        catches up when its audio is wanted. Its audio is the same either way: the model
        gives the same output however the audio is chunked."""
        assert self._enhancer is not None
        if self._enhancing is None:
            self._enhancing = self._enhancer.stream()
        fresh = self._raw[self._enhanced_chunks:]
        if fresh:
            audio = np.concatenate(fresh)
            self._enhanced.append(self._enhancing.feed(audio))
            self._enhanced_chunks = len(self._raw)

    @property
    def _enhanced_samples(self) -> int:
        """How much of the audio as it came the enhancer has been fed, in samples."""
        return sum(len(chunk) for chunk in self._raw[:self._enhanced_chunks])

    def partial(self) -> str:
        """The first pass's best hypothesis of the audio so far (asked at a pause, to end
        early on a complete command); kept, so ``finish`` does not decode it again."""
        pcm = self._pcm()
        if pcm:
            self._start_helper(pcm)
        self._first = (pcm, self._first_pass(pcm)) if pcm else None
        # Mid-utterance, a path that has not reached the grammar's end is no command yet:
        # "add two bananas and ..." must not end the utterance early.
        if self._first is None or self._first[1].is_unfinished:
            return ""
        return self._first[1].text

    def end_at_partial(self) -> None:
        """End the utterance where the last :meth:`partial` was asked: what came since is
        the pause that ended it. ``finish`` then reuses that decode (the denoiser's tail,
        held back until the end, would otherwise make it a decode of different audio)."""
        if self._first is not None:
            self._end_pcm = self._first[0]

    def _start_helper(self, pcm: bytes) -> None:
        """Hand the open pass and the phone loop of ``pcm`` to the helper process, if any
        (a job for an earlier pause is dropped: the utterance went on)."""
        helper = self._passes.helper
        if helper is None:
            return
        if self._helped is not None:
            helper.drop(self._helped[1])
            self._helped = None
        ticket = helper.submit(pcm)
        if ticket is not None:
            self._helped = (len(pcm), ticket)

    def _helper_ticket(self, pcm: bytes) -> int | None:
        """The helper's job for exactly this audio, if one was started."""
        helped = self._helped
        if self._passes.helper is None or helped is None or helped[0] != len(pcm):
            return None
        return helped[1]

    def _pcm(self) -> bytes:
        """The audio to decode: the front end's or the enhancer's, the foreground speech."""
        if self._is_enhanced():
            self._keep_enhancing()
            chunks = self._enhanced
        else:
            chunks = self._chunks
        if not chunks:
            return b""
        self._decoded = self._span()
        start, end = self._decoded
        return np.concatenate(chunks)[start:end].tobytes()

    def _span(self) -> tuple[int, int | None]:
        """Which samples of the utterance are decoded: all of them, or with others talking
        around it the foreground speech (``foreground_span``; end None: to the end)."""
        if self._noise_modulation_db() < STEADY_NOISE_DB:
            return 0, None
        first, end = foreground_span(np.asarray(self._energies))
        around = (len(self._energies) - (end - first)) * _RANGE_FRAME / SAMPLE_RATE_HZ
        if around <= MIN_OTHERS_TALKING_S:
            return 0, None
        frame_at = self._sounding_frames
        return (frame_at[first] * _RANGE_FRAME,
                None if end == len(frame_at) else (frame_at[end - 1] + 1) * _RANGE_FRAME)

    def _is_enhanced(self) -> bool:
        """Decode the speech enhancer's audio: speech under steady noise."""
        return self._enhancer is not None and self._background() is _Background.STEADY

    def _note_silence(self, silent: np.ndarray) -> None:
        self._silent_frames += int(np.count_nonzero(silent))
        for is_silent in silent.tolist():  # 40 frames a second
            if not is_silent:
                self._is_silent_between |= bool(self._since_sound)
                self._since_sound = False
            elif self._since_sound is not None:
                self._since_sound = True

    def _range_db(self) -> float:
        """``dynamic_range_db`` of the sounding frames; with digital silence between sounds
        (a synthetic voice's pauses between words: no microphone gives them, and the gap
        ``listen`` leaves after a file only ever ends an utterance) the room is silent, and
        its silent frames are the quiet ones. espeak-ng's clean orders measured 24-26 dB
        over their sounding frames, as if at 10 dB of noise, and were refused."""
        energies = np.asarray(self._energies)
        if self._is_silent_between:
            energies = np.concatenate([energies, np.zeros(self._silent_frames)])
        return dynamic_range_db(energies)

    def _background(self) -> _Background:
        """What the speech so far stands against, judged on the audio as it came: clearly
        over any noise (``CLEAR_DYNAMIC_RANGE_DB``), or under steady noise
        (``STEADY_NOISE_DB``), or under other noise (voices)."""
        if self._range_db() >= CLEAR_DYNAMIC_RANGE_DB:
            return _Background.CLEAR
        if self._noise_modulation_db() < STEADY_NOISE_DB:
            return _Background.STEADY
        return _Background.VOICES

    def _noise_modulation_db(self) -> float:
        """``noise_modulation_db`` of the audio so far."""
        levels = np.concatenate(self._levels) if self._levels else np.zeros((0, len(_BANDS)))
        self._levels = [levels]  # asked at every chunk: join the frames once
        return noise_modulation_db(levels)

    def _first_pass(self, pcm: bytes, is_retry: bool = False) -> _FirstPass:
        passes = self._passes
        if passes.has_grammar:
            search = self._grammar_search()
            d, best_path, path_spans = passes.decode_grammar(pcm, search or passes.GRAMMAR)
            if search is None:
                return self._without_lattice(best_path, path_spans)
        else:
            d, best_path, path_spans = passes.decode(passes.OPEN, pcm), "", []
        hyp = d.hyp()
        raw = _clean(hyp.hypstr) if hyp else ""
        if not raw and best_path and passes.grammar is not None and not is_retry:
            return self._up_to_whole_command(pcm, best_path, path_spans)
        paths = _nbest(d) if raw else []
        spans = [s for s in _spans(d) if _is_word(s[0])] if raw else []
        if passes.grammar is not None:
            # A path may end in stray words after a whole command ("... with sugar and"):
            # only whole sentences of the language count.
            grammar = passes.grammar
            raw = _whole_sentence(grammar, raw)
            paths = [(w, score) for w, score in
                     ((_whole_sentence(grammar, t), score) for t, score in paths) if w]
        shares = sentence_shares(paths)
        sentences = [t for t in dict.fromkeys((raw, *(t for t, _ in paths))) if t]
        text = sentences[0] if sentences else ""
        alternatives = tuple(sentences[1:NBEST + 1])
        words = text.split()
        # The best path's words, when the chosen sentence is (a prefix of) that path.
        is_best_path = bool(words) and [s[0] for s in spans[:len(words)]] == words
        posterior = float(hyp.prob) ** (1.0 / max(len(words), 1)) if hyp else 0.0
        return _FirstPass(text, alternatives, posterior,
                          tuple(spans[:len(words)]) if is_best_path else (),
                          is_unfinished=is_retry,
                          shares=tuple(shares.get(t, 0.0) for t in sentences[:NBEST + 1])
                          if shares else ())

    def _grammar_search(self) -> str | None:
        """Clear audio: the default search. Speech over steady noise: the wider word-exit
        beam, which helps it. Other voices in the background do not gain from that beam
        and keep many more words alive under it (at 10 dB babble it read no more orders
        right at 2.6 times the decode time): the default search, read without its word
        lattice (None, ``_without_lattice``) unless only the foreground speech is decoded
        (``_is_foreground``). There the lattice costs little, and it brings the runners-up
        and word scores a reading needs to stand without the open pass: 100 real orders
        under babble at 10 dB, 9 / 0 -> 16 / 1 right / wrong."""
        background = self._background()
        if background is _Background.CLEAR or self._is_foreground:
            return _Passes.GRAMMAR
        if background is _Background.STEADY:
            return self._passes.noisy_search()
        return None

    @property
    def _is_foreground(self) -> bool:
        """Others talk around the speech: only its foreground is decoded (``_span``)."""
        return self._decoded != (0, None)

    def _without_lattice(self, best_path: str, path_spans: list[Span]) -> _FirstPass:
        """Speech under other voices: the grammar's best path as the search left it, before
        the utterance was closed. Asked after, PocketSphinx builds a word lattice for it
        (and for the n-best list) in time that grows with the square of the word exits,
        and babble keeps thousands exiting: at 10 dB babble the lattice took 5-10 times the
        search itself. Without it there are no runners-up and no word scores (the frames
        hold), so the reading stands only when the open pass hears the same order."""
        assert self._passes.grammar is not None
        text = _whole_sentence(self._passes.grammar, best_path) if best_path else ""
        words = [s for s in path_spans if _is_word(s[0])][:len(text.split())]
        return _FirstPass(text, (), 0.0, tuple(words), is_scored=False)

    def _aligned(self, pcm: bytes, text: str) -> tuple[Span, ...]:
        """The words of ``text`` (a sentence of the n-best list, not the best path) aligned
        to the audio, for their frames and acoustic scores; () when they cannot be."""
        d = self._passes.decoder
        try:
            d.set_align_text(text)
        except RuntimeError:
            return ()
        d.reinit_feat()
        d.start_utt()
        d.process_raw(pcm, False, True)
        d.end_utt()
        found = [s for s in _spans(d) if _is_word(s[0])]
        return tuple(found) if [s[0] for s in found] == text.split() else ()

    def _up_to_whole_command(self, pcm: bytes, best_path: str,
                             path_spans: list[Span]) -> _FirstPass:
        """No grammar path reached its end: a speaker who trails off ("... iced coffee with
        cream and"). When the best path begins with a whole command, the audio up to that
        command's last word is decoded again, for its own scores and runners-up. On the
        real orders 31 of 309 clips had no grammar result; 16 were right this way."""
        assert self._passes.grammar is not None
        whole = _whole_sentence(self._passes.grammar, best_path)
        words = [s for s in path_spans if _is_word(s[0])]
        if not whole or [s[0] for s in words[:len(whole.split())]] != whole.split():
            return _FirstPass("", (), 0.0, ())
        end_frame = words[len(whole.split()) - 1][2]
        return self._first_pass(pcm[:(end_frame + 1) * _FRAME_BYTES], is_retry=True)

    def finish(self) -> Transcript:
        started = time.perf_counter()
        if self._end_pcm is not None:
            pcm = self._end_pcm
        else:
            if self._denoiser:
                self._chunks.append(np.asarray(self._denoiser.flush(), np.int16))
            if self._is_enhanced():
                self._keep_enhancing()
                assert self._enhancing is not None
                self._enhanced.append(self._enhancing.flush())
            pcm = self._pcm()
        passes = self._passes
        first, second = _FirstPass("", (), 0.0, ()), ""
        evidence: tuple[float, ...] = ()
        range_db: float | None = None
        if pcm:
            if self._first is not None and self._first[0] == pcm:
                first = self._first[1]
            else:
                if self._helper_ticket(pcm) is None:
                    self._start_helper(pcm)
                first = self._first_pass(pcm)
            helper, ticket = passes.helper, self._helper_ticket(pcm)
            self._helped = None
            if passes.has_grammar and passes.has_open:
                words = helper.open_words(ticket) if helper and ticket is not None else None
                if words is None:
                    hyp2 = passes.decode(passes.OPEN, pcm).hyp()
                    words = _clean(hyp2.hypstr) if hyp2 else ""
                second = words
            range_db = self._range_db()
            is_quiet = range_db >= MIN_DYNAMIC_RANGE_DB
            if (passes.has_grammar and first.text and not first.spans
                    and range_db >= CLEAR_DYNAMIC_RANGE_DB):
                first = replace(first, spans=self._aligned(pcm, first.text))
            # When the open pass heard the very same sentence, that agreement already
            # confirms it: the phone loop would be a decode nobody reads.
            is_agreed = second == first.text
            if (passes.has_grammar and first.spans and first.is_scored and is_quiet
                    and not is_agreed):
                phones = helper.phones(ticket) if helper and ticket is not None else None
                if phones is None:
                    phones = _spans(passes.decode(passes.PHONES, pcm))
                evidence = word_evidence(list(first.spans), phones)
            elif helper and ticket is not None:
                helper.drop(ticket)
        text, alternatives, posterior = first.text, first.alternatives, first.posterior
        transcript = Transcript(
            text=text, is_in_domain=bool(text), confidence=posterior,
            duration_s=self._samples / SAMPLE_RATE_HZ, decode_s=time.perf_counter() - started,
            alternatives=alternatives, is_grammar=passes.has_grammar, second_opinion=second,
            is_second_opinion_a_command=bool(second) and passes.grammar is not None
            and passes.grammar.accepts(second.split()),
            word_evidence=evidence, dynamic_range_db=range_db, shares=first.shares,
            unexplained_s=loud_unexplained_s(pcm, first.spans),
            others_talking_s=max(self._samples - len(pcm) // 2, 0) / SAMPLE_RATE_HZ
            if pcm and self._is_foreground else 0.0)
        if not evidence or range_db is None or (self._is_cross_check_due is not None
                                                and not self._is_cross_check_due(transcript)):
            return transcript
        return replace(transcript, cross_check=self._views(pcm, range_db),
                       decode_s=time.perf_counter() - started)

    def _views(self, pcm: bytes, range_db: float) -> tuple[str, ...]:
        """The cross-check: noisy audio through the other noise filter, clear audio with
        the vocal tract warped both ways, the foreground speech under others' voices both
        ways. On 100 real orders under babble, right / wrong with warped views only and
        with both: at 10 dB 16 / 1 and 16 / 1; in a first version of the cut, before
        ``understand`` asked more of readings under voices, 31 / 5 and 27 / 3 at 10 dB,
        77 / 2 and 74 / 0 at 20 dB."""
        if self._is_foreground:
            return (*self._warped(pcm), *self._cross_check(len(pcm)))
        if range_db < CLEAR_DYNAMIC_RANGE_DB:
            return self._cross_check(len(pcm))
        return self._warped(pcm)

    def _cross_check(self, length: int) -> tuple[str, ...]:
        """The grammar pass's sentence for the audio as it came (from the start, for the
        filter's warm-up) put through ``WienerDenoiser`` instead of the front end's filter,
        of the same ``length`` bytes of it as was decoded."""
        start, _ = self._decoded
        raw = np.concatenate(self._raw)[:start + length // 2]
        return (self._first_pass(WienerDenoiser().run(raw)[start:].tobytes()).text,)

    def _warped(self, pcm: bytes) -> tuple[str, ...]:
        """The grammar pass's sentences for ``pcm`` with the frequency axis warped as for a
        shorter and a longer vocal tract (``VTLN_WARPS``)."""
        config = self._passes.decoder.config
        try:
            texts = []
            for warp in VTLN_WARPS:
                config["warp_params"] = str(warp)
                texts.append(self._first_pass(pcm).text)
            return tuple(texts)
        finally:
            config["warp_params"] = None


VTLN_WARPS = (0.9, 1.1)
"""Frequency warps (PocketSphinx's inverse-linear VTLN) of clear audio's cross-check;
see docs/measurements.md."""
LOUD_DB = 12.0
"""Audio the words leave uncovered counts as unexplained when it is this loud: within this
many dB of the median 10 ms frame of the words themselves. Speech the grammar passed over
is as loud as the words; silence, breaths and noise well under the speech are not."""


def loud_unexplained_s(pcm: bytes, spans: tuple[Span, ...]) -> float:
    """Seconds of ``pcm`` outside the words' frames that are about as loud as the words (0
    when there are no words)."""
    if not spans:
        return 0.0
    samples = np.frombuffer(pcm, np.int16).astype(np.float64)
    frames = len(samples) // (_FRAME_BYTES // 2)
    energy = np.mean(samples[:frames * (_FRAME_BYTES // 2)].reshape(frames, -1) ** 2, axis=1)
    covered = np.zeros(frames, bool)
    for _, start, end, _ in spans:
        covered[start:end + 1] = True
    if not covered.any():
        return 0.0
    level = float(np.median(energy[covered])) * 10 ** (-LOUD_DB / 10)
    return float(np.count_nonzero(~covered & (energy >= level))) / FRAMES_PER_S


class PocketSphinxSTT:
    """The recogniser, loaded once per process."""

    name = NAME

    def __init__(self, domain: Domain | None, settings: SphinxSettings,
                 is_cross_check_due: Callable[[Transcript], bool] | None = None) -> None:
        """``is_cross_check_due`` is asked with a transcript whose word evidence was
        measured: could its cross-check change what it is understood as
        (``understand.is_cross_check_due``)? The views' decodes are then paid only where
        they decide something. None: always decoded."""
        self.settings = settings
        self._is_cross_check_due = is_cross_check_due
        self._enhancer = SpeechEnhancer.load() if settings.enhance else None
        model = _model_dir()
        if domain is None or not settings.use_domain:
            decoder = _decoder(hmm=str(model / "en-us"))
            decoder.add_lm_file(_Passes.OPEN, str(model / "en-us.lm.bin"))
            self._passes = _Passes(decoder, grammar=None, has_open=True)
            return
        folder = compile_domain(domain, settings.cache_dir)
        config = {"hmm": str(model / "en-us"), "dict": str(folder / "words.dict"),
                  "lm": str(folder / "domain.lm"), "maxhmmpf": MAX_HMMS_PER_FRAME}
        decoder = _decoder(**config)
        decoder.add_lm_file(_Passes.OPEN, str(folder / "domain.lm"))
        grammar = domain.grammar if settings.use_grammar else None
        helper = None
        if grammar is not None:
            decoder.add_fsg(_Passes.GRAMMAR, decoder.read_fsg(str(folder / "grammar.fsg")))
            decoder.add_allphone_file(_Passes.PHONES)
            if settings.helper_process:
                helper = OpenPassHelper(config, _Passes.OPEN, _Passes.PHONES)
        self._passes = _Passes(decoder, grammar=grammar, has_open=True, helper=helper,
                               grammar_file=folder / "grammar.fsg")

    def stream(self) -> _Stream:
        return _Stream(self._passes, SpectralDenoiser() if self.settings.denoise else None,
                       self._is_cross_check_due, self._enhancer)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        stream = self.stream()
        stream.feed(samples)
        return stream.finish()
