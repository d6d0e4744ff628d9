"""Clean time: reading a clean date, counting days, and the calendar of milestones.

Counts are calendar arithmetic on the dates a member sees on their own clock, never elapsed
hours, so daylight saving and leap days cannot shift a count: day 0 is the clean date, and the
count follows the member's calendar (up by one at each local midnight; by two where a zone
skipped a date, as Pacific/Apia did on 30 December 2011).

Months and years are calendar-aware and clamped to the month's end (31 Jan + 1 month = 28 or
29 Feb), always counted from the clean date itself, so 31 Jan + 2 months is 31 Mar.

**29 February.** A yearly anniversary of a 29 February clean date falls on 29 February in leap
years and on 28 February in common years: that is what clamping gives, and it keeps a member
from waiting until 1 March, past their own anniversary month.

**Daylight-saving gaps.** ``wall_instant`` turns a wall-clock time on a local day into an
instant, for milestone announcements and meeting times alike. A time that happens twice (a fold)
is its first occurrence. A time that never happens (a gap) becomes the instant the clocks jumped
past it, which is the nearest real instant, so nothing due then is ever skipped: for the usual
one-hour gaps that start on the hour this is the same as ``fold=0``. Only a jump past midnight
lands on the next day: a skipped date (Pacific/Apia, 30 December 2011) is celebrated at the first
instant of the day after.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import takewhile
from typing import Final, Literal
from zoneinfo import ZoneInfo

from bot import contexts
from bot.language import available_locales, bundled_lines, date_words, folded

MAX_DATE_TEXT: Final = 60
"""Longer date text (whitespace collapsed) is refused with reason ``too_long``."""
EARLIEST: Final = date(1900, 1, 1)
"""Clean dates before this are refused with reason ``too_old``."""
MAX_NAME: Final = 32
"""The longest counter name, in characters."""

MAX_SCHEDULE_STEPS: Final = 40
"""The most explicit milestones a schedule may list."""
MAX_SCHEDULE_AMOUNT: Final = 1200
"""The largest amount of one milestone (1200 months is a hundred years)."""


DATE_REFUSALS: Final = (
    "empty",
    "too_long",
    "unreadable",
    "ambiguous",
    "impossible",
    "future",
    "too_old",
)
"""Every reason ``parse_clean_date`` may refuse a date with: the templates that explain a refusal
are sampled with each."""


class CleanDateError(ValueError):
    """A clean date a member typed that we cannot accept."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        """One of ``DATE_REFUSALS``, or name_too_long."""


ORDINALS_FILE: Final = "date_ordinals.txt"
"""The endings a day's number may carry ("1st", "1º"), one a line, in ``messages/<locale>/``."""
_YEAR = r"(?P<year>[0-9]{4})"
_ISO: Final = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})")
_NUMERIC: Final = re.compile(r"(?P<a>[0-9]{1,2})([/.-])(?P<b>[0-9]{1,2})\2(?P<year>[0-9]{4})")
_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UNREAD: Final = frozenset({"empty", "too_long", "unreadable"})


def parse_clean_date(text: str, today: date, locales: Sequence[str] = ("en",)) -> date:
    """Read a clean date as a member types it, relative to their local ``today``, in the first
    of ``locales`` that reads it (the member's language, then their group's).

    ISO dates (2026-03-01) read in every language. Numbers such as 1/3/2026 read in the order
    the language writes them, and are refused as ``ambiguous`` where its own countries
    disagree (English: 3 January or 1 March).

    Raises:
        CleanDateError: checked in the order empty, too_long, unreadable (or ambiguous),
            impossible, too_old, future; of the languages tried, the first one's that read
            the date, else the first "ambiguous", else "unreadable".
    """
    words = text.split()
    if not words:
        raise CleanDateError("empty")
    spoken = folded(" ".join(words))
    if len(spoken) > MAX_DATE_TEXT:
        raise CleanDateError("too_long")
    errors: list[CleanDateError] = []
    for locale in dict.fromkeys(locales):
        try:
            return _read_date(spoken, today, locale)
        except CleanDateError as error:
            errors.append(error)
    vague = ("ambiguous", "unreadable")  # a language that read the date says more
    raise min(errors, key=lambda e: vague.index(e.reason) + 1 if e.reason in vague else 0)


