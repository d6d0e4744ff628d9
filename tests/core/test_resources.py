"""``/resources`` and ``/meetings`` from the console, and when meeting reminders fall due."""

from __future__ import annotations

import importlib
import io
import json
import re
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.console import Console
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.core import MAX_NAME
from bot.dialect import PlainDialect
from bot.domain import cleantime, presets
from bot.domain.cleantime import CleanDateError, parse_clean_date, wall_instant
from bot.domain.community import CommunitySettings, Meeting
from bot.domain.inbound import CommandIssued, Origin
from bot.domain.meetings import REMIND_BEFORE, due_reminders, next_reminder, occurrences
from bot.domain.presets import (
    DEFAULT_PRESET,
    INTERNATIONAL,
    LEGACY,
    PRESETS,
    UnknownPreset,
    find_preset,
    preset_emergency,
    preset_names,
)
from bot.domain.settings_keys import (
    DURATIONS,
    MAX_LINK,
    MAX_MEETINGS,
    MAX_RESOURCES,
    MAX_TITLE,
    SettingError,
    apply,
)
from bot.flows.relapse import T as RelapseTemplates
from bot.language import available_locales
from bot.overrides import check_overrides
from bot.render import Renderer
from bot.settings import Settings
from bot.storage.sqlite import migrations
from tests.conftest import Transcript, group_text, private_to, sections
from tests.core.test_render import HtmlDialect

MEETINGS = "/set meetings Mon 19:00 Online NA https://example.org/join; Thu 20:00 Basement group"
ONLINE_REMINDER = "Meeting at 19:00: Online NA — https://example.org/join"
BASEMENT_REMINDER = "Meeting at 20:00: Basement group"

# What MESSAGES.md says we state, exactly as a member must read it.
REQUIRED_FACTS = (
    "SAMHSA National Helpline (US): 1-800-662-4357",
    "Free, confidential, 24/7, in English and Spanish",
    "referrals, not counselling",
    "988 Suicide & Crisis Lifeline (US): call or text 988",
    "covers substance-use crises",
    "Overdose in progress",
    "call 911 or your local emergency number",
    "Never Use Alone (US): 1-800-484-3731",
    "Carry naloxone and never use alone",
    "Everywhere else: findahelpline.com",
    "any 12-step meeting",
)


LEGACY_LINES = """\
• Overdose in progress, or a life in danger: call 911 or your local emergency number now.
• 988 Suicide & Crisis Lifeline (US): call or text 988. It covers substance-use crises too.
• SAMHSA National Helpline (US): 1-800-662-4357. Free, confidential, 24/7, in English and \
Spanish; referrals, not counselling.
• Never Use Alone (US): 1-800-484-3731.
• Carry naloxone and never use alone. If you give naloxone, stay with the person.
• Everywhere else: findahelpline.com lists helplines in your country.
• Meetings: any 12-step meeting will welcome you, in person or online."""
"""The crisis lines every group was given before presets, exactly as they read then."""

EVERY_PRESET = (*PRESETS, LEGACY)
SOURCES = Path(__file__).parents[2] / "messages" / "SOURCES.md"
PRESET_MIGRATION = 8


def stored_settings(database: Path) -> dict[str, Any]:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT settings FROM communities WHERE key = 'console:group'").fetchone()
    return dict(json.loads(row[0]))


