"""Builds the stages once per process from the settings (models load on first use)."""

from __future__ import annotations

from functools import cached_property, partial

from .config import AppSettings
from .dialog import Dialog
from .errors import SpeechToTextError
from .intent.model import Intent, IntentName
from .intent.parser import IntentParser
from .shop.engine import Shop
from .speaker.identify import SpeakerIdentifier, SpeakerSettings
from .stt.base import SpeechToText
from .stt.domain import Domain, build_domain
from .stt.moonshine import MoonshineSettings, MoonshineSTT
from .stt.pocketsphinx_engine import PocketSphinxSTT, SphinxSettings
from .stt.vosk_engine import VoskSTT, find_vosk_model
from .tts import PiperTTS
from .understand import is_complete, is_cross_check_due


class Assistant:
    """The shop and every stage that works on it, loaded lazily and only once."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.shop = Shop.open(settings.db_path)
        self._catalog_version = self.shop.catalog_version()

    def refresh_if_catalog_changed(self) -> bool:
        """After another process imported a catalog, rebuild what depends on it (parser,
        recogniser language, dialog) on next use. Cheap when nothing changed."""
        version = self.shop.catalog_version()
        if version == self._catalog_version:
            return False
        self._catalog_version = version
        for name in ("parser", "domain", "stt", "dialog"):
            self.__dict__.pop(name, None)
        return True

    @cached_property
    def parser(self) -> IntentParser:
        return IntentParser(self.shop.products(),
                            wake_phrase=self.settings.wake.recogniser_phrase)

    @cached_property
    def domain(self) -> Domain:
        # A custom wake phrase must be in the recogniser's language, or it is never heard;
        # after a wake-word model the recogniser only hears the command.
        return build_domain(self.shop.products(), self.settings.wake.recogniser_phrase,
                            self.settings.cache_dir)

    @cached_property
    def stt(self) -> SpeechToText:
        speech = self.settings.speech
        domain = self.domain if speech.use_domain else None
        vosk_model = speech.vosk_model or find_vosk_model(self.settings.models_dir)
        if speech.engine == "vosk" or (speech.engine == "auto" and vosk_model is not None):
            if vosk_model is None:
                raise SpeechToTextError(
                    f"no Vosk model in {self.settings.models_dir}/; install one with "
                    "'voice-shop models download vosk-model-small-en-us-0.15' or use "
                    "--engine pocketsphinx")
            return VoskSTT(vosk_model, domain)
        if speech.engine in ("auto", "moonshine"):
            return MoonshineSTT(domain, MoonshineSettings(self.settings.models_dir))
        if speech.engine != "pocketsphinx":
            raise ValueError(f"unknown speech engine {speech.engine!r}")
        settings = SphinxSettings(self.settings.cache_dir, use_domain=speech.use_domain,
                                  helper_process=speech.helper_process)
        # The parser of the catalog this recogniser is built for: a refresh rebuilds both.
        return PocketSphinxSTT(domain, settings,
                               partial(is_cross_check_due, parser=self.parser))

    @cached_property
    def tts(self) -> PiperTTS:
        return PiperTTS(self.settings.tts)

    @cached_property
    def speakers(self) -> SpeakerIdentifier:
        return SpeakerIdentifier(self.shop, SpeakerSettings(models_dir=self.settings.models_dir))

    def is_complete(self, text: str) -> bool:
        """The pipeline's early-end hook: is this partial transcript already a whole
        sentence of the shop's grammar that parses into a complete command, one the
        shopper is unlikely to go on with? An order whose last product still has options
        unsaid may go on: real people pause before "with almond milk" ("i want a dark roast
        latte ... with almond milk"), and the early end made it a wrong order."""
        grammar = self.domain.grammar
        # A grammar decode's partial ends where the grammar allows; free writing need not.
        is_free = isinstance(self.stt, MoonshineSTT)
        if grammar is not None and not is_free and not grammar.accepts(text.split()):
            return False
        intent = self.parser.parse(text)
        return is_complete(intent) and not self._may_go_on(intent)

    def _may_go_on(self, intent: Intent) -> bool:
        if intent.intent not in (IntentName.ADD_ITEM, IntentName.ADD_TO_LIST) or \
                not intent.items:
            return False
        last = intent.items[-1]
        product = self.shop.find_product(last.sku) if last.sku else None
        return product is not None and any(g not in last.options for g in product.options)

    @cached_property
    def dialog(self) -> Dialog:
        return Dialog(self.shop, self.parser, self.settings.dialog)
