"""Clean-time rules as a member meets them: dates typed, days counted, milestones, zones."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.domain.cleantime import (
    DATE_REFUSALS,
    DEFAULT_SCHEDULE,
    EARLIEST,
    MAX_DATE_TEXT,
    MAX_NAME,
    CleanDateError,
    Milestone,
    MilestoneSchedule,
    Span,
    add_months,
    calendar_span,
    days_clean,
    local_instant,
    local_today,
    milestone_date,
    parse_clean_date,
    split_date_and_name,
    wall_instant,
)
from bot.domain.zones import UnknownZone, resolve_zone, zone_name
from tests.conftest import START, Transcript, group_text, private_to

TODAY = date(2026, 3, 15)
REASONS = {"empty", "too_long", "unreadable", "impossible", "future", "too_old"}

ZONE_NAMES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Apia",  # skipped 30 December 2011
    "Asia/Kolkata",
    "America/St_Johns",  # 1987-2010: clocks fell back from 00:01 to 23:01
    "Pacific/Kiritimati",  # skipped 31 December 1994
    "UTC",
]
ZONES = st.sampled_from([ZoneInfo(name) for name in ZONE_NAMES])
APIA = ZoneInfo("Pacific/Apia")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ST_JOHNS = ZoneInfo("America/St_Johns")
SKIPPED = {("Pacific/Apia", date(2011, 12, 30)), ("Pacific/Kiritimati", date(1994, 12, 31))}
"""Calendar dates these zones never had, between 1970 and 2100."""

INSTANTS = st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
DAYS = st.dates(date(1970, 1, 2), date(2099, 12, 30))
SINCE = st.dates(EARLIEST, date(2100, 1, 1))
HOURS = st.integers(0, 23)


def reason_of(text: str, today: date = TODAY) -> str:
    with pytest.raises(CleanDateError) as caught:
        parse_clean_date(text, today)
    return caught.value.reason


# Reading a clean date


def test_the_listed_refusals_are_the_ones_the_parser_gives() -> None:
    """The samples explain every listed reason, so the list must be the parser's own."""
    texts = [
        "",
        "x" * (MAX_DATE_TEXT + 1),
        "soon",
        "1/3/2026",
        "2026-02-30",
        "2999-01-01",
        "1899-12-31",
    ]
    assert tuple(reason_of(text) for text in texts) == DATE_REFUSALS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("  2026-03-01\n", date(2026, 3, 1)),
        ("2026-3-1", date(2026, 3, 1)),
        ("today", TODAY),
        ("Today", TODAY),
        ("YESTERDAY", date(2026, 3, 14)),
        ("1 day ago", date(2026, 3, 14)),
        ("3 days ago", date(2026, 3, 12)),
        ("45   Days Ago", date(2026, 1, 29)),
        ("0 days ago", TODAY),
        ("46094 days ago", EARLIEST),
        ("1 March 2026", date(2026, 3, 1)),
        ("1 Mar 2026", date(2026, 3, 1)),
        ("01 march 2026", date(2026, 3, 1)),
        ("1st March 2026", date(2026, 3, 1)),
        ("March 1, 2026", date(2026, 3, 1)),
        ("March 1 2026", date(2026, 3, 1)),
        ("mar 1, 2026", date(2026, 3, 1)),
        ("Sept 9 2025", date(2025, 9, 9)),
        ("29 February 2024", date(2024, 2, 29)),
        ("31 december 1999", date(1999, 12, 31)),
        ("1900-01-01", EARLIEST),
        ("15 March 2026", TODAY),
    ],
)
def test_accepts_every_date_form(text: str, expected: date) -> None:
    assert parse_clean_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  \t\n ", "empty"),
        ("x" * 10_000, "too_long"),
        ("banana", "unreadable"),
        ("tomorrow", "unreadable"),
        ("01/03/2026", "ambiguous"),  # day or month first? English does not guess
        ("-3 days ago", "unreadable"),
        ("March 2026", "unreadable"),
        ("2026-02-30", "impossible"),
        ("31 April 2026", "impossible"),
        ("April 31, 2026", "impossible"),
        ("29 February 2025", "impossible"),
        ("2026-13-01", "impossible"),
        ("2026-00-10", "impossible"),
        ("0 March 2026", "impossible"),
        ("1899-12-31", "too_old"),
        ("0000-01-01", "too_old"),
        ("46095 days ago", "too_old"),
        ("99999999999999999999999999999999 days ago", "too_old"),
        ("2026-03-16", "future"),
        ("1 January 2027", "future"),
        ("9999-12-31", "future"),
    ],
)
def test_refuses_with_a_reason(text: str, reason: str) -> None:
    assert reason_of(text) == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2099-02-30", "impossible"),  # impossible is said before future
        ("1899-02-29", "impossible"),  # and before too old (1899 was no leap year)
        ("  " + "2" * 70, "too_long"),  # too long before unreadable
    ],
)
def test_refusals_are_checked_in_order(text: str, reason: str) -> None:
    assert reason_of(text) == reason


