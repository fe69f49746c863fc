"""Where settings come from besides plain variables, and warnings for names chibo does not know.

Secrets from files, as systemd credentials and container secrets provide them:
- ``CHIBO_<NAME>_FILE=/path``: the value of ``CHIBO_<NAME>`` is the file's content (trailing newline
  stripped), for any setting;
- ``CHIBO_SECRETS_DIR=/dir``: every file in it named ``CHIBO_<NAME>`` (any case) gives that setting
  (systemd: ``LoadCredential=`` and ``CHIBO_SECRETS_DIR=%d``).
A variable set directly wins over its file; a file named in ``…_FILE`` that cannot be read is an error.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

PREFIX = "CHIBO_"
# Variables that are not settings but are known: the tests' database, and the two file mechanisms.
NOT_SETTINGS = {"CHIBO_TEST_POSTGRES_URL", "CHIBO_SECRETS_DIR"}


class SecretFileError(ValueError):
    """A secret file named in the configuration cannot be read."""


def _read(path: Path, variable: str) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SecretFileError(f"{variable}: không đọc được / cannot read {path} ({exc.strerror or exc})") from None


def file_values(fields: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """Setting name -> value, from ``CHIBO_<NAME>_FILE`` files and the ``CHIBO_SECRETS_DIR`` folder."""
    names = {f"{PREFIX}{name}".upper(): name for name in fields}
    values: dict[str, str] = {}
    folder = environ.get(f"{PREFIX}SECRETS_DIR")
    if folder:
        directory = Path(folder)
        if not directory.is_dir():
            raise SecretFileError(f"{PREFIX}SECRETS_DIR: {directory} không phải thư mục / is not a folder")
        for path in sorted(directory.iterdir()):
            name = names.get(path.name.upper())
            if name is not None and path.is_file():
                values[name] = _read(path, f"{PREFIX}SECRETS_DIR/{path.name}")
    upper_env = {k.upper(): v for k, v in environ.items()}
    for variable, name in names.items():
        given = upper_env.get(f"{variable}_FILE")
        if given:
            values[name] = _read(Path(given), f"{variable}_FILE")
    return values


class SecretFilesSource(PydanticBaseSettingsSource):
    """A pydantic-settings source for ``file_values`` (after the environment, before the .env file)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None = None):
        super().__init__(settings_cls)
        self._values = file_values(settings_cls.model_fields, os.environ if environ is None else environ)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def unknown_names(names: Iterable[str], fields: Iterable[str], *, where: str = "") -> list[str]:
    """A warning for every name that is no setting, with the closest known one. From the environment
    (``where`` empty) only ``CHIBO_`` names count; in a .env file every key does (it is chibo's file)."""
    known = {f"{PREFIX}{name}".upper() for name in fields}
    accepted = known | {f"{k}_FILE" for k in known} | NOT_SETTINGS
    warnings = []
    for name in sorted({n for n in names if where or n.upper().startswith(PREFIX)}):
        if name.upper() in accepted:
            continue
        candidate = name.upper() if name.upper().startswith(PREFIX) else PREFIX + name.upper()
        close = difflib.get_close_matches(candidate, sorted(known), n=1, cutoff=0.6)
        where_vi = where.replace(" in ", " trong ")
        hint_vi, hint = (f"; có phải {close[0]}?", f"; did you mean {close[0]}?") if close else ("", "")
        warnings.append(f"biến lạ {name}{where_vi}{hint_vi} / unknown setting {name}{where}{hint}")
    return warnings


def dotenv_names(path: Path) -> list[str]:
    """The keys a .env file sets (``KEY=value`` lines, ``export`` allowed, comments ignored)."""
    if not path.is_file():
        return []
    names = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key = line.split("=", 1)[0].strip().removeprefix("export ").strip()
        names.append(key)
    return names
