"""Moonshine base-en, the default recogniser, on real engines and real audio.

The decoding loop is pinned against the wheel's own C library (run in a child process: it
leaks memory on every call); the tokenizer round-trips text and the model's own tokens;
speech synthesised at test time and real recorded orders (``../shared/audio``, skipped when
absent) go through the recogniser and ``understand`` and the full parse is asserted.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice_shop.assistant import Assistant
from voice_shop.audio import SAMPLE_RATE_HZ, read_audio, write_wav
from voice_shop.bench.real_bench import NoiseBank, expected_from_label, judge
from voice_shop.bench.speech_bench import word_errors
from voice_shop.config import AppSettings, SpeechSettings
from voice_shop.intent.model import IntentName
from voice_shop.shop.demo import load_demo
from voice_shop.shop.engine import Shop
from voice_shop.stt.moonshine import MoonshineSTT
from voice_shop.stt.moonshine_model import MoonshineModel, Tokenizer, model_dir
from voice_shop.text import normalize
from voice_shop.understand import understand
from voice_shop.vad import speech_span

from .speech import SpeechMaker

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"
CORPUS = SHARED / "coffee-orders"
OUT_OF_DOMAIN = SHARED / "librispeech-cohort"
README_EXAMPLE = "add two bags of rice and a pack of bacon"
PINNED_SENTENCES = ("add two bags of rice and a pack of bacon",
                    "how much are the honeycrisp apples")
REAL_SAMPLE = 12
OOD_SAMPLE = 6
BABBLE_STRETCHES = 8

pytestmark = pytest.mark.slow
needs_corpus = pytest.mark.skipif(not (CORPUS / "labels.json").is_file(),
                                  reason="real recordings not present")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def shop_ear(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Assistant:
    """The demo shop with the default recogniser, loaded once for the module."""
    db = tmp_path_factory.mktemp("moonshine") / "demo.db"
    shop = Shop.open(db, create=True)
    load_demo(shop)
    shop.close()
    assistant = Assistant(AppSettings(db_path=db, models_dir=models_dir))
    assert isinstance(assistant.stt, MoonshineSTT)  # the default engine, nothing chosen
    return assistant


@pytest.fixture(scope="module")
def coffee_ear(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Assistant:
    if not (CORPUS / "labels.json").is_file():
        pytest.skip("real recordings not present")
    db = tmp_path_factory.mktemp("coffee") / "coffee.db"
    Shop.open(db, create=True).import_catalog(CORPUS / "catalog.csv")
    return Assistant(AppSettings(db_path=db, models_dir=models_dir,
                                 speech=SpeechSettings(engine="moonshine")))


def _labels() -> dict[str, dict[str, object]]:
    return dict(json.loads((CORPUS / "labels.json").read_text()))


def _real_sample(count: int, seed: int) -> list[tuple[str, dict[str, object]]]:
    return random.Random(seed).sample(sorted(_labels().items()), count)


def _pin_files(speech: SpeechMaker, folder: Path) -> list[Path]:
    """16-bit WAVs the wheel can read: Piper sentences, and two real clips when present, cut
    to their speech (Moonshine hears nothing in some clips that start with seconds of
    silence, and two empty transcripts would pin nothing)."""
    files = [speech.piper(text) for text in PINNED_SENTENCES]
    if (CORPUS / "labels.json").is_file():
        for name, _ in _real_sample(2, seed=3):
            wav = folder / f"{Path(name).stem}.wav"
            write_wav(wav, speech_span(read_audio(CORPUS / "clips" / name)))
            files.append(wav)
    return files


def _wheel_transcripts(files: list[Path]) -> list[str]:
    """The wheel's own ``transcribe_wav`` in a child process (its C library leaks ~75 MB a
    call and must never be loaded here)."""
    script = ("import json, sys\nfrom moonshine_cpp import MoonshineModel\n"
              "model = MoonshineModel()\n"
              "print(json.dumps([model.transcribe_wav(p) for p in sys.argv[1:]]))\n")
    done = subprocess.run([sys.executable, "-c", script, *map(str, files)],
                          capture_output=True, text=True, timeout=300, check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def pinned(speech: SpeechMaker, tmp_path_factory: pytest.TempPathFactory,
           ) -> list[tuple[Path, str]]:
    """Each pin file and what the wheel's own C library heard in it."""
    files = _pin_files(speech, tmp_path_factory.mktemp("pin"))
    return list(zip(files, _wheel_transcripts(files), strict=True))