def test_date_text_is_limited_after_collapsing_whitespace() -> None:
    longest = "3".rjust(MAX_DATE_TEXT - len(" days ago"), "0") + "   days    ago"
    assert parse_clean_date(longest, TODAY) == date(2026, 3, 12)
    assert reason_of("0" + longest) == "too_long"


def test_yesterday_before_1900_is_too_old_not_a_crash() -> None:
    assert reason_of("yesterday", today=EARLIEST) == "too_old"
    assert reason_of("today", today=date.min) == "too_old"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("2026-01-02 nicotine", (date(2026, 1, 2), "nicotine")),
        ("1 March 2026", (date(2026, 3, 1), "")),
        ("3 days ago alcohol", (date(2026, 3, 12), "alcohol")),
        ("March 1, 2026   online \t gambling ", (date(2026, 3, 1), "online gambling")),
        ("yesterday Nicotine", (date(2026, 3, 14), "Nicotine")),
        ("1 March 2026 2027", (date(2026, 3, 1), "2027")),
        ("today " + "n" * MAX_NAME, (TODAY, "n" * MAX_NAME)),
    ],
)
def test_split_takes_the_longest_date_then_the_counter_name(
    args: str, expected: tuple[date, str]
) -> None:
    assert split_date_and_name(args, TODAY) == expected


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 10_000, "too_long"),
        ("2026-01-02 " + "word " * 2_000, "too_long"),
        ("banana", "unreadable"),
        ("banana split", "unreadable"),
        ("2026-02-30", "impossible"),
        ("2026-02-30 nicotine", "impossible"),
        ("2099-01-01 alcohol", "future"),
        ("1899-12-31 alcohol", "too_old"),
        ("today " + "n" * (MAX_NAME + 1), "name_too_long"),
    ],
)
def test_split_refuses_with_a_reason(args: str, reason: str) -> None:
    with pytest.raises(CleanDateError) as caught:
        split_date_and_name(args, TODAY)
    assert caught.value.reason == reason


def test_day_zero_is_the_clean_date() -> None:
    assert days_clean(TODAY, TODAY) == 0
    assert days_clean(date(2025, 11, 1), TODAY) == 134
    assert days_clean(date(2024, 2, 28), date(2024, 3, 1)) == 2  # the leap day counts


# Months, years and spans


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_add_months_past_the_calendar_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="calendar"):
        add_months(date(9999, 12, 1), 1)


@pytest.mark.parametrize(
    ("since", "today", "span"),
    [
        (date(2025, 7, 18), date(2026, 11, 29), Span(1, 4, 11)),
        (date(2025, 7, 18), date(2025, 7, 18), Span(0, 0, 0)),
        (date(2025, 7, 18), date(2026, 7, 17), Span(0, 11, 29)),
        (date(2025, 7, 18), date(2026, 7, 18), Span(1, 0, 0)),
        (date(2026, 1, 31), date(2026, 2, 28), Span(0, 1, 0)),
        (date(2026, 1, 31), date(2026, 3, 30), Span(0, 1, 30)),
        (date(2024, 2, 29), date(2025, 2, 28), Span(1, 0, 0)),
        (date(2025, 11, 1), TODAY, Span(0, 4, 14)),
    ],
)
def test_calendar_span_examples(since: date, today: date, span: Span) -> None:
    assert calendar_span(since, today) == span