def make_database_before_presets(database: Path, settings: dict[str, Any]) -> None:
    """A database as Homegroup left it before presets: migrations up to 0007 and the console's
    group, with ``settings`` as they were stored then."""
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP"
            " NOT NULL)"
        )
        for version, sql in migrations("sqlite"):
            if version >= PRESET_MIGRATION:
                break
            db.executescript(sql)
            db.execute(
                "INSERT INTO schema_migrations VALUES (?, '2026-11-01 00:00:00.000000')",
                (version,),
            )
        db.execute(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES ('console:group', 'console', 'group', 'group', ?,"
            " '2026-11-01 00:00:00.000000')",
            (json.dumps(settings),),
        )


async def console_on(database: Path, clock: ManualClock) -> AsyncIterator[Transcript]:
    """The console over an existing database, as the ``console`` fixture opens a new one."""
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    try:
        out = io.StringIO()
        session = Console(app, clock, out, first_member="Sam")
        await session.start()
        transcript = Transcript(session, out)
        transcript.output()
        yield transcript
    finally:
        await app.close()


@pytest.fixture
async def existing(database: Path, clock: ManualClock) -> AsyncIterator[Transcript]:
    """The console in a group that existed before presets and never set its own lines."""
    make_database_before_presets(database, {"ping_count": 4})
    async for transcript in console_on(database, clock):
        yield transcript


@pytest.fixture
async def existing_own(database: Path, clock: ManualClock) -> AsyncIterator[Transcript]:
    """The console in a group that existed before presets with its admins' own lines."""
    make_database_before_presets(database, {"resources": "Call Ana: 555-0100\nHall, Mondays"})
    async for transcript in console_on(database, clock):
        yield transcript


def reminder_timers(database: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT kind, key, due_at FROM timers WHERE kind = 'meetings.remind'"
        ).fetchall()


# -- /resources -------------------------------------------------------------------------------


async def test_resources_default_states_each_fact_exactly(existing: Transcript) -> None:
    # A community from before presets, with no text of its own, reads exactly as it did.
    answer = await existing.say("/resources")
    assert "── in the group ──" in answer
    for fact in REQUIRED_FACTS:
        assert fact in answer, fact
    text = answer.split("──\n", 1)[1]
    assert text.strip() == f"{LEGACY_LINES}\n\n/meetings lists this group's meetings."
    assert len(text) < 700  # a short list that fits a phone screen


async def test_the_admins_text_shows_below_the_preset_as_typed_and_alone_with_none(
    console: Transcript, database: Path
) -> None:
    typed = '<b>Ana</b> & Co: 555-0100 <a href="tg://user?id=1">@everyone</a>'
    await console.say(f"/set resources {typed}")
    answer = await console.say("/as Alex", "/resources")
    assert typed in answer
    assert answer.index("findahelpline.com") < answer.index(typed)
    said = await console.say("/as Sam", "/set resources preset none")
    assert "only your own lines" in said
    answer = await console.say("/as Alex", "/resources")
    assert typed in answer
    assert "findahelpline.com" not in answer
    assert stored_settings(database)["resources_preset"] is None


def test_the_admins_text_is_escaped_for_the_platform() -> None:
    typed = '<b>Ana</b> & <a href="tg://user?id=1">x</a>'
    text = Renderer(HtmlDialect()).render("resources", {"resources": typed})
    assert "&lt;b&gt;Ana&lt;/b&gt; &amp; &lt;a href=" in text
    assert "<b>" not in text
    assert "<a " not in text


def test_other_flows_can_include_the_resources(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "nobody_came.j2").write_text(
        'Nobody answered yet.\n{% include "_resources.j2" %}'
    )
    renderer = Renderer(PlainDialect(), overrides=tmp_path)
    bundled = renderer.render("nobody_came", {"resources": None})
    assert bundled.startswith("Nobody answered yet.")
    for fact in REQUIRED_FACTS:
        assert fact in bundled, fact
    assert "SAMHSA" in renderer.render("nobody_came", {"resources": "  "})
    assert "SAMHSA" in renderer.render("nobody_came", {})
    own = renderer.render("nobody_came", {"resources": "Call Ana: 555-0100"})
    assert own == "Nobody answered yet.\nCall Ana: 555-0100"


async def test_resources_in_a_private_chat_are_the_members_groups(console: Transcript) -> None:
    alone = await console.say("/dm /resources")
    assert "findahelpline.com" in alone  # no group yet: the international lines
    assert "SAMHSA" not in alone
    await console.say("/set resources preset uk", "/set resources Call Ana: 555-0100")
    answer = await console.say("/dm /resources")
    assert "── privately to Sam ──" in answer
    assert "Call Ana: 555-0100" in answer
    assert "call 999 now" in answer


# -- what a member waiting alone gets: short enough to send -------------------------------------

DISCORD_LIMIT = 2_000
"""The shortest message limit of our platforms (Telegram allows 4,096)."""


def worst_case_settings() -> CommunitySettings:
    """Every meeting allowed, each with the longest title and link, and resources at the cap."""
    link = "https://example.org/" + "j" * (MAX_LINK - len("https://example.org/"))
    meetings = "; ".join(f"Wed 19:30 {'T' * MAX_TITLE} {link}" for _ in range(MAX_MEETINGS))
    settings = CommunitySettings()
    for key, value in (
        ("meetings", meetings),
        ("resources", "r" * MAX_RESOURCES),
        ("call_expiry", f"{DURATIONS['call_expiry'][1]}m"),
    ):
        settings = apply(settings, key, value, chat="g", locales=["en"]).settings
    return settings


@pytest.mark.parametrize("preset", [*EVERY_PRESET, None])
@pytest.mark.parametrize("practice", [False, True])
def test_messages_to_a_member_waiting_alone_fit_the_shortest_limit(
    practice: bool, preset: str | None
) -> None:
    settings = replace(worst_case_settings(), resources_preset=preset)
    assert len(settings.meetings) == MAX_MEETINGS
    assert settings.resources is not None
    meetings = [m.as_context() for m in settings.meetings]
    who = {"id": "1", "name": "N" * MAX_NAME}
    renderer = Renderer(PlainDialect())
    nobody = renderer.render(
        "craving_nobody", {"who": who, **settings.crisis(), "meetings": meetings}
    )
    expired = renderer.render(
        "call_expired",
        {
            "who": who,
            "practice": practice,
            "minutes": settings.call_expiry,
            **settings.crisis(),
            "meetings": meetings,
        },
    )
    for text in (nobody, expired):
        assert settings.resources in text  # the admin's lines whole, never cut
        assert text.count("• Wednesdays at 19:30") == 3
        assert "/meetings lists all 20, with their links." in text
        assert len(text) < DISCORD_LIMIT, len(text)


def test_a_few_meetings_are_listed_whole_and_point_to_their_links() -> None:
    renderer = Renderer(PlainDialect())
    online = Meeting(0, "19:00", "Online NA", "https://example.org/join").as_context()
    hall = Meeting(3, "20:00", "Basement group").as_context()
    text = renderer.render(
        "call_expired", {"practice": False, "minutes": 30, "resources": None, "meetings": [online]}
    )
    assert "• Mondays at 19:00: Online NA" in text
    assert "/meetings has their links." in text
    plain = renderer.render(
        "craving_nobody",
        {"who": {"id": "1", "name": "Sam"}, "resources": None, "meetings": [hall]},
    )
    assert "• Thursdays at 20:00: Basement group" in plain
    assert "/meetings" not in plain


# -- presets: the crisis lines of the group's place ---------------------------------------------


async def test_a_new_community_gets_the_international_lines(console: Transcript) -> None:
    answer = await console.say("/resources")
    assert "call your local emergency number now" in answer
    assert "findahelpline.com" in answer
    assert "Carry naloxone and never use alone." in answer
    assert "any 12-step meeting" in answer
    assert "SAMHSA" not in answer
    assert "911" not in answer


def test_a_new_community_means_international_and_an_old_row_keeps_its_text() -> None:
    assert CommunitySettings().resources_preset == DEFAULT_PRESET == INTERNATIONAL
    # A row written since presets; new communities are stored as '{}' until a /set.
    assert CommunitySettings.from_json({}).resources_preset == INTERNATIONAL
    # Text saved before presets, in a row the migration did not reach: it still stands alone.
    assert CommunitySettings.from_json({"resources": "Call Ana"}).resources_preset is None
    for code in (*EVERY_PRESET, None):
        kept = CommunitySettings(resources_preset=code, resources="Ana")
        assert CommunitySettings.from_json(json.loads(json.dumps(kept.as_json()))) == kept


async def test_set_resources_preset_uk_shows_999_and_uk_lines(
    console: Transcript, database: Path
) -> None:
    said = await console.say("/set resources preset uk")
    assert "the crisis lines for the United Kingdom" in said
    assert "call 999" in said
    assert stored_settings(database)["resources_preset"] == "uk"
    answer = await console.say("/as Alex", "/resources")
    assert "call 999 now" in answer
    assert "Samaritans: call 116 123" in answer
    assert "FRANK: 0300 123 6600" in answer
    assert "SAMHSA" not in answer
    settings = await console.say("/as Sam", "/settings")
    assert "resources: the crisis lines for the United Kingdom (preset uk)" in settings
    assert "emergency_number: 999, from the preset" in settings


async def test_a_danger_craving_in_a_uk_community_leads_with_999(console: Transcript) -> None:
    await console.say("/set resources preset uk", "/as Ana", "/supporter on", "/as Sam")
    answer = await console.say("/craving I took too much and I'm scared")
    group = group_text(answer)
    assert group.strip().startswith("If you or anyone may be in immediate danger, call 999 now.")
    assert "911" not in answer
    (header, body), *_ = sections(answer)
    assert header == "privately to Sam"
    assert "call 999" in body
    assert "Samaritans: call 116 123" in body


async def test_an_admins_lines_appear_below_the_preset_and_default_removes_them(
    console: Transcript, database: Path
) -> None:
    await console.say("/set resources preset uk")
    said = await console.say("/set resources Call Ana: 555-0100\nHall, Mondays 19:00")
    assert "the crisis lines for the United Kingdom, then your text" in said
    answer = await console.say("/resources")
    assert answer.index("call 999 now") < answer.index("• Meetings: any 12-step meeting")
    assert answer.index("• Meetings: any 12-step meeting") < answer.index("Call Ana: 555-0100")
    assert "Call Ana: 555-0100\nHall, Mondays 19:00" in answer
    said = await console.say("/set resources default")
    assert "your own lines are gone" in said
    answer = await console.say("/resources")
    assert "Call Ana" not in answer
    assert "call 999 now" in answer
    assert stored_settings(database)["resources_preset"] == "uk"


async def test_the_admins_emergency_number_comes_before_the_presets(console: Transcript) -> None:
    await console.say("/set resources preset de", "/set emergency_number 110")
    answer = await console.say("/resources")
    assert "call 110 now" in answer
    said = await console.say("/set resources preset es")
    assert "still names your emergency_number, 110" in said
    await console.say("/set emergency_number default")
    assert "call 112 now" in await console.say("/resources")


@pytest.mark.parametrize(
    "line",
    [
        "/set resources preset brazil",
        "/set resources preset ukk",
        "/set resources preset",
        "/set resources preset none",
        "/set resources " + "x" * (MAX_RESOURCES + 1),
    ],
)
async def test_a_bad_preset_changes_nothing_and_says_what_to_send(
    console: Transcript, database: Path, line: str
) -> None:
    await console.say("/set resources preset au")
    before = stored_settings(database)
    answer = await console.say(line)
    assert "Nothing has changed." in answer
    assert "/set resources preset and a code: international, us, ca, uk, ie, au" in answer
    assert stored_settings(database) == before
    assert "call 000 now" in await console.say("/resources")


async def test_an_unknown_preset_is_answered_with_close_codes(console: Transcript) -> None:
    answer = await console.say("/set resources preset ukk")
    assert "I don't have crisis lines for ukk." in answer
    assert "Did you mean uk? Like this: /set resources preset uk" in answer
    answer = await console.say("/set resources preset brazil")
    assert "I don't have crisis lines for brazil." in answer
    assert "Did you mean" not in answer
    answer = await console.say("/set resources preset none")
    assert "no lines of its own yet" in answer


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("UK", "uk"),
        ("gb", "uk"),
        ("United Kingdom", "uk"),
        ("u.k.", "uk"),
        ("Great Britain", "uk"),
        ("Scotland", "uk"),
        ("usa", "us"),
        ("U.S.A.", "us"),
        ("United States of America", "us"),
        ("Canada", "ca"),
        ("Éire", "ie"),
        ("Ireland", "ie"),
        ("AUS", "au"),
        ("new-zealand", "nz"),
        ("Aotearoa", "nz"),
        ("Deutschland", "de"),
        ("España", "es"),
        ("México", "mx"),
        ("Bharat", "in"),
        ("worldwide", "international"),
        ("default", "international"),
        ("none", None),
        ("own", None),
    ],
)
def test_presets_are_forgiving_about_how_a_place_is_typed(typed: str, code: str | None) -> None:
    assert find_preset(typed) == code


