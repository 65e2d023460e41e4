"""One error class per pipeline stage or domain, each with a stable code.

The CLI prints ``VoiceShopError`` as one line on stderr and exits non-zero; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations


class VoiceShopError(Exception):
    """Base error: a stable machine-readable ``code`` and a human message."""

    code = "voice_shop_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigError(VoiceShopError):
    code = "config_error"


class ServerError(VoiceShopError):
    """``serve`` could not start (a port in use, a bad address)."""

    code = "server_error"


class DatabaseError(VoiceShopError):
    code = "database_error"


class CatalogError(VoiceShopError):
    code = "catalog_error"


class CartError(VoiceShopError):
    code = "cart_error"


class OrderError(VoiceShopError):
    code = "order_error"


class ProfileError(VoiceShopError):
    code = "profile_error"


class IntentError(VoiceShopError):
    code = "intent_error"


class AudioInputError(VoiceShopError):
    code = "audio_input_error"


class AudioOutputError(VoiceShopError):
    code = "audio_output_error"


class WakeError(VoiceShopError):
    code = "wake_error"


class SpeechToTextError(VoiceShopError):
    code = "stt_error"


class TextToSpeechError(VoiceShopError):
    code = "tts_error"


class SpeakerIdError(VoiceShopError):
    code = "speaker_id_error"


class ModelError(VoiceShopError):
    code = "model_error"


class AudioQualityError(SpeakerIdError):
    """A recording unfit to tell or learn a voice: no speech, too little, clipped, too noisy,
    or an enrollment recording unlike the others. ``code`` names which."""

    code = "audio_quality"
