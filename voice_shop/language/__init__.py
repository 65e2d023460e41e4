"""The shop's language: templates as data and their compiler (see ``compiler.py``)."""