def test_calendar_span_refuses_a_clean_date_after_today() -> None:
    with pytest.raises(ValueError, match="after today"):
        calendar_span(date(2026, 3, 16), TODAY)


# Milestones


def test_milestone_keys_round_trip() -> None:
    for key, months in [("1d", None), ("30d", None), ("6m", 6), ("18m", 18), ("1y", 12)]:
        milestone = Milestone.from_key(key)
        assert milestone.key == key
        assert milestone.in_months == months
    assert Milestone.from_key("2y") == Milestone(2, "y")


@pytest.mark.parametrize("key", ["", "0d", "30", "d30", "30w", "030d", "1y ", "\uff13d", "-1d"])
def test_bad_milestone_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="key"):
        Milestone.from_key(key)


def test_a_milestone_needs_a_positive_amount() -> None:
    with pytest.raises(ValueError, match="milestone"):
        Milestone(0, "d")


def test_default_milestone_dates_clamp_to_month_end() -> None:
    since = date(2026, 1, 31)
    assert [(m.key, milestone_date(since, m)) for m in DEFAULT_SCHEDULE.steps] == [
        ("1d", date(2026, 2, 1)),
        ("30d", date(2026, 3, 2)),
        ("60d", date(2026, 4, 1)),
        ("90d", date(2026, 5, 1)),
        ("6m", date(2026, 7, 31)),
        ("9m", date(2026, 10, 31)),
        ("1y", date(2027, 1, 31)),
        ("18m", date(2027, 7, 31)),
    ]
    six_months = Milestone(6, "m")
    assert milestone_date(date(2025, 8, 31), six_months) == date(2026, 2, 28)
    assert milestone_date(date(2023, 8, 31), six_months) == date(2024, 2, 29)