NAMES_BEFORE = {
    "international": (
        "intl",
        "world",
        "worldwide",
        "global",
        "everywhere",
        "default",
        "internacional",
        "mundial",
        "todo el mundo",
        "cualquier pais",
    ),
    "us": (
        "usa",
        "u s",
        "u s a",
        "united states",
        "united states of america",
        "america",
        "estados unidos",
        "eeuu",
        "ee uu",
        "eua",
    ),
    "ca": ("can", "canada"),
    "uk": (
        "gb",
        "gbr",
        "u k",
        "united kingdom",
        "great britain",
        "britain",
        "england",
        "scotland",
        "wales",
        "northern ireland",
        "reino unido",
        "gran bretana",
        "inglaterra",
        "escocia",
        "gales",
        "irlanda del norte",
    ),
    "ie": ("irl", "ireland", "eire", "republic of ireland", "roi", "irlanda"),
    "au": ("aus", "australia"),
    "nz": ("nzl", "new zealand", "aotearoa", "nueva zelanda"),
    "de": ("deu", "ger", "germany", "deutschland", "alemania"),
    "es": ("esp", "spain", "espana"),
    "mx": ("mex", "mexico"),
    "in": ("ind", "india", "bharat"),
    "none": ("off", "own", "mine", "my own"),
}
"""Every name ``/set resources preset`` took when the names were Python (48b3987), English and
Spanish alike, already folded: each must still name the same preset ("none": own lines only)."""


