"""Speech to text: one interface, PocketSphinx and Vosk behind it, both biased to the shop."""
