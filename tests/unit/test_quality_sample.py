"""Quality control's pure rules: which week a moment falls in on the country's clock, and what the weekly
sample of each agent's closed cases adds."""
import random
from datetime import UTC, date, datetime

from services.cases import domain


def test_the_week_runs_monday_to_sunday_on_the_countrys_clock():
    # Sunday 23:30 in Lagos (UTC+1) is Monday already there: the next week.
    monday, start, end = domain.week_of(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "Africa/Lagos")
    assert monday == date(2026, 11, 30)
    assert start.astimezone(UTC) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert (end - start).days == 7
    assert domain.week_of(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "Africa/Conakry")[0] == date(2026, 11, 23)


def test_each_agent_gets_the_sample_size_or_all_they_closed_when_fewer():
    drawn = domain.sample_to_draw({"fanta": ["A", "B", "C", "D"], "moussa": ["E"]}, {}, 2, random.Random(7))
    assert len(drawn["fanta"]) == 2 and set(drawn["fanta"]) <= {"A", "B", "C", "D"}
    assert drawn["moussa"] == ["E"]


def test_a_drawn_sample_is_only_topped_up_never_redrawn():
    # Fanta has 2 sampled already: nothing more; Moussa had 1 and closed more since: one more.
    drawn = domain.sample_to_draw({"fanta": ["C", "D"], "moussa": ["F", "G"]}, {"fanta": 2, "moussa": 1}, 2,
                                  random.Random(1))
    assert "fanta" not in drawn and len(drawn["moussa"]) == 1


def test_the_draw_is_random_among_the_agents_closed_cases():
    seen = {tuple(domain.sample_to_draw({"fanta": list("ABCDEFGH")}, {}, 2, random.Random(seed))["fanta"])
            for seed in range(20)}
    assert len(seen) > 5
