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


def _model_checks(models_dir: Path) -> Iterator[Check]:
    from .stt.models import installed_models
    from .tts import DEFAULT_VOICE, PiperSettings, voice_paths
    try:
        import pocketsphinx
        yield Check("pocketsphinx", True, f"bundled en-US model in {pocketsphinx.get_model_path()}")
    except ImportError:
        yield Check("pocketsphinx", False, "pip install pocketsphinx")
    vosk = installed_models(models_dir)
    yield Check("vosk model", True, f"{vosk[0]}" if vosk else
                f"none in {models_dir}/ (optional: 'voice-shop models download "
                "vosk-model-small-en-us-0.15' on a device with internet)")
    try:
        model, _ = voice_paths(PiperSettings(voice=DEFAULT_VOICE, models_dir=models_dir))
        yield Check("piper voice", True, str(model))
    except VoiceShopError as exc:
        yield Check("piper voice", False, exc.message)
    yield Check("espeak-ng", shutil.which("espeak-ng") is not None,
                "found" if shutil.which("espeak-ng") else
                "apt-get install espeak-ng (pronunciations for new product words)")


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


def run_checks(db: Path, models_dir: Path) -> Iterator[Check]:
    yield from _audio_checks()
    yield from _model_checks(models_dir)
    yield from _wake_checks()
    yield _database_check(db)
