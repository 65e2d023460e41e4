"""The TOML config file: where it is looked for, how it becomes ``AppSettings``, and how the
effective settings are shown.

Built once by the CLI (flags then override it with ``dataclasses.replace``); no other module
reads it. The file mirrors the settings dataclasses: top-level ``db`` and ``models_dir``, one
table per nested settings class (``[speech]``, ``[wake]``, ``[endpointer]``, ``[tts]``,
``[dialog]``, ``[audio]``, ``[server]``), plus ``[wyoming]`` (connection limits), ``[web]``
(password, allowed host names) and ``[shop]`` (webhook URL and secret), which land in
``ServerSettings`` for the Wyoming port, the household page and the order outbox. A key the
settings do not have, or a value of the wrong type, is refused with the file and line: a
typo silently ignored would leave a household wondering why its setting has no effect.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import AppSettings
from .errors import ConfigError

CONFIG_ENV = "VOICE_SHOP_CONFIG"
ERROR_CODE = "config"

_TOP_LEVEL = {"db": "db_path", "models_dir": "models_dir"}
"""Top-level keys of the file and the ``AppSettings`` field each sets."""
_TABLES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "speech": ("speech", None), "wake": ("wake", None), "endpointer": ("endpointer", None),
    "tts": ("tts", ("voice", "length_scale", "noise_scale", "noise_w_scale")),
    "dialog": ("dialog", None), "audio": ("audio", None),
    "server": ("server", ("host", "wyoming_port", "http_port")),
    "wyoming": ("server", ("idle_timeout_s", "max_connections_per_address")),
    "web": ("server", ("password", "allowed_hosts")),
    "shop": ("server", ("webhook_url", "webhook_secret")),
}
"""File table -> (``AppSettings`` field, the keys it may hold; None: every field)."""


def user_config_path(config_home: Path) -> Path:
    """``$XDG_CONFIG_HOME/voice-shop/config.toml`` (``~/.config/...``)."""
    return config_home / "voice-shop" / "config.toml"


def find_config(explicit: Path | None, env: Mapping[str, str], config_home: Path,
                ) -> Path | None:
    """``--config``, else ``VOICE_SHOP_CONFIG``, else the user's file when it exists. A file
    named explicitly must exist; the user's default file is optional."""
    named = explicit or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if named is not None:
        if not named.is_file():
            raise ConfigError(f"{named}: no such config file", code=ERROR_CODE)
        return named
    default = user_config_path(config_home)
    return default if default.is_file() else None


