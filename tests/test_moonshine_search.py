"""The graph search: Moonshine's decoder kept to the shop's language, on a hardware catalog
(nothing of the coffee corpus), with speech synthesised at test time."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_shop.assistant import Assistant
from voice_shop.audio import read_audio
from voice_shop.bench.synthetic import HARDWARE
from voice_shop.config import AppSettings, SpeechSettings
from voice_shop.intent.model import IntentName
from voice_shop.shop.engine import Shop
from voice_shop.stt.moonshine import Heard, MoonshineSTT
from voice_shop.stt.moonshine_search import FREE_WORDS, Found
from voice_shop.text import normalize
from voice_shop.understand import understand
from voice_shop.vad import speech_span

from .speech import SpeechMaker

pytestmark = pytest.mark.slow

SAID = ("add two boxes of three inch wood screws",
        "i need a can of navy blue paint",
        "can i get a pack of nine volt batteries")


@pytest.fixture(scope="module")
def hardware_ear(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder = tmp_path_factory.mktemp("hardware")
    (folder / "catalog.csv").write_text(HARDWARE)
    Shop.open(folder / "shop.db", create=True).import_catalog(folder / "catalog.csv")
    return Assistant(AppSettings(db_path=folder / "shop.db", models_dir=folder / "models",
                                 speech=SpeechSettings(engine="moonshine")))


def _stt(ear: Assistant) -> MoonshineSTT:
    assert isinstance(ear.stt, MoonshineSTT)
    assert ear.stt.search is not None
    return ear.stt


def _found(ear: Assistant, path: Path) -> tuple[list[Found], Heard]:
    stt = _stt(ear)
    heard = stt.listen(speech_span(read_audio(path)))
    assert stt.search is not None
    return stt.search.search(heard.states, heard.cap), heard


@pytest.mark.parametrize("text", SAID)
def test_the_likeliest_sentence_of_the_shop_is_what_was_said(
        speech: SpeechMaker, hardware_ear: Assistant, text: str) -> None:
    found, _ = _found(hardware_ear, speech.piper(text))
    assert found, text
    assert normalize(found[0].written) == text


@pytest.mark.parametrize("voice", ["piper", "en-us"])
def test_every_sentence_found_is_one_of_the_shop(speech: SpeechMaker,
                                                 hardware_ear: Assistant, voice: str) -> None:
    """Whatever the model heard, each sentence found is a whole sentence of the shop's
    language after at most ``FREE_WORDS`` words of the shopper's own."""
    grammar = hardware_ear.stt.domain.grammar  # type: ignore[attr-defined]
    for text in (*SAID, "the weather was lovely by the sea yesterday"):
        path = speech.piper(text) if voice == "piper" else speech.espeak(text)
        found, _ = _found(hardware_ear, path)
        for sentence in found:
            words = normalize(sentence.written).split()
            assert any(grammar.accepts(words[k:]) for k in range(FREE_WORDS + 1)), sentence


def test_its_scores_are_the_models_likelihoods(speech: SpeechMaker,
                                               hardware_ear: Assistant) -> None:
    """A sentence's search score is log P(sentence | audio) as forced decoding gives it (to
    the rounding of the int8 layers, which quantise each batch as a whole)."""
    stt = _stt(hardware_ear)
    found, heard = _found(hardware_ear, speech.piper(SAID[1]))
    for sentence in found:
        forced = stt.model.score(heard.states, [sentence.written])[0]
        assert abs(forced - sentence.score) < 0.5, sentence
        assert sentence.end_nats < 0


def test_a_verb_the_shop_does_not_know_may_open_an_order(speech: SpeechMaker,
                                                          hardware_ear: Assistant) -> None:
    audio = speech_span(read_audio(speech.piper("fetch two claw hammers")))
    result = understand(hardware_ear.stt.transcribe(audio), hardware_ear.parser)
    assert result.is_understood, result.text
    assert result.intent.intent is IntentName.ADD_ITEM
    assert [(i.sku, i.quantity, dict(i.options)) for i in result.intent.items] == [
        ("H05", 2, {"kind": "claw"})]