def test_schedule_parses_admin_text_and_writes_it_back() -> None:
    text = "1d 30d 60d 90d 6m 9m 1y 18m yearly"
    assert MilestoneSchedule.parse(text) == DEFAULT_SCHEDULE
    assert DEFAULT_SCHEDULE.text() == text
    schedule = MilestoneSchedule.parse(" 1D, 30d,60d ,, 1Y ")
    assert schedule == MilestoneSchedule(
        (Milestone(1, "d"), Milestone(30, "d"), Milestone(60, "d"), Milestone(1, "y")),
        yearly_after=False,
    )
    assert schedule.text() == "1d 30d 60d 1y"
    assert MilestoneSchedule.parse("yearly") == MilestoneSchedule((), yearly_after=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("30x", "bad_token:1"),
        ("30d 30 d", "bad_token:2"),
        ("30d 12345d", "bad_token:2"),
        ("1d yearly 30d", "yearly_not_last:2"),
        ("yearly yearly", "yearly_not_last:1"),
        ("0d", "out_of_range:1"),
        ("1d 1201d", "out_of_range:2"),
        ("30d 30d", "duplicate:2"),
        ("12m 1y", "duplicate:2"),  # the same day, celebrated once
        (" ".join(f"{n}d" for n in range(1, 42)), "too_many"),
    ],
)
def test_schedule_errors_are_short_codes(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        MilestoneSchedule.parse(text)


def test_schedule_allows_the_limits() -> None:
    forty = MilestoneSchedule.parse(" ".join(f"{n}d" for n in range(1, 41)))
    assert len(forty.steps) == 40
    assert MilestoneSchedule.parse("1200m").steps == (Milestone(1200, "m"),)


def keys_and_dates(items: list[tuple[Milestone, date]]) -> list[tuple[str, date]]:
    return [(milestone.key, day) for milestone, day in items]


def test_after_18_months_every_year_is_a_milestone() -> None:
    since = date(2026, 1, 31)
    first = list(islice(DEFAULT_SCHEDULE.upcoming(since, since), 11))
    assert keys_and_dates(first)[6:] == [
        ("1y", date(2027, 1, 31)),
        ("18m", date(2027, 7, 31)),
        ("2y", date(2028, 1, 31)),
        ("3y", date(2029, 1, 31)),
        ("4y", date(2030, 1, 31)),
    ]
    assert keys_and_dates(first)[0] == ("1d", date(2026, 2, 1))


def test_next_milestone_on_or_after_a_day() -> None:
    since = date(2026, 1, 31)
    assert DEFAULT_SCHEDULE.next_on_or_after(since, date(2026, 7, 31)) == (
        Milestone(6, "m"),
        date(2026, 7, 31),
    )
    assert DEFAULT_SCHEDULE.next_on_or_after(since, date(2026, 8, 1)) == (
        Milestone(9, "m"),
        date(2026, 10, 31),
    )
    assert DEFAULT_SCHEDULE.next_on_or_after(since, date(2027, 8, 1)) == (
        Milestone(2, "y"),
        date(2028, 1, 31),
    )
    assert DEFAULT_SCHEDULE.next_on_or_after(since, date(2056, 2, 1)) == (
        Milestone(31, "y"),
        date(2057, 1, 31),
    )


def test_a_schedule_without_yearly_runs_out() -> None:
    schedule = MilestoneSchedule.parse("30d 90d")
    since = date(2026, 1, 1)
    assert schedule.next_on_or_after(since, date(2026, 4, 1)) == (
        Milestone(90, "d"),
        date(2026, 4, 1),
    )
    assert schedule.next_on_or_after(since, date(2026, 4, 2)) is None


def test_reached_milestones_in_date_order() -> None:
    reached = DEFAULT_SCHEDULE.reached(date(2025, 1, 1), date(2026, 7, 1))
    assert [m.key for m, _ in reached] == ["1d", "30d", "60d", "90d", "6m", "9m", "1y", "18m"]
    assert DEFAULT_SCHEDULE.reached(date(2026, 3, 15), TODAY) == []


def test_yearly_continues_after_the_largest_explicit_milestone_without_repeats() -> None:
    since = date(2026, 1, 1)
    after_30_months = MilestoneSchedule.parse("1d 30m yearly").upcoming(since, since)
    assert [m.key for m, _ in islice(after_30_months, 4)] == ["1d", "30m", "3y", "4y"]
    after_2_years = MilestoneSchedule.parse("2y 1y yearly").upcoming(since, since)
    assert [m.key for m, _ in islice(after_2_years, 4)] == ["1y", "2y", "3y", "4y"]


def test_same_day_milestones_keep_the_schedule_order() -> None:
    since = date(2026, 4, 1)  # 30 days and 1 month later are both 1 May
    first = MilestoneSchedule.parse("30d 1m").upcoming(since, since)
    assert [m.key for m, _ in islice(first, 2)] == ["30d", "1m"]
    second = MilestoneSchedule.parse("1m 30d").upcoming(since, since)
    assert [m.key for m, _ in islice(second, 2)] == ["1m", "30d"]


def test_a_29_february_clean_date_is_celebrated_on_28_february_in_common_years() -> None:
    since = date(2024, 2, 29)
    dates = dict(keys_and_dates(DEFAULT_SCHEDULE.reached(since, date(2028, 12, 31))))
    assert dates["1y"] == date(2025, 2, 28)
    assert dates["2y"] == date(2026, 2, 28)
    assert dates["4y"] == date(2028, 2, 29)


def test_yearly_milestones_stop_at_the_end_of_the_calendar() -> None:
    items = list(DEFAULT_SCHEDULE.upcoming(date(9990, 6, 1), date(9990, 6, 1)))
    assert items[-1] == (Milestone(9, "y"), date(9999, 6, 1))


# Local dates and instants


def test_local_today_is_the_date_on_the_members_clock() -> None:
    instant = datetime(2026, 3, 8, 4, 59, tzinfo=UTC)  # 23:59 EST on 7 March
    assert local_today(instant, NEW_YORK) == date(2026, 3, 7)
    assert local_today(instant, ZoneInfo("Asia/Kolkata")) == date(2026, 3, 8)
    assert local_today(instant.astimezone(timezone(timedelta(hours=-3))), NEW_YORK) == date(
        2026, 3, 7
    )


def test_local_today_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_today(datetime(2026, 3, 8, 12), NEW_YORK)


@pytest.mark.parametrize(
    ("day", "hour", "zone", "expected"),
    [
        (date(2026, 3, 8), 9, NEW_YORK, datetime(2026, 3, 8, 13, tzinfo=UTC)),
        # 2:00 never happens; the clocks jump to 3:00 EDT at 07:00 UTC.
        (date(2026, 3, 8), 2, NEW_YORK, datetime(2026, 3, 8, 7, tzinfo=UTC)),
        # 1:00 happens twice; the first time, in EDT.
        (date(2026, 11, 1), 1, NEW_YORK, datetime(2026, 11, 1, 5, tzinfo=UTC)),
        # Lord Howe springs forward half an hour, from 2:00 to 2:30.
        (date(2026, 10, 4), 2, LORD_HOWE, datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
        (date(2026, 3, 1), 9, ZoneInfo("Asia/Kolkata"), datetime(2026, 3, 1, 3, 30, tzinfo=UTC)),
        # Samoa skipped 30 December 2011: the instant it jumped to 31 December.
        (date(2011, 12, 30), 9, APIA, datetime(2011, 12, 30, 10, tzinfo=UTC)),
    ],
)
def test_local_instant_examples(day: date, hour: int, zone: ZoneInfo, expected: datetime) -> None:
    instant = local_instant(day, hour, zone)
    assert instant == expected
    assert instant.utcoffset() == timedelta(0)


LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        # 4 October 2026: 02:00 jumps to 02:30 (15:30 UTC); 02:15 never happens.
        (date(2026, 10, 4), time(2, 15), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
        (date(2026, 10, 4), time(2, 30), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
        # 5 April 2026: 02:00 falls back to 01:30; 01:45 first happens at +11:00.
        (date(2026, 4, 5), time(1, 45), datetime(2026, 4, 4, 14, 45, tzinfo=UTC)),
    ],
)
def test_wall_instant_reads_minutes_in_a_half_hour_gap_and_fold(
    day: date, at: time, expected: datetime
) -> None:
    assert wall_instant(day, at, LORD_HOWE) == expected


def test_local_instant_refuses_an_hour_out_of_range() -> None:
    with pytest.raises(ValueError, match="hour"):
        local_instant(TODAY, 24, NEW_YORK)


# Zones


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("  EUROPE/LONDON ", "Europe/London"),
        ("America/New York", "America/New_York"),
        ("america / new york", "America/New_York"),
        ("Australia/Lord_Howe", "Australia/Lord_Howe"),
        ("utc", "UTC"),
    ],
)
def test_resolve_zone_forgives_case_and_spaces(name: str, expected: str) -> None:
    assert zone_name(resolve_zone(name)) == expected