def _wheel_graphs() -> MoonshineModel:
    """Our decoding loop over the wheel's own ``.ort`` graphs, as they ship (the engine
    runs graphs prepared from them: ``moonshine_prepare``)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    model = MoonshineModel.__new__(MoonshineModel)
    folder = model_dir()
    model.encoder = ort.InferenceSession(str(folder / "encoder_model.ort"), options)
    model.decoder = ort.InferenceSession(str(folder / "decoder_model_merged.ort"), options)
    model.tokenizer = Tokenizer.from_file(folder / "tokenizer.bin")
    return model


def _heard(model: MoonshineModel, path: Path) -> str:
    samples = read_audio(path)
    return normalize(model.generate(model.encode(samples), len(samples) / SAMPLE_RATE_HZ).text)


def test_the_decoding_loop_hears_what_the_wheel_hears(pinned: list[tuple[Path, str]]) -> None:
    model = _wheel_graphs()
    for path, wheel in pinned:
        ours = _heard(model, path)
        assert ours, f"{path.name}: nothing heard"
        assert ours == normalize(wheel), path.name


def test_the_prepared_graphs_hear_what_the_wheel_hears(pinned: list[tuple[Path, str]],
                                                       shop_ear: Assistant) -> None:
    """The int8 graphs the engine runs quantise activations too, so a real clip may differ
    by a word ("give me" for "get me"); synthetic speech must come out word for word."""
    model = shop_ear.stt.model  # type: ignore[attr-defined]
    for path, wheel in pinned:
        ours, theirs = _heard(model, path), normalize(wheel)
        assert ours, f"{path.name}: nothing heard"
        if path.name.startswith("piper"):
            assert ours == theirs, path.name
        else:
            assert word_errors(theirs, ours) <= 1, (path.name, ours, theirs)


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'-,.?!é",
                min_size=1, max_size=14)


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer.from_file(model_dir() / "tokenizer.bin")


@given(words=st.lists(_WORD, min_size=1, max_size=10))
def test_the_tokenizer_gives_back_catalog_like_text(tokenizer: Tokenizer,
                                                    words: list[str]) -> None:
    text = " ".join(words)
    assert tokenizer.decode(tokenizer.encode(text)) == text


@pytest.mark.parametrize("text", ["Add 2 bags of Long-Grain rice, please.",
                                  "I'd like a twelve-ounce café latte?", "Rice Krispies x3"])
def test_the_tokenizer_gives_back_written_commands(tokenizer: Tokenizer, text: str) -> None:
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_the_models_own_tokens_are_what_its_text_encodes_to(
        pinned: list[tuple[Path, str]], shop_ear: Assistant) -> None:
    model = shop_ear.stt.model  # type: ignore[attr-defined]
    for path, _ in pinned:
        samples = read_audio(path)
        heard = model.generate(model.encode(samples), len(samples) / SAMPLE_RATE_HZ)
        assert heard.tokens, path.name
        assert model.tokenizer.encode(heard.text) == list(heard.tokens), heard.text


@pytest.mark.parametrize("voice", ["piper", "en-us"])
def test_the_readme_example_is_understood_exactly(speech: SpeechMaker, shop_ear: Assistant,
                                                  voice: str) -> None:
    said = speech.piper(README_EXAMPLE) if voice == "piper" else \
        speech.espeak(README_EXAMPLE, voice)
    audio = speech_span(read_audio(said))
    result = understand(shop_ear.stt.transcribe(audio), shop_ear.parser)
    assert result.is_understood, result.text
    assert result.intent.intent is IntentName.ADD_ITEM
    assert [(i.sku, i.quantity, i.unit, dict(i.options)) for i in result.intent.items] == [
        ("Y104", 2, "bag", {}), ("M108", 1, "pack", {})]


@needs_corpus
def test_real_orders_are_understood_and_never_guessed(coffee_ear: Assistant) -> None:
    products = coffee_ear.shop.products()
    verdicts: dict[str, list[str]] = {"correct": [], "wrong": [], "rejected": []}
    for name, label in _real_sample(REAL_SAMPLE, seed=26):
        expected = expected_from_label(label, products)
        assert expected is not None, name
        audio = speech_span(read_audio(CORPUS / "clips" / name))
        result = understand(coffee_ear.stt.transcribe(audio), coffee_ear.parser)
        verdicts[judge(result.intent, expected)].append(f"{name}: {result.text!r}")
    assert not verdicts["wrong"], verdicts
    assert len(verdicts["correct"]) >= REAL_SAMPLE - 2, verdicts


def _read_speech() -> list[object]:
    """A fixed sample of LibriSpeech clips (one, "... knew a great deal more about it ...",
    was read as "deals" before a request naming no product had to be the shop's language)."""
    if not OUT_OF_DOMAIN.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="LibriSpeech not present"))]
    names = random.Random(5).sample(sorted(p.name for p in OUT_OF_DOMAIN.glob("*.flac")),
                                    OOD_SAMPLE)
    return list(names)


@pytest.mark.parametrize("name", _read_speech())
def test_read_speech_is_not_a_command(shop_ear: Assistant, name: str) -> None:
    transcript = shop_ear.stt.transcribe(speech_span(read_audio(OUT_OF_DOMAIN / name)))
    assert transcript.text, name  # heard as speech, then refused
    result = understand(transcript, shop_ear.parser)
    assert not result.is_understood, (result.text, result.intent.intent)


@needs_corpus
def test_talk_nobody_can_make_out_is_not_a_command(coffee_ear: Assistant) -> None:
    """Four synthetic voices reading the news at once, with no shopper: the search finds
    short commands in it ("that's it for me", "yeah") likelier than the junk the model
    heard, but never likelier than silence (before silence was a reading, 2 of 40 such
    stretches were accepted, the fifth of these among them)."""
    bank = NoiseBank(seed=11)
    for k in range(BABBLE_STRETCHES):
        noise = bank.noise("babble", SAMPLE_RATE_HZ * (2 + k % 4))
        audio = (noise / np.abs(noise).max() * 12000).astype(np.int16)
        result = understand(coffee_ear.stt.transcribe(audio), coffee_ear.parser)
        assert not result.is_understood, (k, result.text, result.intent.intent)