@pytest.mark.parametrize(
    ("typed", "code"),
    [(name, code) for code, names in NAMES_BEFORE.items() for name in (code, *names)],
)
def test_every_name_a_preset_had_still_names_it(typed: str, code: str) -> None:
    assert find_preset(typed) == (None if code == "none" else code)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("EE. UU.", "us"),
        ("Gran Bretaña", "uk"),
        ("cualquier país", "international"),
        ("Mundo", "international"),  # CLDR's "001", in Spanish
        ("Canadá", "ca"),
        ("Nueva Zelanda", "nz"),
    ],
)
def test_a_place_may_be_typed_as_any_language_the_bot_has_writes_it(typed: str, code: str) -> None:
    assert find_preset(typed) == code


@pytest.mark.parametrize("typed", ["ninguna", "Ninguno", "las mías"])
def test_a_spanish_speaking_admin_may_say_no_preset_in_spanish(typed: str) -> None:
    """Own lines only, as "off" or "my own" say it in English; an unknown name would raise."""
    assert find_preset(typed) is None


def test_no_name_answers_for_two_presets() -> None:
    names = preset_names()
    assert {name: codes for name, codes in names.items() if len(codes) > 1} == {}
    assert set(PRESETS) | {"none"} == {code for codes in names.values() for code in codes}


@pytest.mark.parametrize("locale", available_locales())
def test_every_language_has_its_own_preset_names_and_day_endings(locale: str) -> None:
    folder = Path(__file__).parents[2] / "messages" / locale
    for name in (presets.NAMES_FILE, cleantime.ORDINALS_FILE):
        assert (folder / name).is_file(), f"messages/{locale}/{name}"


def _forget_the_messages() -> None:
    """Drop what was read from messages/, so the next call reads the folder again."""
    available_locales.cache_clear()
    preset_names.cache_clear()
    cleantime.day_endings.cache_clear()
    cleantime._named_month.cache_clear()