@pytest.mark.parametrize(
    ("name", "suggestions"),
    [
        ("London", ("Europe/London",)),
        ("new york", ("America/New_York",)),
        ("Kolkata", ("Asia/Kolkata",)),
        ("UTC+2", ("Etc/GMT-2",)),  # Etc/GMT+2 would be two hours behind
        ("GMT-5", ("Etc/GMT+5",)),
    ],
)
def test_unknown_zone_suggests_real_names(name: str, suggestions: tuple[str, ...]) -> None:
    with pytest.raises(UnknownZone) as caught:
        resolve_zone(name)
    assert caught.value.suggestions == suggestions


def test_a_misspelt_zone_gets_the_right_one_first() -> None:
    with pytest.raises(UnknownZone) as caught:
        resolve_zone("Europe/Londn")
    assert caught.value.suggestions[0] == "Europe/London"
    assert len(caught.value.suggestions) <= 5


@pytest.mark.parametrize(
    "name", ["Mars/Base", "", "x" * 10_000, "../etc/passwd", "Europe/London\x00", "localtime"]
)
def test_not_a_zone(name: str) -> None:
    with pytest.raises(UnknownZone) as caught:
        resolve_zone(name)
    assert len(caught.value.suggestions) <= 5
    assert all(suggestion != "localtime" for suggestion in caught.value.suggestions)


