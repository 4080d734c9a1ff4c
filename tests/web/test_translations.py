"""Every catalog text and interface string is translated into Hindi, and
the compiled .mo files match the .po files people edit."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from mesoclinic.catalog import get_catalog
from mesoclinic.management.commands.catalog_messages import read_po

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def po(path: Path) -> dict[str, str]:
    return read_po(path)


def test_every_catalog_text_has_a_compiled_hindi_translation() -> None:
    entries = po(Path(settings.CATALOG_LOCALE_DIR) / "hi" / "LC_MESSAGES" / "django.po")
    texts = get_catalog().texts
    untranslated = [t for t in texts if not entries.get(t)]
    assert untranslated == [], "run `make messages` and translate the new catalog texts"
    # A text that is also an interface string (a device kind, say) may be
    # served from the interface's file, which comes first in LOCALE_PATHS.
    ui = po(Path(settings.BASE_DIR) / "locale" / "hi" / "LC_MESSAGES" / "django.po")
    with translation.override("hi"):
        stale = [t for t in texts if translation.gettext(t) not in {entries[t], ui.get(t)}]
    assert stale == [], "the .mo is out of date: run `make messages`"


def test_catalog_translations_keep_their_placeholders() -> None:
    entries = po(Path(settings.CATALOG_LOCALE_DIR) / "hi" / "LC_MESSAGES" / "django.po")
    broken = [
        text
        for text, hindi in entries.items()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(hindi))
    ]
    assert broken == []


def test_every_interface_string_has_a_hindi_translation() -> None:
    path = Path(settings.BASE_DIR) / "locale" / "hi" / "LC_MESSAGES" / "django.po"
    text = path.read_text(encoding="utf-8")
    # An empty msgstr that is not the header, and no fuzzy (unchecked) entry.
    empty = re.findall(r'\nmsgid "(.+)"\nmsgstr ""\n\n', text)
    assert empty == []
    assert "#, fuzzy" not in text


@pytest.mark.parametrize(
    ("english", "language"),
    [("Mesotherapy, explained", "hi"), ("Can I have mesotherapy?", "hi")],
)
def test_pages_use_the_translations(english: str, language: str) -> None:
    with translation.override(language):
        hindi = translation.gettext(english)
    assert hindi != english
    assert re.search("[\u0900-\u097f]", hindi)