@pytest.fixture
def a_third_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The bot run from a copy of messages/ with a language it does not have, French, begun as
    a translator begins one: English's templates copied, and its own names and day endings."""
    bundled = Path(str(importlib.import_module("messages").__file__)).parent
    root = tmp_path / "messages"
    shutil.copytree(bundled, root, ignore=shutil.ignore_patterns("__pycache__"))
    french = root / "fr"
    if not french.exists():
        shutil.copytree(root / "en", french)
    (french / presets.NAMES_FILE).write_text("# Les noms\n\nde = RFA | la RFA\n", "utf-8")
    (french / cleantime.ORDINALS_FILE).write_text("# Jours\ner\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "messages")
    _forget_the_messages()
    yield french
    monkeypatch.undo()
    _forget_the_messages()


def test_a_third_language_folder_brings_its_names_and_day_endings(a_third_language: Path) -> None:
    assert "fr" in available_locales()
    assert find_preset("la RFA") == "de"  # from its own file
    assert find_preset("Allemagne") == "de"  # CLDR's, in French
    assert find_preset("Nouvelle-Zélande") == "nz"
    assert find_preset("España") == "es"  # the other languages' names still hold
    assert parse_clean_date("1er mars 2026", date(2026, 11, 29), ("fr",)) == date(2026, 3, 1)
    assert parse_clean_date("1st March 2026", date(2026, 11, 29), ("en",)) == date(2026, 3, 1)


def test_without_the_third_language_its_names_are_unknown() -> None:
    with pytest.raises(UnknownPreset):
        find_preset("la RFA")
    with pytest.raises(CleanDateError):
        parse_clean_date("1er mars 2026", date(2026, 11, 29), ("fr",))


def test_a_name_two_presets_claim_names_neither_but_suggests_both(a_third_language: Path) -> None:
    (a_third_language / presets.NAMES_FILE).write_text("uk = Irlande\n", "utf-8")
    with pytest.raises(UnknownPreset) as both:
        find_preset("Irlande")  # CLDR's French for Ireland
    assert both.value.suggestions == ("uk", "ie")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("xx = Atlantis", "line 2: xx names no preset"),
        ("Atlantis", "line 2: write a code, =, then its names"),
        ("us =", "line 2: write a code, =, then its names"),
    ],
)
def test_a_line_of_preset_names_that_cannot_be_read_is_named(
    a_third_language: Path, line: str, problem: str
) -> None:
    (a_third_language / presets.NAMES_FILE).write_text(f"# Les noms\n{line}\n", "utf-8")
    with pytest.raises(ValueError, match=f"messages/fr/preset_names.txt {problem}"):
        preset_names()


def test_an_unknown_place_gets_close_codes_or_none() -> None:
    with pytest.raises(UnknownPreset) as close:
        find_preset("ukk")
    assert close.value.suggestions[0] == "uk"
    with pytest.raises(UnknownPreset) as far:
        find_preset("brazil")
    assert far.value.suggestions == ()
    with pytest.raises(UnknownPreset):
        find_preset(LEGACY)  # kept for the groups that had it, offered to nobody


def test_preset_none_needs_lines_of_the_groups_own_and_clearing_them_brings_one_back() -> None:
    with pytest.raises(SettingError) as refused:
        apply(CommunitySettings(), "resources", "preset none", chat="g", locales=["en"])
    assert refused.value.reason == "no_own_lines"
    own = apply(CommunitySettings(), "resources", "Call Ana", chat="g", locales=["en"]).settings
    alone = apply(own, "resources", "preset none", chat="g", locales=["en"]).settings
    assert (alone.resources_preset, alone.resources) == (None, "Call Ana")
    cleared = apply(alone, "resources", "default", chat="g", locales=["en"]).settings
    assert (cleared.resources_preset, cleared.resources) == (DEFAULT_PRESET, None)


def test_text_saved_under_the_older_limit_stays_alone_until_it_is_shortened() -> None:
    older = CommunitySettings(resources_preset=None, resources="x" * 800)
    with pytest.raises(SettingError) as refused:
        apply(older, "resources", "preset uk", chat="g", locales=["en"])
    assert refused.value.reason == "too_long"


@pytest.mark.parametrize("code", EVERY_PRESET)
def test_each_preset_names_its_emergency_number_first_and_fits_a_phone(code: str) -> None:
    settings = CommunitySettings(resources_preset=code)
    text = Renderer(PlainDialect()).render("resources", settings.crisis())
    first = text.splitlines()[0]
    number = preset_emergency(code)
    if number is None:  # international, legacy: no single number fits
        assert "your local emergency number now" in first
    else:
        assert first == f"• Overdose in progress, or a life in danger: call {number} now."
    lower = text.lower()
    assert lower.count("carry naloxone") == 1
    assert "never use alone" in lower
    assert "any 12-step meeting" in text
    assert len(text) < 700  # a short list that fits a phone screen
    assert "{{" not in text


@pytest.mark.parametrize("code", PRESETS)
def test_each_preset_template_knows_its_own_number_without_the_core(code: str) -> None:
    # A context that names the preset but carries no number still reads right.
    text = Renderer(PlainDialect()).render("resources", {"resources": None, "preset": code})
    number = preset_emergency(code) or "your local emergency number"
    assert f"call {number} now." in text


def test_a_row_queued_before_presets_reads_as_it_did() -> None:
    renderer = Renderer(PlainDialect())
    assert renderer.render("resources", {"resources": None}).startswith(LEGACY_LINES)
    own = renderer.render("resources", {"resources": "Call Ana", "emergency": None})
    assert own.startswith("Call Ana\n")
    assert (
        renderer.render("craving_crisis", {"who": {"id": "7", "name": "Sam"}}).count(
            "call 911 or your local emergency number"
        )
        == 2
    )