def _read_date(spoken: str, today: date, locale: str) -> date:
    """Read folded text as a date in one language (``parse_clean_date``)."""
    words = date_words(locale)
    if spoken in words.relative:
        return _days_before(today, words.relative[spoken])
    if match := words.ago.fullmatch(spoken):
        return _days_before(today, int(next(g for g in match.groups() if g)))
    if match := _ISO.fullmatch(spoken):
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    elif match := _NUMERIC.fullmatch(spoken):
        if words.day_first is None:
            raise CleanDateError("ambiguous")
        first, second = int(match["a"]), int(match["b"])
        day, month = (first, second) if words.day_first else (second, first)
        year = int(match["year"])
    elif match := next(filter(None, (p.fullmatch(spoken) for p in _named_month(locale))), None):
        year, month, day = int(match["year"]), words.months[match["month"]], int(match["day"])
    else:
        raise CleanDateError("unreadable")
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        raise CleanDateError("impossible")
    if year < EARLIEST.year:
        raise CleanDateError("too_old")
    return _not_future(date(year, month, day), today)


@functools.cache
def _named_month(locale: str) -> tuple[re.Pattern[str], ...]:
    """A day, a month's name and a year, either way round, with the language's linking
    words ("1 de marzo de 2026", "March 1, 2026", "1st Mar. 2026")."""
    words = date_words(locale)
    names = "|".join(sorted(map(re.escape, words.months), key=len, reverse=True))
    month = rf"(?P<month>{names})\.?"
    link = "".join(f"(?: {re.escape(w)})?" for w in words.linking[:1])
    endings = "|".join(sorted(map(re.escape, day_endings()), key=len, reverse=True))
    day = rf"(?P<day>[0-9]{{1,2}})(?:{endings})?" if endings else r"(?P<day>[0-9]{1,2})"
    day_month = rf"{day}{link} {month},?{link} {_YEAR}"
    month_day = rf"{month} {day},? {_YEAR}"
    return re.compile(day_month), re.compile(month_day)


@functools.cache
def day_endings() -> frozenset[str]:
    """Every ending a day's number may carry in any language the bot has, folded as typed
    dates are ("st", and "o" for "º"): each locale's ``date_ordinals.txt``.

    Raises:
        ValueError: naming the file and line of an ending that is no ending.
    """
    endings: set[str] = set()
    for locale in available_locales():
        for where, text, _ in bundled_lines(locale, ORDINALS_FILE):
            if any(char.isdigit() or char.isspace() for char in text):
                raise ValueError(f"{where}: an ending has no digits or spaces")
            endings.add(folded(text))
    return frozenset(endings)


def split_date_and_name(
    args: str, today: date, locales: Sequence[str] = ("en",)
) -> tuple[date, str]:
    """Split ``/cleandate`` arguments into the clean date and a counter name ("" = primary).

    The date is the longest leading run of words that parses. When none does, the error is
    the one of the longest run that was readable as a date (so "2026-02-30 nicotine" is
    impossible, not unreadable), else the error of the whole text.
    """
    words = args.split()
    if not words:
        raise CleanDateError("empty")
    if len(" ".join(words)) > MAX_DATE_TEXT + 1 + MAX_NAME:
        raise CleanDateError("too_long")
    errors: list[CleanDateError] = []
    for end in range(len(words), 0, -1):
        try:
            since = parse_clean_date(" ".join(words[:end]), today, locales)
        except CleanDateError as error:
            errors.append(error)
            continue
        name = " ".join(words[end:])
        if len(name) > MAX_NAME:
            raise CleanDateError("name_too_long")
        return since, name
    raise next((error for error in errors if error.reason not in _UNREAD), errors[0])


def days_clean(since: date, today: date) -> int:
    """Count the days from the clean date (day 0) to ``today``."""
    return (today - since).days


def add_months(day: date, months: int) -> date:
    """Move ``day`` by whole calendar months, clamped to the end of a shorter month.

    Raises:
        ValueError: when the result is outside years 1 to 9999.
    """
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        raise ValueError("beyond the calendar")
    month = month_index + 1
    return date(year, month, min(day.day, _days_in_month(year, month)))


@dataclass(frozen=True, slots=True)
class Span:
    """Clean time as a person says it: years, months and days."""

    years: int
    months: int
    days: int

    def as_context(self) -> contexts.Span:
        return contexts.Span(years=self.years, months=self.months, days=self.days)