def load_settings(path: Path, base: AppSettings) -> AppSettings:
    """``base`` with every setting the file at ``path`` gives."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}", code=ERROR_CODE) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", code=ERROR_CODE) from exc
    return _Loader(path, text).apply(data, base)


class _Loader:
    """Applies one parsed file, naming the file and line of any mistake."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def apply(self, data: dict[str, Any], settings: AppSettings) -> AppSettings:
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict) and key in _TABLES:
                continue
            if key not in _TOP_LEVEL:
                raise self._error("", key, f"unknown key {key!r} (known: "
                                  f"{', '.join([*_TOP_LEVEL, *(f'[{t}]' for t in _TABLES)])})")
            changes[_TOP_LEVEL[key]] = self._value("", key, value, Path)
        settings = dataclasses.replace(settings, **changes)
        for table, (field, allowed) in _TABLES.items():
            if table in data:
                current = getattr(settings, field)
                updated = self._table(table, data[table], current, allowed)
                settings = dataclasses.replace(settings, **{field: updated})
        return settings

    def _table(self, table: str, values: dict[str, Any], current: Any,
               allowed: tuple[str, ...] | None) -> Any:
        hints = typing.get_type_hints(type(current))
        names = [f.name for f in dataclasses.fields(current)]
        known = [n for n in names if allowed is None or n in allowed]
        changes = {}
        for key, value in values.items():
            if key not in known:
                raise self._error(table, key, f"unknown key {table}.{key} (known in "
                                  f"[{table}]: {', '.join(known)})")
            changes[key] = self._value(table, key, value, hints[key])
        return dataclasses.replace(current, **changes)

    def _value(self, table: str, key: str, value: Any, kind: Any) -> Any:
        """``value`` as the settings field's type, or a clear error."""
        name = f"{table}.{key}" if table else key
        options = typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
        for option in options:
            if option is type(None):
                continue
            converted = self._convert(value, option)
            if converted is not None:
                return converted
        wanted = " or ".join(_type_name(o) for o in options if o is not type(None))
        choices = ""
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            choices = f" (one of: {', '.join(str(m.value) for m in kind)})"
        raise self._error(table, key, f"{name} must be {wanted}{choices}, not {value!r}")

    def _convert(self, value: Any, kind: Any) -> Any:
        """``value`` as ``kind``; None when it is not one."""
        if kind is bool:
            return value if isinstance(value, bool) else None
        if typing.get_origin(kind) is tuple:
            return _string_tuple(value)
        if isinstance(value, bool):
            return None  # TOML's true is not a number or a word
        if kind is int:
            return value if isinstance(value, int) else None
        if kind is float:
            return float(value) if isinstance(value, int | float) else None
        if not isinstance(value, str):
            return None
        if kind is Path:
            path = Path(value).expanduser()
            return path if path.is_absolute() else self.path.parent / path
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return kind(value) if value in {m.value for m in kind} else None
        return value if kind is str else None

    def _error(self, table: str, key: str, message: str) -> ConfigError:
        line = self._line_of(table, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: {message}", code=ERROR_CODE)

    def _line_of(self, table: str, key: str) -> int | None:
        """The line that sets ``key`` in ``[table]`` (best effort: TOML parsers keep none)."""
        section = ""
        setting = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number, line in enumerate(self.lines, start=1):
            header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
            if header and not table and header.group(1) == key:
                return number  # an unknown table
            if header:
                section = header.group(1)
            elif section == table and setting.match(line):
                return number
        return None


def _string_tuple(value: Any) -> tuple[str, ...] | None:
    """A TOML list of strings as a tuple; None when it is anything else."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _type_name(kind: Any) -> str:
    names = {bool: "true or false", int: "a whole number", float: "a number",
             str: "a string", Path: "a path (string)"}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "a string"
    if typing.get_origin(kind) is tuple:
        return "a list of strings"
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def settings_to_dict(settings: AppSettings) -> dict[str, Any]:
    """The effective settings in the file's own shape (paths as strings, the password
    hidden), for ``voice-shop config show``."""
    data: dict[str, Any] = {"db": str(settings.db_path.absolute()),
                            "models_dir": str(settings.models_dir.absolute())}
    for table, (field, allowed) in _TABLES.items():
        values = dataclasses.asdict(getattr(settings, field))
        data[table] = {k: _plain(v) for k, v in values.items()
                       if allowed is None or k in allowed}
    for table, key in (("web", "password"), ("shop", "webhook_secret")):
        if data[table][key] is not None:
            data[table][key] = "****"
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value.absolute())
    if isinstance(value, tuple):
        return list(value)
    return value


def to_toml(data: dict[str, Any]) -> str:
    """``settings_to_dict`` as TOML that ``load_settings`` reads back (unset values are
    comments)."""
    lines = [_toml_line(k, v) for k, v in data.items() if not isinstance(v, dict)]
    for table, values in data.items():
        if isinstance(values, dict):
            lines += ["", f"[{table}]", *(_toml_line(k, v) for k, v in values.items())]
    return "\n".join(lines) + "\n"


def _toml_line(key: str, value: Any) -> str:
    if value is None:
        return f"# {key} = (not set)"
    if isinstance(value, bool):
        return f"{key} = {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"{key} = {value}"
    if isinstance(value, list):
        return f"{key} = [{', '.join(_toml_string(v) for v in value)}]"
    return f"{key} = {_toml_string(value)}"


def _toml_string(value: Any) -> str:
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