def source_sections() -> dict[str, str]:
    """SOURCES.md cut into its ``## code`` sections."""
    parts = re.split(r"^## (\S+)\s*$", SOURCES.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def phone_numbers(text: str) -> set[str]:
    """Every run of three or more digits (spaces and dashes inside allowed), digits only."""
    runs = (re.sub(r"[ -]", "", run) for run in re.findall(r"\d(?:[ -]?\d)+", text))
    return {run for run in runs if len(run) >= 3}


def addresses(text: str) -> set[str]:
    return set(
        re.findall(r"\b(?:[a-z0-9-]+\.)+(?:com|org|net|gov|ie|uk|au|nz|de|es|mx|in|ca)\b", text)
    )


@pytest.mark.parametrize("code", EVERY_PRESET)
def test_every_number_and_address_a_preset_prints_is_sourced(code: str) -> None:
    sections_by_code = source_sections()
    assert code in sections_by_code, f"messages/SOURCES.md has no section ## {code}"
    section = sections_by_code[code]
    text = Renderer(PlainDialect()).render(
        "resources", CommunitySettings(resources_preset=code).crisis()
    )
    numbers = phone_numbers(text)
    if preset_emergency(code) is not None:
        assert phone_numbers(str(preset_emergency(code))) <= numbers
    missing = numbers - phone_numbers(section)
    assert not missing, f"{code}: not in SOURCES.md: {sorted(missing)}"
    assert addresses(text) <= addresses(section)
    assert "2026-12-06" in section  # each line says when it was checked


@pytest.mark.parametrize("code", EVERY_PRESET)
def test_each_restart_answer_keeps_every_safety_line_once(code: str) -> None:
    who = {"id": "7", "name": "A" * 20}
    for own in (None, "Our line: 0800 123 456"):
        settings = CommunitySettings(resources_preset=code, resources=own)
        text = Renderer(PlainDialect()).render(
            RelapseTemplates.RELAPSE_DONE, {"who": who, **settings.crisis()}
        )
        lower = text.lower()
        assert lower.count("carry naloxone") == 1
        assert "never use alone" in lower
        assert "stopping suddenly can cause seizures: see a clinician" in text
        if code != LEGACY and own is None:  # the legacy list is longer, and kept as it was
            assert len(text) < 1000


def test_own_lines_alone_get_the_safety_line_from_the_restart_answer() -> None:
    settings = CommunitySettings(resources_preset=None, resources="Our line: 0800 123 456")
    text = Renderer(PlainDialect()).render(
        RelapseTemplates.RELAPSE_DONE, {"who": {"id": "7", "name": "Sam"}, **settings.crisis()}
    )
    assert "Never use alone; carry naloxone." in text
    assert "stopping suddenly can cause seizures" in text


async def test_a_restart_in_a_uk_community_names_uk_lines(console: Transcript) -> None:
    await console.say("/set resources preset uk")
    await console.cleandate("2026-08-21")
    await console.say("/relapse")
    done = private_to(await console.say("/tap 1"), "Sam")
    assert "Samaritans: call 116 123" in done
    assert "stopping suddenly can cause seizures: see a clinician" in done


def test_an_override_of_one_presets_lines_is_accepted_and_a_broken_one_is_named(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "en" / "resources"
    folder.mkdir(parents=True)
    (folder / "uk.j2").write_text('• Our own UK lines: call {% include "_emergency.j2" %}.')
    assert check_overrides(tmp_path, [PlainDialect()]) == []
    text = Renderer(PlainDialect(), overrides=tmp_path).render(
        "resources", CommunitySettings(resources_preset="uk").crisis()
    )
    assert text.startswith("• Our own UK lines: call 999.")
    (folder / "uk.j2").write_text("{{ no_such_value }}")
    problems = check_overrides(tmp_path, [PlainDialect()])
    assert [p.file for p in problems] == ["en/resources/uk.j2"]
    (folder / "uk.j2").unlink()
    (folder / "ukk.j2").write_text("lines")
    problems = check_overrides(tmp_path, [PlainDialect()])
    assert [p.file for p in problems] == ["en/resources/ukk.j2"]
    assert "en/resources/uk.j2" in problems[0].problem


# -- the migration: every community keeps the lines it shows today ----------------------------


async def test_the_migration_gives_a_community_without_its_own_text_the_legacy_list(
    existing: Transcript, database: Path
) -> None:
    assert stored_settings(database)["resources_preset"] == LEGACY
    assert stored_settings(database)["ping_count"] == 4
    answer = await existing.say("/resources")
    assert answer.split("──\n", 1)[1].strip().startswith(LEGACY_LINES)
    await existing.say("/as Ana", "/supporter on", "/as Sam")
    danger = await existing.say("/craving I took too much")
    lead = "If you or anyone may be in immediate danger, call 911 or your local emergency number"
    assert group_text(danger).strip().startswith(f"{lead} now.")
    settings = await existing.say("/settings")
    assert "resources: the earlier bundled list (preset legacy)" in settings
    # The admins may move on, and /set resources preset us is the list's successor.
    assert "call 911 now" in await existing.say("/set resources preset us", "/resources")


async def test_the_migration_keeps_a_communitys_own_text_alone(
    existing_own: Transcript, database: Path
) -> None:
    assert stored_settings(database)["resources_preset"] is None
    answer = await existing_own.say("/resources")
    body = answer.split("──\n", 1)[1].strip()
    assert body == "Call Ana: 555-0100\nHall, Mondays\n\n/meetings lists this group's meetings."
    settings = await existing_own.say("/settings")
    assert "resources: your own text, 32 characters, alone (preset none)" in settings
    # Their lines go below a preset once they choose one.
    answer = await existing_own.say("/set resources preset ie", "/resources")
    assert answer.index("call 112 or 999 now") < answer.index("Call Ana: 555-0100")


# -- /meetings --------------------------------------------------------------------------------


async def test_no_meetings_yet_says_how_an_admin_adds_them(console: Transcript) -> None:
    answer = await console.say("/meetings")
    assert "No meetings are listed for this group yet." in answer
    assert "/set meetings Mon 19:00" in answer


async def test_meetings_are_listed_with_day_time_title_and_link(console: Transcript) -> None:
    await console.say("/set timezone Europe/London", MEETINGS)
    answer = await console.say("/as Alex", "/meetings")
    assert "This group's meetings (times in Europe/London):" in answer
    monday = answer.index("• Monday 19:00 — Online NA: https://example.org/join")
    thursday = answer.index("• Thursday 20:00 — Basement group")
    assert monday < thursday
    assert "/meetings remind on" in answer


async def test_in_a_private_chat_a_member_of_several_groups_sees_their_first(
    app: App, database: Path
) -> None:
    def origin(group: str | None) -> Origin:
        if group is None:
            return Origin("console", "dm:sam", "sam", "Sam", private=True)
        return Origin("console", group, "sam", "Sam", community=group, is_admin=True)

    commands = [
        (origin("b"), "set", "meetings Tue 18:00 Group B lunch"),
        (origin("a"), "set", "meetings Mon 19:00 Group A online"),
        (origin(None), "meetings", ""),
        (origin(None), "meetings", "remind on"),
    ]
    for number, (where, name, args) in enumerate(commands):
        assert await app.core.handle(CommandIssued(f"c{number}", where, name, args))
    with sqlite3.connect(database) as db:
        listed = db.execute("SELECT target, context FROM outbox WHERE template = 'meetings'")
        (target, context), *_ = listed.fetchall()
        reminded = db.execute("SELECT community FROM meeting_reminders").fetchall()
    assert '"person": "sam"' in target
    assert "Group A online" in context
    assert "Group B" not in context
    assert reminded == [("console:a",)]


async def test_meetings_usage(console: Transcript) -> None:
    answer = await console.say("/meetings remind maybe")
    assert "/meetings remind on" in answer
    assert "Right now they are off for you." in answer


# -- reminders --------------------------------------------------------------------------------


async def test_each_meeting_is_reminded_once_only_to_those_who_asked(
    console: Transcript, database: Path
) -> None:
    # 29 November 2026 is a Sunday; the group's zone is UTC.
    await console.say(MEETINGS, "/as Alex", "/meetings")
    answer = await console.say("/as Kim", "/meetings remind on")
    assert "I'll remind you privately an hour before each" in answer
    assert reminder_timers(database) == [
        ("meetings.remind", "meetings:console:group", "2026-11-30 18:00:00.000000")
    ]
    assert "Meeting at" not in await console.say("/wait 29h")  # Monday 17:00
    monday = await console.say("/wait 90m")  # Monday 18:30: the reminder went at 18:00
    assert monday.count(ONLINE_REMINDER) == 1
    assert "── privately to Kim ──" in monday
    assert "Sam" not in monday
    assert "Alex" not in monday
    assert "Meeting at" not in await console.say("/wait 2h")  # the meeting itself: no repeat
    week = await console.say("/wait 7d")
    assert week.count(BASEMENT_REMINDER) == 1
    assert week.count(ONLINE_REMINDER) == 1
    assert week.index(BASEMENT_REMINDER) < week.index(ONLINE_REMINDER)


async def test_opting_out_stops_the_reminders(console: Transcript, database: Path) -> None:
    await console.say(MEETINGS, "/meetings remind on")
    assert ONLINE_REMINDER in await console.say("/wait 31h")
    answer = await console.say("/meetings remind off")
    assert "no more meeting reminders" in answer
    assert reminder_timers(database) == []
    assert "Meeting at" not in await console.say("/wait 14d")


async def test_only_members_still_opted_in_are_reminded(console: Transcript) -> None:
    await console.say(MEETINGS, "/meetings remind on", "/as Alex", "/meetings remind on")
    await console.say("/meetings remind off")
    answer = await console.say("/wait 31h")
    assert answer.count(ONLINE_REMINDER) == 1
    assert "── privately to Sam ──" in answer
    assert "privately to Alex" not in answer


async def test_opting_in_privately_works_for_the_members_only_group(console: Transcript) -> None:
    await console.say(MEETINGS)
    answer = await console.say("/dm /meetings remind on")
    assert "── privately to Sam ──" in answer
    assert "I'll remind you privately" in answer
    assert ONLINE_REMINDER in await console.say("/wait 31h")


async def test_a_new_zone_moves_the_reminders(console: Transcript, database: Path) -> None:
    await console.say(MEETINGS, "/meetings remind on", "/set timezone America/New_York")
    # Monday 19:00 in New York is 00:00 UTC on Tuesday; reminded at 23:00 UTC on Monday.
    assert reminder_timers(database)[0][2] == "2026-11-30 23:00:00.000000"
    assert "Meeting at" not in await console.say("/wait 34h")  # Monday 22:00 UTC
    answer = await console.say("/wait 90m")
    assert answer.count(ONLINE_REMINDER) == 1
    assert "America/New_York time" in answer


async def test_new_meetings_move_the_reminders_and_none_clears_them(
    console: Transcript, database: Path
) -> None:
    await console.say(MEETINGS, "/meetings remind on")
    await console.say("/set meetings Sun 13:30 Sunday lunch")
    assert reminder_timers(database)[0][2] == "2026-11-29 12:30:00.000000"
    assert "Meeting at 13:30: Sunday lunch" in await console.say("/wait 1h")
    await console.say("/set meetings none")
    assert reminder_timers(database) == []
    assert "Meeting at" not in await console.say("/wait 8d")


async def test_reminders_wait_for_meetings_when_none_are_listed(
    console: Transcript, database: Path
) -> None:
    answer = await console.say("/meetings remind on")
    assert "None are listed yet" in answer
    assert reminder_timers(database) == []
    await console.say(MEETINGS)
    assert reminder_timers(database)[0][2] == "2026-11-30 18:00:00.000000"


# -- when meetings fall, in the group's zone ---------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def test_a_meeting_in_a_spring_gap_is_held_when_the_clocks_jump() -> None:
    # 14 March 2027, New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert wall_instant(date(2027, 3, 14), time(2, 30), NEW_YORK) == datetime(
        2027, 3, 14, 7, 0, tzinfo=UTC
    )


def test_a_meeting_in_an_autumn_fold_is_its_first_occurrence() -> None:
    # 7 November 2027, New York: 01:30 happens in EDT (05:30 UTC), then again in EST.
    assert wall_instant(date(2027, 11, 7), time(1, 30), NEW_YORK) == datetime(
        2027, 11, 7, 5, 30, tzinfo=UTC
    )


def test_the_reminder_follows_daylight_saving() -> None:
    monday = (Meeting(0, "19:00", "Online NA"),)
    # Monday 23 March 2026: London on GMT; Monday 30 March: on BST.
    before_change = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)
    assert next_reminder(monday, LONDON, before_change) == datetime(2026, 3, 23, 18, 0, tzinfo=UTC)
    after_change = datetime(2026, 3, 24, 0, 0, tzinfo=UTC)
    assert next_reminder(monday, LONDON, after_change) == datetime(2026, 3, 30, 17, 0, tzinfo=UTC)