# Properties


@given(st.text())
@example("2026-02-30")
@example("1 march 2026 ")
@example("9" * 60)
def test_reading_any_text_raises_only_clean_date_errors(text: str) -> None:
    try:
        outcome: date | str = parse_clean_date(text, TODAY)
    except CleanDateError as error:
        outcome = error.reason
    if isinstance(outcome, str):
        assert outcome in REASONS
    else:
        assert EARLIEST <= outcome <= TODAY


NEAR_DATES = st.lists(
    st.sampled_from(
        [
            "1",
            "31",
            "29",
            "0",
            "2024",
            "1899",
            "2026",
            "2027",
            "99999",
            "march",
            "feb",
            "sept",
            "days",
            "day",
            "ago",
            "today",
            "yesterday",
            ",",
            "2026-02-29",
            "2024-02-29",
            "1st",
        ]
    ),
    max_size=5,
).map(" ".join)


@given(st.one_of(st.text(), NEAR_DATES), SINCE)
def test_splitting_any_text_raises_only_clean_date_errors(args: str, today: date) -> None:
    try:
        outcome: tuple[date, str] | str = split_date_and_name(args, today)
    except CleanDateError as error:
        outcome = error.reason
    if isinstance(outcome, str):
        assert outcome in REASONS | {"name_too_long"}
    else:
        since, name = outcome
        assert EARLIEST <= since <= today
        assert len(name) <= MAX_NAME
        assert name == " ".join(name.split())


@given(st.text(max_size=80))
@example("Europe/London\x00")
def test_resolving_any_text_raises_only_unknown_zone(name: str) -> None:
    try:
        outcome: ZoneInfo | UnknownZone = resolve_zone(name)
    except UnknownZone as unknown:
        outcome = unknown
    if isinstance(outcome, UnknownZone):
        assert len(outcome.suggestions) <= 5
        assert all(zone_name(resolve_zone(s)) == s for s in outcome.suggestions)
    else:
        assert zone_name(outcome) != "localtime"


@given(INSTANTS, ZONES, SINCE)
def test_count_is_the_difference_of_local_calendar_dates(
    now: datetime, zone: ZoneInfo, since: date
) -> None:
    on_the_clock = zone.fromutc(now.replace(tzinfo=zone)).date()
    assert days_clean(since, local_today(now, zone)) == on_the_clock.toordinal() - since.toordinal()


def test_the_count_follows_the_clock_when_it_falls_back_over_midnight() -> None:
    since = date(1990, 10, 1)
    midnight = datetime(1990, 10, 28, 2, 30, tzinfo=UTC)  # 00:00 NDT, 28 October
    fell_back = datetime(1990, 10, 28, 2, 31, tzinfo=UTC)  # 23:01 NST, 27 October again
    assert days_clean(since, local_today(midnight, ST_JOHNS)) == 27
    assert days_clean(since, local_today(fell_back, ST_JOHNS)) == 26


@given(ZONES, DAYS, HOURS, HOURS, HOURS, SINCE)
@example(APIA, date(2011, 12, 29), 0, 23, 9, date(2011, 1, 1))
@example(ZoneInfo("Pacific/Kiritimati"), date(1994, 12, 30), 23, 0, 0, date(1994, 1, 1))
@example(NEW_YORK, date(2026, 3, 8), 1, 3, 2, date(2024, 2, 29))
@example(NEW_YORK, date(2026, 10, 31), 0, 23, 1, date(2024, 2, 29))
@example(LORD_HOWE, date(2026, 10, 4), 1, 2, 2, date(2024, 2, 29))
@example(ZoneInfo("UTC"), date(2024, 2, 28), 0, 23, 0, date(2023, 2, 28))
@example(ST_JOHNS, date(1990, 10, 27), 22, 23, 0, date(1990, 1, 1))
def test_dst_and_leap_days_never_shift_a_count(
    zone: ZoneInfo, day: date, first: int, second: int, next_day: int, since: date
) -> None:
    """Two instants on one local date count the same; on the next local date, one more.

    Where a zone skipped a calendar date (Apia 30 Dec 2011, Kiritimati 31 Dec 1994), the next
    real date is two calendar days on, and the count goes up by 2 with the member's calendar.
    """
    assume((zone.key, day) not in SKIPPED)
    count = days_clean(since, local_today(local_instant(day, first, zone), zone))
    assert count == days_clean(since, day)
    assert days_clean(since, local_today(local_instant(day, second, zone), zone)) == count
    tomorrow = day + timedelta(days=1)
    later = days_clean(since, local_today(local_instant(tomorrow, next_day, zone), zone))
    assert later - count == (2 if (zone.key, tomorrow) in SKIPPED else 1)


