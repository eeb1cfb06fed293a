"""The interface's languages: Simplified Chinese by default, English on a switch.

Messages are written in English in the code and the templates (``_("Search")``); the Chinese catalogue is
``locale/zh_CN/LC_MESSAGES/messages.po``, a plain Babel/gettext file read when the application starts (compiled
in memory, so a clean clone needs no build step). English is the messages themselves. A message missing from the
catalogue shows in English (``tests/app/web/test_i18n.py`` checks that none is missing).

Example:
    >>> gettext_for("zh_CN")("Search")
    '检索'
    >>> gettext_for("en")("Search")
    'Search'
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "catalogue_ids", "gettext_for", "language_of"]

#: Language code -> its name in itself, as the switch shows it.
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"


def _po_text(language: str) -> str:
    return resources.files("app.web").joinpath("locale", language, "LC_MESSAGES", "messages.po").read_text(
        encoding="utf-8")


@cache
def _translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    catalogue = read_po(io.StringIO(_po_text(language)), locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


def catalogue_ids(language: str) -> set[str]:
    """The message ids the catalogue of ``language`` translates (a non-empty translation)."""
    catalogue = read_po(io.StringIO(_po_text(language)), locale=language)
    return {str(m.id) for m in catalogue if m.id and m.string}


def language_of(cookie: str | None) -> str:
    """The language a cookie value names, else the default."""
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def gettext_for(language: str) -> Callable[[str], str]:
    """The ``_`` of ``language`` (messages it does not know stay in English)."""
    return _translations(language_of(language)).gettext
