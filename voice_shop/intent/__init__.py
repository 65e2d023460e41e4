"""Text to typed intents: the parser, its catalog matcher and the intent messages."""
