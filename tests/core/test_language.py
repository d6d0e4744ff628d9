"""Numbers, dates, plurals and durations read as each language writes them (Babel's CLDR data)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import jinja2.nodes
import pytest

from bot.dialect import PlainDialect
from bot.domain.cleantime import calendar_span
from bot.domain.replies import Template
from bot.domain.settings_keys import read_weekday
from bot.language import available_locales, cldr, command_words, filters
from bot.render import Renderer
from bot.samples.craving import DANGER
from tests.core.test_spanish_renders import _files, render

EN, ES = filters("en"), filters("es")


@pytest.mark.parametrize(
    ("count", "english", "spanish"),
    [
        (0, "0 days", "0 días"),
        (1, "1 day", "1 día"),
        (2, "2 days", "2 días"),
        (21, "21 days", "21 días"),
        (1234, "1,234 days", "1.234 días"),
        # CLDR puts Spanish whole millions in "many" ("1 M de días"); written in digits the
        # bot prints them as Babel's own units do, with the "other" form.
        (1_000_000, "1,000,000 days", "1.000.000 días"),
    ],
)
def test_plural_forms_follow_each_language_rule(count: int, english: str, spanish: str) -> None:
    assert EN["plural"](count, one="day", other="days") == english
    assert ES["plural"](count, one="día", other="días") == spanish
    assert EN["duration"](count, "day") == english
    assert ES["duration"](count, "day") == spanish


@pytest.mark.parametrize(
    ("count", "english", "spanish"),
    [
        (0, "0 people", "0 personas"),
        (1, "1 person", "1 persona"),
        (2, "2 people", "2 personas"),
        (21, "21 people", "21 personas"),
        (1_000_000, "1,000,000 people", "1.000.000 personas"),
    ],
)
def test_plural_takes_the_forms_a_template_gives(count: int, english: str, spanish: str) -> None:
    assert EN["plural"](count, one="person", other="people") == english
    assert ES["plural"](count, one="persona", other="personas") == spanish


@pytest.mark.parametrize(
    ("count", "english", "spanish"),
    [(0, "They start", "Empiezan"), (1, "It starts", "Empieza"), (2, "They start", "Empiezan")],
)
def test_a_word_alone_agrees_with_its_count(count: int, english: str, spanish: str) -> None:
    assert EN["plural_word"](count, one="It starts", other="They start") == english
    assert ES["plural_word"](count, one="Empieza", other="Empiezan") == spanish


def test_a_category_the_call_gives_is_used_and_a_missing_one_reads_as_other() -> None:
    assert ES["plural"](1_000_000, one="día", many="de días", other="días") == "1.000.000 de días"
    assert ES["plural"](2, one="día", many="de días", other="días") == "2 días"


@pytest.mark.parametrize("forms", [{"one": "day"}, {"one": "day", "others": "days"}, {}])
def test_plural_forms_without_other_or_with_an_unknown_category_fail_loudly(
    forms: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="other"):
        EN["plural"](2, **forms)


def _plural_calls(locale: str) -> Iterator[tuple[str, jinja2.nodes.Filter]]:
    renderer = Renderer(PlainDialect())
    for name, entry in sorted(_files(locale).items()):
        ast = renderer.parse(entry.read_text(encoding="utf-8"), name, locale)
        for node in ast.find_all(jinja2.nodes.Filter):
            if node.name in ("plural", "plural_word"):
                yield name, node


@pytest.mark.parametrize("locale", available_locales())
def test_every_plural_in_the_templates_gives_the_forms_its_language_needs(locale: str) -> None:
    """A template names its forms by CLDR category: those of its own language's rule, and every
    one a count below a thousand can fall in (Spanish: one, other; Polish would add few, many)."""
    rule = cldr(locale).plural_form
    needed = {rule(n) for n in range(1000)}
    allowed = {*rule.tags, "other"}
    wrong = {}
    for name, call in _plural_calls(locale):
        given = {kwarg.key for kwarg in call.kwargs}
        if call.args or not needed <= given <= allowed:
            wrong[f"{name}:{call.lineno}"] = sorted(given)
    assert wrong == {}
    assert any(True for _ in _plural_calls(locale)), "no plural found: the scan reads nothing"


@pytest.mark.parametrize(
    ("asked", "english", "spanish"),
    [
        (1, "The person I asked knows", "La persona a la que avisé sabe"),
        (3, "The 3 people I asked know", "Las 3 personas a las que avisé saben"),
    ],
)
def test_an_urgent_craving_names_the_one_person_asked_in_the_singular(
    asked: int, english: str, spanish: str
) -> None:
    context = {**DANGER, "pinged": 0, "asked_earlier": asked}
    assert f"{english} it's urgent." in render("craving_reply", context, "en")
    assert f"{spanish} que es urgente." in render("craving_reply", context, "es")


@pytest.mark.parametrize(
    ("parts", "english", "spanish"),
    [
        (["en", "es"], "English or Spanish", "inglés o español"),
        (["en", "es", "fr"], "English, Spanish or French", "inglés, español o francés"),
    ],
)
def test_alternatives_are_offered_as_each_language_lists_them(
    parts: list[str], english: str, spanish: str
) -> None:
    assert EN["either"]([EN["language_name"](p) for p in parts]) == english
    assert ES["either"]([ES["language_name"](p) for p in parts]) == spanish
    assert EN["either"](parts[:2]) == "en or es"
    assert ES["either"](parts[:2]) == "en o es"


@pytest.mark.parametrize(
    ("unit", "one", "two", "uno", "dos"),
    [
        ("year", "1 year", "2 years", "1 año", "2 años"),
        ("month", "1 month", "2 months", "1 mes", "2 meses"),
        ("hour", "1 hour", "2 hours", "1 hora", "2 horas"),
        ("minute", "1 minute", "2 minutes", "1 minuto", "2 minutos"),
    ],
)
def test_every_unit_of_time_has_words(unit: str, one: str, two: str, uno: str, dos: str) -> None:
    assert [EN["duration"](1, unit), EN["duration"](2, unit)] == [one, two]
    assert [ES["duration"](1, unit), ES["duration"](2, unit)] == [uno, dos]


def test_an_unknown_unit_fails_loudly() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        EN["duration"](2, "fortnight")


@pytest.mark.parametrize(
    ("iso", "english", "spanish", "day", "día"),
    [
        ("2026-03-01", "1 March 2026", "1 de marzo de 2026", "Sunday", "domingo"),
        ("2028-02-29", "29 February 2028", "29 de febrero de 2028", "Tuesday", "martes"),
        ("2026-12-21", "21 December 2026", "21 de diciembre de 2026", "Monday", "lunes"),
    ],
)
def test_dates_and_weekdays(iso: str, english: str, spanish: str, day: str, día: str) -> None:
    assert (EN["longdate"](iso), EN["weekday"](iso)) == (english, day)
    assert (ES["longdate"](iso), ES["weekday"](iso)) == (spanish, día)


def test_weekday_numbers_start_on_monday() -> None:
    assert [EN["weekday"](n) for n in (0, 6)] == ["Monday", "Sunday"]
    assert [ES["weekday"](n) for n in (0, 6)] == ["lunes", "domingo"]


@pytest.mark.parametrize(
    ("since", "today", "english", "spanish"),
    [
        ("2025-03-01", "2025-12-06", "9 months, 5 days", "9 meses y 5 días"),
        ("2024-02-29", "2025-03-01", "1 year, 1 day", "1 año y 1 día"),
        ("2024-02-29", "2028-02-29", "4 years", "4 años"),
        ("2023-01-10", "2025-11-01", "2 years, 9 months, 22 days", "2 años, 9 meses y 22 días"),
        ("2026-03-01", "2026-03-22", "21 days", "21 días"),
    ],
)
def test_spans_list_their_parts_as_each_language_does(
    since: str, today: str, english: str, spanish: str
) -> None:
    span = calendar_span(date.fromisoformat(since), date.fromisoformat(today)).as_context()
    assert EN["span"](span) == english
    assert ES["span"](span) == spanish


def test_an_english_count_reads_as_it_always_has() -> None:
    """The macros print through the filters: a leap-day clean date a year and a day on."""
    counter = {
        "name": "",
        "since": "2024-02-29",
        "days": 367,
        "span": {"years": 1, "months": 0, "days": 1},
        "today": None,
        "next": {"milestone": "18m", "day": "2025-08-29", "in_days": 181},
    }
    text = Renderer(PlainDialect()).render(
        Template.DAYS, {"who": {"id": "7", "name": "Sam"}, "counters": [counter]}
    )
    assert text == (
        "Sam, since 29 February 2024: 367 days clean — 1 year, 1 day.\n"
        "Next: 18 months in 181 days (29 August 2025)."
    )


@pytest.mark.parametrize(
    ("stored", "english", "spanish"),
    [("19:00", "19:00", "19:00"), ("08:05", "08:05", "8:05"), ("00:00", "00:00", "0:00")],
)
def test_a_meeting_time_prints_as_each_language_writes_the_time(
    stored: str, english: str, spanish: str
) -> None:
    assert (EN["clock"](stored), ES["clock"](stored)) == (english, spanish)


def test_english_meeting_times_print_as_they_are_stored() -> None:
    """English showed a meeting's stored "HH:MM" as it was before times went through CLDR."""
    every = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60)]
    assert [EN["clock"](stored) for stored in every] == every


