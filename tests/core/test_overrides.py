"""A deployment's overrides: checked at start, and one that breaks later costs nobody an answer."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from adapters.console import Console
from adapters.discord.dialect import DiscordDialect
from adapters.telegram.dialect import TelegramDialect
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.dialect import Dialect, PlainDialect
from bot.domain.danger import DangerWords
from bot.overrides import check_overrides
from bot.render import Renderer, RenderError
from bot.samples import as_sent
from bot.samples.craving import REPLY
from bot.settings import Settings
from tests.conftest import Transcript, group_text

EVERY_DIALECT: list[Dialect] = [PlainDialect(), TelegramDialect(), DiscordDialect()]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def problems(root: Path, dialects: list[Dialect] = EVERY_DIALECT) -> list[str]:
    return [str(problem) for problem in check_overrides(root, dialects)]


def test_good_overrides_a_new_locale_and_more_danger_words_pass(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "en/help.j2": "Our group's own help, {{ who.name }}.",
            "en/_resources.j2": "Call Jo at 555-0100, any hour.",
            "en/console/banner.j2": "Welcome to our group.",
            "en/danger_words.txt": "# ours\nthe bridge tonight\n",
            "es/craving_reply.j2": "Gracias por decirlo, {{ who.name }}.",
            "es/danger_words.txt": "quiero morir\n",
            "en/.DS_Store": "\x00junk",
            ".gitkeep": "",
        },
    )
    assert problems(tmp_path) == []


@pytest.mark.parametrize(
    ("file", "text", "problem"),
    [
        (
            "en/craving_reply.j2",
            "Thank you.\n{% if %}",
            "line 2: this is not a template Jinja can read: Expected an expression",
        ),
        (
            "en/craving_reply.j2",
            "Thank you, {{ who.nmae }}.",
            "line 1: the sample messages of craving_reply do not render with it:"
            " 'dict object' has no attribute 'nmae'",
        ),
        (
            "en/days_none.j2",
            "{{ who.__class__ }}",
            "line 1: the sandbox does not allow this: access to attribute '__class__'",
        ),
        ("en/craving_replay.j2", "Hi", "no bundled template has this name; did you mean"),
        ("en/notes.md", "to do", "Homegroup reads no file of this name"),
        ("es/cravings.j2", "Hola", "Homegroup reads no file of this name"),
        ("en/words.txt", "suicide", "Homegroup reads no file of this name"),
        (
            "es/command_words.txt",
            "here: acá",
            "Homegroup reads this list from its own messages folder only",
        ),
        ("es/preset_names.txt", "us = Yanquilandia", "Homegroup reads this list from its own"),
        ("en/date_ordinals.txt", "th\nnd", "Homegroup reads this list from its own"),
        (
            "en/craving_reply.j2",
            'Thanks. {{ 3|plural("supporter") }} are on it.',
            "line 1: the sample messages of craving_reply do not render with it: ValueError:"
            ' name each form by its CLDR category: plural(one="day", other="days")',
        ),
        ("help.j2", "Help", "put it in a locale folder: en/help.j2"),
    ],
)
def test_a_broken_or_unknown_file_is_named_once(
    tmp_path: Path, file: str, text: str, problem: str
) -> None:
    write(tmp_path, {"en/help.j2": "Our own help.", file: text})
    found = problems(tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{file}: {problem}")


def test_a_misspelt_name_is_told_the_likely_one(tmp_path: Path) -> None:
    write(tmp_path, {"en/craving_replay.j2": "Hi"})
    assert problems(tmp_path) == [
        "en/craving_replay.j2: no bundled template has this name; did you mean en/craving_reply.j2?"
    ]


def test_a_broken_partial_is_named_through_the_templates_that_include_it(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "en/_resources.j2": "Call {{ our_line }}.",
            "en/craving_crisis.j2": "You matter.\n{% include '_resources.j2' %}",
        },
    )
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("en/_resources.j2: line 1: ")
    assert "'our_line' is undefined" in found[0]


def test_a_macros_file_missing_a_macro_is_named(tmp_path: Path) -> None:
    write(tmp_path, {"en/_macros.j2": "{% macro span(s) %}{{ s.days }} days{% endmacro %}"})
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("en/_macros.j2: ")


def test_an_override_that_breaks_on_one_platform_is_caught_in_its_dialect(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"en/help.j2": "{% if platform == 'telegram' %}{{ nope }}{% endif %}Help."})
    assert problems(tmp_path, [PlainDialect()]) == []
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("en/help.j2: line 1: ")
    assert "for telegram: 'nope' is undefined" in found[0]


def test_a_danger_words_line_that_cannot_be_read_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = DangerWords.parse

    def refuse(text: str, locale: str = "en") -> DangerWords:
        if "\nx\n" in text:
            raise ValueError("line 2 is too short to match safely")
        return bundled(text, locale)

    monkeypatch.setattr(DangerWords, "parse", refuse)
    write(tmp_path, {"en/danger_words.txt": "suicide\nx\n"})
    assert problems(tmp_path) == [
        "en/danger_words.txt: a line cannot be read: line 2 is too short to match safely"
    ]


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "help.j2").write_bytes("Caf\xe9".encode("latin-1"))
    assert problems(tmp_path) == ["en/help.j2: this is not UTF-8 text; save it as UTF-8"]


def test_an_override_failing_when_sent_falls_back_and_logs_only_its_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Jinja's message would quote the member's name: "'dict object' has no attribute 'Sam'".
    write(tmp_path, {"en/craving_reply.j2": "{{ who[who.name] }}"})
    text = Renderer(PlainDialect(), tmp_path).render("craving_reply", as_sent(REPLY))
    assert "Thank you for saying it, Sam." in text
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.render"]
    assert warnings == [
        "template craving_reply (en): the override failed (UndefinedError); sent the bundled one"
    ]


def test_a_broken_bundled_template_is_still_loud_with_overrides(tmp_path: Path) -> None:
    write(tmp_path, {"en/help.j2": "Our own help."})
    with pytest.raises(RenderError):
        Renderer(PlainDialect(), tmp_path).render("unknown_command", {})


async def test_craving_is_answered_when_its_override_breaks_after_start(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    overrides = write(tmp_path / "overrides", {"en/help.j2": "Our own help."})
    app = await bootstrap(
        Settings(database=str(tmp_path / "homegroup.db"), templates=overrides), clock=clock
    )
    try:
        out = io.StringIO()
        session = Console(app, clock, out, first_member="Sam")
        await session.start()
        console = Transcript(session, out)
        write(overrides, {"en/craving_reply.j2": "{{ who[who.name] }}"})
        answer = group_text(await console.say("/craving rough night"))
    finally:
        await app.close()
    assert "Thank you for saying it, Sam." in answer
    assert "A craving passes if you ride it out" in answer
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("craving_reply (en)" in line for line in logged)
    assert not any("Sam" in line or "rough night" in line for line in logged)