def calendar_span(since: date, today: date) -> Span:
    """Express the time from ``since`` to ``today`` in whole months, then days.

    Raises:
        ValueError: when ``since`` is after ``today``.
    """
    if since > today:
        raise ValueError("clean date after today")
    months = (today.year - since.year) * 12 + today.month - since.month
    if add_months(since, months) > today:
        months -= 1
    years, months_left = divmod(months, 12)
    return Span(years, months_left, (today - add_months(since, months)).days)


Unit = Literal["d", "m", "y"]
_UNITS: Final[dict[str, Unit]] = {"d": "d", "m": "m", "y": "y"}
_KEY: Final = re.compile(r"(?P<amount>[1-9][0-9]{0,5})(?P<unit>[dmy])")


@dataclass(frozen=True, slots=True)
class Milestone:
    """A point in clean time worth celebrating: an amount of days, months or years."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 1 or self.unit not in _UNITS:
            raise ValueError("bad milestone")

    @property
    def key(self) -> str:
        """Name the milestone stably for storage, e.g. ``30d``, ``6m``, ``1y``."""
        return f"{self.amount}{self.unit}"

    @classmethod
    def from_key(cls, key: str) -> Milestone:
        """Read a stored key back.

        Raises:
            ValueError: when ``key`` is not a canonical key.
        """
        match = _KEY.fullmatch(key)
        if match is None:
            raise ValueError("bad milestone key")
        return cls(int(match["amount"]), _UNITS[match["unit"]])

    @property
    def in_months(self) -> int | None:
        """Give the length in months, or None for a count of days."""
        if self.unit == "d":
            return None
        return self.amount * 12 if self.unit == "y" else self.amount


def milestone_date(since: date, milestone: Milestone) -> date:
    """Find the day a milestone falls on; a 29 Feb anniversary is 28 Feb in common years.

    Raises:
        ValueError: when the day is beyond the year 9999.
    """
    months = milestone.in_months
    if months is not None:
        return add_months(since, months)
    if since.toordinal() + milestone.amount > date.max.toordinal():
        raise ValueError("beyond the calendar")
    return since + timedelta(days=milestone.amount)


class ScheduleError(ValueError):
    """An admin's milestone schedule text that we cannot accept."""

    def __init__(self, reason: str, position: int = 0) -> None:
        super().__init__(f"{reason}:{position}" if position else reason)
        self.reason = reason
        """One of empty, bad_token, out_of_range, duplicate, too_many, yearly_not_last."""
        self.position = position
        """The 1-based position of the offending item, 0 when not about one item."""


_STEP: Final = re.compile(r"(?P<amount>[0-9]{1,4})(?P<unit>[dmy])")


@dataclass(frozen=True, slots=True)
class MilestoneSchedule:
    """The milestones a community celebrates: explicit steps, then maybe every year after."""

    steps: tuple[Milestone, ...]
    yearly_after: bool = True

    def __post_init__(self) -> None:
        if not self.steps and not self.yearly_after:
            raise ScheduleError("empty")
        if len(self.steps) > MAX_SCHEDULE_STEPS:
            raise ScheduleError("too_many")
        seen: set[tuple[str, int]] = set()
        for position, step in enumerate(self.steps, start=1):
            if step.amount > MAX_SCHEDULE_AMOUNT:
                raise ScheduleError("out_of_range", position)
            # 12m and 1y are the same day: one celebration, not two.
            length = (step.unit, step.amount) if step.in_months is None else ("m", step.in_months)
            if length in seen:
                raise ScheduleError("duplicate", position)
            seen.add(length)

    @classmethod
    def parse(cls, text: str) -> MilestoneSchedule:
        """Read admin text such as ``1d 30d 60d 90d 6m 9m 1y 18m yearly`` (commas allowed).

        Raises:
            ScheduleError: a ValueError whose message is ``reason`` or ``reason:position``.
        """
        words = text.replace(",", " ").lower().split()
        if not words:
            raise ScheduleError("empty")
        yearly = words[-1] == "yearly"
        if yearly:
            words.pop()
        if len(words) > MAX_SCHEDULE_STEPS:
            raise ScheduleError("too_many")
        steps: list[Milestone] = []
        for position, word in enumerate(words, start=1):
            if word == "yearly":
                raise ScheduleError("yearly_not_last", position)
            match = _STEP.fullmatch(word)
            if match is None:
                raise ScheduleError("bad_token", position)
            amount = int(match["amount"])
            if not 1 <= amount <= MAX_SCHEDULE_AMOUNT:
                raise ScheduleError("out_of_range", position)
            steps.append(Milestone(amount, _UNITS[match["unit"]]))
        return cls(tuple(steps), yearly_after=yearly)

    def text(self) -> str:
        """Write the schedule as ``parse`` reads it."""
        keys = [step.key for step in self.steps]
        return " ".join([*keys, "yearly"] if self.yearly_after else keys)

    def upcoming(self, since: date, start: date) -> Iterator[tuple[Milestone, date]]:
        """Yield every milestone on or after ``start`` in date order (ties: schedule order).

        With ``yearly_after`` this runs until the calendar ends (year 9999): after the last
        explicit milestone, every whole year n whose date is later comes as ``Milestone(n, "y")``.
        """
        dated = [
            (day, i, m) for i, m in enumerate(self.steps) if (day := _dated(since, m)) is not None
        ]
        dated.sort(key=lambda item: item[:2])
        for day, _, milestone in dated:
            if day >= start:
                yield milestone, day
        if not self.yearly_after or len(dated) < len(self.steps):
            return
        last = dated[-1][0] if dated else since
        # Years before these cannot reach `start` or pass `last`; skip them without dating them.
        years = max(1, start.year - since.year, last.year - since.year)
        while (day := _dated(since, Milestone(years, "y"))) is not None:
            if day > last and day >= start:
                yield Milestone(years, "y"), day
            years += 1

    def reached(self, since: date, today: date) -> list[tuple[Milestone, date]]:
        """List every milestone on or before ``today``, in date order."""
        return list(takewhile(lambda item: item[1] <= today, self.upcoming(since, date.min)))

    def next_on_or_after(self, since: date, day: date) -> tuple[Milestone, date] | None:
        """Find the first milestone on or after ``day``; None when the schedule has run out."""
        return next(self.upcoming(since, day), None)


