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
    """"auto" (Vosk when a Vosk model is installed, else Moonshine), "moonshine" (the neural
    recogniser), "pocketsphinx" (the light engine for small boards) or "vosk"."""
    vosk_model: Path | None = None
    """A Vosk model folder; default: the first one installed under models_dir."""
    use_domain: bool = True
    """False decodes with general English (only for comparisons)."""
    helper_process: bool = False
    """PocketSphinx: decode the open pass and the phone loop in a second process while
    this one runs the grammar pass (``listen`` and ``serve`` on more than one core)."""


@dataclass(frozen=True)
class AudioSettings:
    """Sound devices of ``listen``: a PortAudio device name or index; None is the default."""

    input_device: str | None = None
    output_device: str | None = None


DEFAULT_HOST = "127.0.0.1"
"""Localhost only: the Wyoming server and the household page answer anyone who can reach
them, so listening on the network is a decision the household makes in the config file."""
DEFAULT_WYOMING_PORT = 10700
DEFAULT_HTTP_PORT = 8080


@dataclass(frozen=True)
class ServerSettings:
    """``voice-shop serve``: where it listens, and what the web page and the order outbox
    need (read from the config file's ``[server]``, ``[web]`` and ``[shop]`` sections)."""

    host: str = DEFAULT_HOST
    wyoming_port: int = DEFAULT_WYOMING_PORT
    http_port: int = DEFAULT_HTTP_PORT
    """0 turns the household page off."""
    password: str | None = None
    """The household page's password (``[web] password``); needed when not bound to
    localhost."""
    webhook_url: str | None = None
    """Where placed orders are delivered as JSON (``[shop] webhook_url``); None keeps them
    local."""
    webhook_secret: str | None = None
    """The secret shared with the shop (``[shop] webhook_secret``, ``whsec_<base64>``): signs
    every order sent and checks every status report received (Standard Webhooks)."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names the household page answers to besides the loopback names and ``host``
    (``[web] allowed_hosts``, e.g. ``["shop.local"]``); any other ``Host`` is refused."""
    idle_timeout_s: float = 60.0
    """A Wyoming client that sends no complete event for this long is disconnected."""
    max_connections_per_address: int = 16
    """Wyoming connections open at once from one address; more are refused."""


@dataclass(frozen=True)
class AppSettings:
    db_path: Path = Path("catalog.db")
    models_dir: Path = Path("models")
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    wake: WakeSettings = field(default_factory=WakeSettings)
    endpointer: EndpointerSettings = field(default_factory=EndpointerSettings)
    tts: PiperSettings = field(default_factory=PiperSettings)
    dialog: DialogSettings = field(default_factory=DialogSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    server: ServerSettings = field(default_factory=ServerSettings)

    @property
    def cache_dir(self) -> Path:
        """Compiled speech models for this database's catalog."""
        return self.db_path.parent / ".voice-shop-cache"


def user_models_dir(data_home: Path) -> Path:
    """Models installed for this user: ``$XDG_DATA_HOME/voice-shop/models``."""
    return data_home / "voice-shop" / "models"


def checkout_models_dir() -> Path:
    """``models/`` at the root of a source checkout, where ``scripts/setup.sh`` installs the
    speaker-encoder weights (it does not exist in an installed wheel)."""
    return Path(__file__).resolve().parents[1] / "models"


def resolve_models_dir(explicit: Path | None, data_home: Path) -> Path:
    """Where models are read from and installed, never relative to the current folder unless
    asked: ``explicit`` (``--models-dir`` / ``VOICE_SHOP_MODELS_DIR``) when given; else the user
    data folder if it exists; else a source checkout's ``models/`` if it exists; else the user
    data folder (``models download`` creates it)."""
    if explicit is not None:
        return explicit
    user = user_models_dir(data_home)
    for candidate in (user, checkout_models_dir()):
        if candidate.is_dir():
            return candidate
    return user