@given(ZONES, DAYS, HOURS)
@example(APIA, date(2011, 12, 30), 9)
@example(NEW_YORK, date(2026, 3, 8), 2)
@example(NEW_YORK, date(2026, 11, 1), 1)
@example(LORD_HOWE, date(2026, 10, 4), 2)
@example(ST_JOHNS, date(1990, 10, 27), 23)
def test_local_instant_is_the_first_time_the_clock_reads_that_hour(
    zone: ZoneInfo, day: date, hour: int
) -> None:
    """The instant lands on ``day``, except on a skipped date: then it is the jump past it."""
    instant = local_instant(day, hour, zone)
    assert instant.utcoffset() == timedelta(0)
    local = instant.astimezone(zone)
    just_before = (instant - timedelta(seconds=1)).astimezone(zone)
    wanted = (day, time(hour))
    assert (local.date(), local.time()) >= wanted > (just_before.date(), just_before.time())
    if (zone.key, day) in SKIPPED:
        assert (local.date(), local.time()) == (day + timedelta(days=1), time(0))
    else:
        assert local.date() == day
    if local.time() != time(hour):  # a gap: the clocks jumped at this very instant
        assert just_before.utcoffset() != local.utcoffset()


@given(SINCE, st.integers(0, 80_000))
@example(date(2024, 2, 29), 365)
@example(date(2026, 1, 31), 58)
def test_calendar_span_recomposes(since: date, days: int) -> None:
    today = since + timedelta(days=days)
    span = calendar_span(since, today)
    months = 12 * span.years + span.months
    step_start = add_months(since, months)
    assert 0 <= span.months < 12
    assert step_start + timedelta(days=span.days) == today
    assert 0 <= span.days < (add_months(since, months + 1) - step_start).days


LEAP_YEARS = st.sampled_from([year for year in range(1904, 2400) if calendar.isleap(year)])


@given(LEAP_YEARS, st.integers(1, 300))
def test_29_february_anniversaries(leap_year: int, years: int) -> None:
    anniversary = milestone_date(date(leap_year, 2, 29), Milestone(years, "y"))
    year = leap_year + years
    assert anniversary == date(year, 2, 29 if calendar.isleap(year) else 28)


MILESTONES = st.builds(Milestone, st.integers(1, 1200), st.sampled_from(["d", "m", "y"]))


@st.composite
def schedules(draw: st.DrawFn) -> MilestoneSchedule:
    steps = draw(
        st.lists(
            MILESTONES,
            max_size=12,
            unique_by=lambda m: ("d", m.amount) if m.in_months is None else ("m", m.in_months),
        )
    )
    yearly = draw(st.booleans()) or not steps
    return MilestoneSchedule(tuple(steps), yearly_after=yearly)


@given(schedules())
def test_schedule_text_round_trips(schedule: MilestoneSchedule) -> None:
    assert MilestoneSchedule.parse(schedule.text()) == schedule