DEFAULT_SCHEDULE: Final = MilestoneSchedule(
    (
        Milestone(1, "d"),
        Milestone(30, "d"),
        Milestone(60, "d"),
        Milestone(90, "d"),
        Milestone(6, "m"),
        Milestone(9, "m"),
        Milestone(1, "y"),
        Milestone(18, "m"),
    ),
    yearly_after=True,
)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """Give the date a member in ``zone`` sees on their clock at the instant ``now``.

    Raises:
        ValueError: when ``now`` is naive.
    """
    if now.utcoffset() is None:
        raise ValueError("naive datetime")
    return now.astimezone(zone).date()


def wall_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Give the UTC instant when the clock in ``zone`` first reads ``at`` on ``day``.

    In a daylight-saving gap this is the instant the clocks jumped past that time (see the
    module's notes on gaps).
    """
    wall = (day, at.replace(tzinfo=None, fold=0))
    local = datetime.combine(day, wall[1], tzinfo=zone)
    after = local.astimezone(UTC)
    if _wall(after, zone) == wall:
        return after
    # A gap: fold=1 reads the time with the offset after the jump, which lands before it.
    before = local.replace(fold=1).astimezone(UTC)
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:  # tz transitions fall on whole seconds
        middle = (low + high) // 2
        if _wall(before + timedelta(seconds=middle), zone) >= wall:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


def local_instant(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """Give the UTC instant when the clock in ``zone`` first reads ``hour``:00 on ``day``.

    Raises:
        ValueError: when ``hour`` is not 0 to 23.
    """
    if not 0 <= hour <= 23:
        raise ValueError("hour out of range")
    return wall_instant(day, time(hour), zone)


def _wall(instant: datetime, zone: ZoneInfo) -> tuple[date, time]:
    local = instant.astimezone(zone)
    return local.date(), local.time()


def _dated(since: date, milestone: Milestone) -> date | None:
    """Date a milestone, or None past the end of the calendar."""
    try:
        return milestone_date(since, milestone)
    except ValueError:
        return None


def _days_in_month(year: int, month: int) -> int:
    """Count a month's days; unlike calendar.monthrange this works for year 0 too."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def _days_before(today: date, days: int) -> date:
    """Go back ``days`` from today without overflowing on absurd counts."""
    if days > today.toordinal() - EARLIEST.toordinal():
        raise CleanDateError("too_old")
    return _not_future(date.fromordinal(today.toordinal() - days), today)


def _not_future(since: date, today: date) -> date:
    if since < EARLIEST:
        raise CleanDateError("too_old")
    if since > today:
        raise CleanDateError("future")
    return since
