"""``voice-shop serve``: the Wyoming server for Home Assistant (asr, handle, tts) and the
household page, in one process that loads the models once."""

from ..errors import ServerError
from .run import MAX_CLIENTS, run_server, serve
from .wyoming_handler import MAX_AUDIO_S

__all__ = ["MAX_AUDIO_S", "MAX_CLIENTS", "ServerError", "run_server", "serve"]