@given(schedules(), SINCE, st.dates(date(1900, 1, 1), date(2400, 1, 1)))
@example(DEFAULT_SCHEDULE, date(2024, 2, 29), date(2024, 2, 29))
def test_upcoming_milestones_are_in_date_order_from_start(
    schedule: MilestoneSchedule, since: date, start: date
) -> None:
    items = list(islice(schedule.upcoming(since, start), 60))
    days = [day for _, day in items]
    assert days == sorted(days)
    assert all(day >= start for day in days)
    keys = [milestone.key for milestone, _ in items]
    assert len(keys) == len(set(keys))
    explicit = {m.key: milestone_date(since, m) for m in schedule.steps}
    if len(items) < 60:
        assert {k for k, day in explicit.items() if day >= start} <= set(keys)
    for milestone, day in items:
        assert milestone_date(since, milestone) == day
        if milestone.key not in explicit:
            assert schedule.yearly_after
            assert milestone.unit == "y"
            assert all(day > other for other in explicit.values())
    assert schedule.next_on_or_after(since, start) == (items[0] if items else None)


@given(schedules(), SINCE, st.integers(0, 20_000))
def test_reached_and_next_meet_at_today(
    schedule: MilestoneSchedule, since: date, days: int
) -> None:
    today = since + timedelta(days=days)
    reached = schedule.reached(since, today)
    assert all(day <= today for _, day in reached)
    following = schedule.next_on_or_after(since, today + timedelta(days=1))
    assert following is None or following[1] > today
    everything = list(islice(schedule.upcoming(since, date.min), len(reached) + 1))
    assert everything[: len(reached)] == reached
    if len(everything) > len(reached):
        assert everything[len(reached)] == following


# /days with a counter's name, from the console


def days_ago(days: int) -> str:
    return (START.date() - timedelta(days=days)).isoformat()


async def test_days_with_a_name_shows_that_count_alone_and_privately(console: Transcript) -> None:
    await console.cleandate(f"{days_ago(100)}")
    await console.cleandate(f"{days_ago(29)} Gambling")
    await console.cleandate(f"{days_ago(10)} nicotine")

    answer = await console.say("/days   GAMBLING  ")

    private = private_to(answer, "Sam")
    assert "Gambling since 31 October 2026: 29 days clean." in private
    assert "nicotine" not in private
    assert "100 days" not in private
    assert "sent you the answer privately" in group_text(answer)
    assert "Gambling" not in group_text(answer)
    assert "29 days" not in group_text(answer)


async def test_days_without_a_name_still_shows_the_shared_count_in_the_group(
    console: Transcript,
) -> None:
    await console.cleandate(f"{days_ago(100)}")
    await console.cleandate(f"{days_ago(29)} gambling")

    answer = await console.say("/days")

    assert "100 days clean" in group_text(answer)
    assert "gambling" not in group_text(answer)
    assert "29 days clean" in private_to(answer, "Sam")


async def test_an_unknown_name_gets_the_members_counts_by_name_privately(
    console: Transcript,
) -> None:
    await console.cleandate(f"{days_ago(100)}")
    await console.cleandate(f"{days_ago(29)} gambling")
    await console.cleandate(f"{days_ago(10)} Nicotine")

    answer = await console.say("/days sugar")

    private = private_to(answer, "Sam")
    assert "I don't see a count called sugar yet." in private
    assert "Your named counts: gambling, Nicotine. To see one: /days gambling" in private
    assert "/days on its own shows your main count." in private
    assert "/cleandate today sugar" in private
    assert "days clean" not in private  # names only, no counts
    group = group_text(answer)
    assert "sent you the answer privately" in group
    assert "sugar" not in group
    assert "gambling" not in group
    assert "Nicotine" not in group


async def test_a_name_with_no_counts_at_all_says_how_to_start_one(console: Transcript) -> None:
    answer = await console.say("/dm /days gambling")

    private = private_to(answer, "Sam")
    assert "I don't see a count called gambling yet." in private
    assert "/cleandate today gambling" in private
    assert "named count" not in private
    assert "main count" not in private
    assert group_text(answer) == ""


async def test_two_counts_named_alike_are_told_apart_by_case(console: Transcript) -> None:
    await console.cleandate(f"{days_ago(29)} Gambling")
    await console.cleandate(f"{days_ago(10)} gambling")

    exact = private_to(await console.say("/days gambling"), "Sam")
    either = private_to(await console.say("/days GAMBLING"), "Sam")

    assert "gambling since" in exact
    assert "10 days clean" in exact
    assert "Gambling since" not in exact
    assert "Gambling since" in either
    assert "gambling since" in either
