"""The conversation: intents meet the cart (``conversation``), the questions it waits on
(``questions``) and the words it says (``wording``)."""

from .conversation import Dialog, DialogSettings, Turn

__all__ = ["Dialog", "DialogSettings", "Turn"]