def test_next_reminder_is_strictly_after_and_none_without_meetings() -> None:
    sunday = (Meeting(6, "13:30", "Sunday lunch"),)
    at = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    assert next_reminder(sunday, ZoneInfo("UTC"), at - timedelta(seconds=1)) == at
    assert next_reminder(sunday, ZoneInfo("UTC"), at) == at + timedelta(days=7)
    assert next_reminder((), ZoneInfo("UTC"), at) is None


def test_a_late_timer_still_reminds_before_the_meeting_but_not_after_it() -> None:
    monday = (Meeting(0, "19:00", "Online NA"),)
    due = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    late = due + timedelta(minutes=40)
    assert [o.meeting.title for o in due_reminders(monday, ZoneInfo("UTC"), due, late)] == [
        "Online NA"
    ]
    too_late = due + timedelta(hours=1, minutes=5)
    assert due_reminders(monday, ZoneInfo("UTC"), due, too_late) == []


def test_two_meetings_at_once_are_reminded_together() -> None:
    both = (Meeting(0, "19:00", "Online NA"), Meeting(0, "19:00", "Big book study"))
    due = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    titles = [o.meeting.title for o in due_reminders(both, ZoneInfo("UTC"), due, due)]
    assert titles == ["Big book study", "Online NA"]


