"""Settings: nested frozen dataclasses built once (by the CLI) and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .dialog import DialogSettings
from .tts import PiperSettings
from .vad import EndpointerSettings
from .wake import WakeSettings


@dataclass(frozen=True)
class SpeechSettings:
    """Which recogniser to load."""

    engine: str = "auto"
    """"auto" (Vosk when a Vosk model is installed, else PocketSphinx), "pocketsphinx",
    or "vosk"."""
    vosk_model: Path | None = None
    """A Vosk model folder; default: the first one installed under models_dir."""
    use_domain: bool = True
    """False decodes with general English (only for comparisons)."""


@dataclass(frozen=True)
class AppSettings:
    db_path: Path = Path("catalog.db")
    models_dir: Path = Path("models")
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    wake: WakeSettings = field(default_factory=WakeSettings)
    endpointer: EndpointerSettings = field(default_factory=EndpointerSettings)
    tts: PiperSettings = field(default_factory=PiperSettings)
    dialog: DialogSettings = field(default_factory=DialogSettings)

    @property
    def cache_dir(self) -> Path:
        """Compiled speech models for this database's catalog."""
        return self.db_path.parent / ".voice-shop-cache"
