"""Fair pings: who may be pinged, in what order, and how many in one chain."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.danger import DangerWords
from bot.domain.supporters import Candidate, Hours, HoursError, choose

ZONES = [ZoneInfo(z) for z in ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Apia")]
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
REST = timedelta(minutes=60)

hours = st.one_of(
    st.none(),
    st.builds(
        lambda a, b: Hours(time(a), time(b)),
        st.integers(0, 23),
        st.integers(0, 23),
    ).filter(lambda h: h.start != h.end),
)
candidates = st.lists(
    st.builds(
        Candidate,
        key=st.sampled_from([f"p{n}" for n in range(30)]),
        zone=st.sampled_from(ZONES),
        hours=hours,
        last_pinged_at=st.one_of(
            st.none(), st.integers(0, 600).map(lambda m: NOW - timedelta(minutes=m))
        ),
    ),
    max_size=30,
    unique_by=lambda c: c.key,
)


@given(candidates, st.integers(1, 10))
def test_never_the_member_never_in_quiet_hours_never_tired(
    pool: list[Candidate], count: int
) -> None:
    chosen = choose(pool, now=NOW, count=count, exclude={"p0"}, rest=REST)
    assert len(chosen) <= count
    for c in chosen:
        assert c.key != "p0"
        assert c.hours is None or c.hours.contains(NOW.astimezone(c.zone).time())
        assert c.last_pinged_at is None or NOW - c.last_pinged_at >= REST


@given(candidates)
def test_least_recently_pinged_first(pool: list[Candidate]) -> None:
    chosen = choose(pool, now=NOW, count=30, exclude=(), rest=timedelta(0))
    order = [c.last_pinged_at or datetime.min.replace(tzinfo=UTC) for c in chosen]
    assert order == sorted(order)
    left_out = [c for c in pool if c not in chosen]
    for c in left_out:
        assert c.hours is not None
        assert not c.hours.contains(NOW.astimezone(c.zone).time())


@given(candidates, st.integers(1, 10), st.integers(1, 30))
def test_a_chain_pings_nobody_twice_and_at_most_max_pings(
    pool: list[Candidate], ping_count: int, max_pings: int
) -> None:
    pinged: list[str] = []
    for _ in range(10):  # escalation rounds
        room = max_pings - len(pinged)
        chosen = choose(
            pool, now=NOW, count=min(ping_count, room), exclude={"p0", *pinged}, rest=REST
        )
        pinged += [c.key for c in chosen]
    assert len(pinged) == len(set(pinged))
    assert len(pinged) <= max_pings
    assert "p0" not in pinged


def test_hours_may_run_past_midnight() -> None:
    night = Hours.parse("22:00-06:00")
    assert night.contains(time(23, 30))
    assert night.contains(time(5, 59))
    assert not night.contains(time(12, 0))
    assert Hours.parse("09:00-24:00").contains(time(23, 59))


@pytest.mark.parametrize(
    "text", ["", "9-5", "25:00-06:00", "09:00-09:00", "09:60-10:00", "x" * 500]
)
def test_bad_hours_are_refused(text: str) -> None:
    with pytest.raises(HoursError):
        Hours.parse(text)


@pytest.mark.parametrize(
    ("note", "danger"),
    [
        ("I want to kill myself", True),
        ("i think i TOOK TOO MUCH", True),
        ("thinking about suicide.", True),
        ("scared I'll overdose", True),
        ("I feel odd today", False),
        ("this craving is killing me", False),
        ("", False),
    ],
)
def test_danger_words_match_whole_phrases(note: str, danger: bool) -> None:
    words = DangerWords(["kill myself", "took too much", "suicide", "overdose", "od"])
    assert words.spoken_in(note) is danger