ZONES = st.sampled_from(
    [ZoneInfo(n) for n in ("UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe")]
)
MEETING = st.builds(
    Meeting,
    weekday=st.integers(0, 6),
    time=st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    title=st.just("Meeting"),
)
INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(st.lists(MEETING, min_size=1, max_size=5), ZONES, INSTANTS)
def test_the_next_reminder_is_within_a_week_and_an_hour_before_a_meeting(
    meetings: list[Meeting], zone: ZoneInfo, after: datetime
) -> None:
    at = next_reminder(meetings, zone, after)
    assert at is not None
    assert after < at <= after + timedelta(days=7, hours=2)
    local = (at + REMIND_BEFORE).astimezone(zone).date()
    starts = occurrences(meetings, zone, local - timedelta(days=1), local + timedelta(days=1))
    assert any(o.starts_at - REMIND_BEFORE == at for o in starts)
    # Fired exactly then, its meetings are due, and none is due twice across firings.
    due = due_reminders(meetings, zone, at, at)
    assert due
    assert all(o.starts_at - REMIND_BEFORE == at for o in due)
    following = next_reminder(meetings, zone, at)
    assert following is not None
    assert following > at


@pytest.mark.parametrize("stored", ["25:00", "noon", ""])
def test_an_unreadable_stored_meeting_is_skipped(stored: str) -> None:
    meetings = (Meeting(0, stored, "Broken"), Meeting(0, "19:00", "Online NA"))
    at = next_reminder(meetings, ZoneInfo("UTC"), datetime(2026, 11, 29, tzinfo=UTC))
    assert at == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
