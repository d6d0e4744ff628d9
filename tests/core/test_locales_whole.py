"""Every language the bot has is whole: the same templates, button labels, partials and data
files as English (its danger corpus is required by ``test_danger.py``); no template reads a
context key its samples never give; and no rendered sample in another language carries a
sentence of the English templates."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import jinja2.meta
import pytest

from adapters.platforms import every_sample
from bot.contexts import AMBIENT
from bot.dialect import PlainDialect
from bot.domain.commands import command_lists
from bot.language import DEFAULT_LOCALE, available_locales
from bot.render import Renderer, bundled_file
from bot.samples import as_sent
from tests.core.test_spanish_renders import _files, render, untyped

OTHERS = [locale for locale in available_locales() if locale != DEFAULT_LOCALE]
GLOBALS = frozenset({"mention", "platform", *command_lists()})
"""What every template is given besides its context (``Renderer``)."""
_FRAGMENTS = re.compile(r"[^.!?:;,()\n—]+")
_LOWER_WORD = re.compile(r"\b[a-z]{2,}\b")


def _every_file(locale: str) -> set[str]:
    """Templates, partials and labels (``.j2``) and data files (``.txt``: danger words, the
    words typed for a command's values) of a locale."""
    folder = resources.files("messages").joinpath(locale)
    data = {entry.name for entry in folder.iterdir() if entry.name.endswith(".txt")}
    return set(_files(locale)) | data


def test_there_is_another_language() -> None:
    assert OTHERS, "only English: nothing to compare"


@pytest.mark.parametrize("locale", OTHERS)
def test_a_locale_has_every_file_english_has_and_no_other(locale: str) -> None:
    english, other = _every_file(DEFAULT_LOCALE), _every_file(locale)
    assert sorted(english - other) == [], f"messages/{locale} lacks these"
    assert sorted(other - english) == [], f"messages/{locale} has these, English does not"


def _reads(locale: str, name: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The context keys a template file reads, with those of the partials it includes (an
    include shares its context; an import does not)."""
    entry = bundled_file(locale, name)
    assert entry is not None, name
    ast = Renderer(PlainDialect()).parse(entry.read_text(encoding="utf-8"), name, locale)
    assigned = {n.name for n in ast.find_all(jinja2.nodes.Name) if n.ctx == "store"}
    keys = set(jinja2.meta.find_undeclared_variables(ast)) - assigned  # set in one branch
    for include in ast.find_all(jinja2.nodes.Include):
        target = include.template
        if isinstance(target, jinja2.nodes.Const) and target.value not in seen:
            keys |= _reads(locale, str(target.value), seen | {name})
    return keys


def _keys(samples: list[dict[str, Any]]) -> set[str]:
    return {key for sample in samples for key in as_sent(sample)}


@pytest.mark.parametrize("locale", available_locales())
def test_no_template_reads_a_key_its_samples_never_give(locale: str) -> None:
    samples = every_sample()
    missing = {}
    for name in sorted(_files(locale)):
        key = name.removesuffix(".j2")
        if name.rpartition("/")[2].startswith("_") or key not in samples:
            continue  # partials are read through their templates; resources/ through _resources
        unknown = _reads(locale, name) - _keys(samples[key]) - GLOBALS - AMBIENT
        if unknown:
            missing[key] = sorted(unknown)
    assert missing == {}


def _english_sentences(text: str) -> set[str]:
    """Pieces of an English render long enough to be a sentence of its template: four or more
    lower-case words (names of lines and places are capitalised, and kept in any language)."""
    return {
        piece.strip() for piece in _FRAGMENTS.findall(text) if len(_LOWER_WORD.findall(piece)) >= 4
    }


@pytest.mark.parametrize("locale", OTHERS)
def test_no_english_sentence_is_left_in_another_language(locale: str) -> None:
    left = {}
    for template, samples in sorted(every_sample().items()):
        for context in samples:
            english_text = render(template, context, DEFAULT_LOCALE)
            english = _english_sentences(untyped(english_text, context))
            other = untyped(render(template, context, locale), context)
            found = sorted(sentence for sentence in english if sentence in other)
            if found:
                left[template] = found
    assert left == {}