def _meetings(locale: str) -> list[str]:
    context = {
        "meetings": [
            {"weekday": 0, "time": "08:05", "title": "Early group", "link": ""},
            {"weekday": 2, "time": "19:00", "title": "Online NA", "link": "https://example.org/j"},
        ],
        "zone": "Europe/Madrid",
    }
    renderer = Renderer(PlainDialect())
    return [
        renderer.render("meetings", {**context, "reminding": False}, locale=locale),
        renderer.render("meeting_reminder", context, locale=locale),
    ]


def test_meeting_lists_and_reminders_print_each_languages_time() -> None:
    listed, reminder = _meetings("en")
    assert "• Monday 08:05 — Early group\n• Wednesday 19:00 — Online NA: https://example.org/j" in (
        listed
    )
    assert reminder.startswith(
        "Meeting at 08:05: Early group\nMeeting at 19:00: Online NA — https://example.org/j\n"
    )
    listado, aviso = _meetings("es")
    assert "• lunes 8:05 — Early group\n• miércoles 19:00 — Online NA: https://example.org/j" in (
        listado
    )
    assert aviso.startswith("Reunión a las 8:05: Early group\nReunión a las 19:00: Online NA")


def test_a_spanish_meeting_at_one_oclock_is_a_la_una() -> None:
    """Spanish says «a la 1:30» (one hour, singular) and «a las 13:30»; English has no such
    agreement, and a template cannot take it from CLDR."""
    renderer = Renderer(PlainDialect())
    meetings = [
        {"weekday": 0, "time": time, "title": "Grupo", "link": ""}
        for time in ("01:30", "13:30", "00:15")
    ]
    aviso = renderer.render(
        "meeting_reminder", {"meetings": meetings, "zone": "America/Bogota"}, locale="es"
    )
    assert aviso.startswith(
        "Reunión a la 1:30: Grupo\nReunión a las 13:30: Grupo\nReunión a las 0:15: Grupo\n"
    )


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("lunes", 0),
        ("Lun", 0),
        ("LU", 0),
        ("lun.", 0),
        ("Mon", 0),
        ("Monday", 0),
        ("mo", 0),
        ("miércoles", 2),
        ("miercoles", 2),
        ("MIÉ", 2),
        ("Wed", 2),
        ("tues", 1),
        ("thurs", 3),
        ("sábado", 5),
        ("sab", 5),
        ("domingo", 6),
        ("Sunday", 6),
        ("weds", 2),  # not CLDR's, but how English admins write it (command_words.txt)
        ("Weds.", 2),
    ],
)
def test_a_weekday_is_read_in_any_language_the_bot_has(typed: str, day: int) -> None:
    assert read_weekday(typed) == day


@pytest.mark.parametrize("typed", ["Funday", "s", "t", "m", "lunez", "x", ""])
def test_a_word_no_language_has_for_a_day_is_not_read_as_one(typed: str) -> None:
    assert read_weekday(typed) is None


@pytest.mark.parametrize("locale", available_locales())
def test_every_language_reads_each_weekday_by_the_name_it_prints(locale: str) -> None:
    printed = filters(locale)["weekday"]
    assert [read_weekday(printed(day), [locale]) for day in range(7)] == list(range(7))


@pytest.mark.parametrize("locale", available_locales())
def test_every_language_names_what_english_types_for_a_commands_values(locale: str) -> None:
    """``here`` is every language's; a weekday's extra spellings are a language's own."""
    days = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    assert "here" in command_words(locale)
    assert command_words(locale)["here"]
    assert set(command_words(locale)) <= {"here"} | days
