"""The report pages' charts: scales a reader can trust, empty periods, and withheld figures kept withheld."""
from services.console import charts


def test_the_scale_is_the_next_round_number_and_the_largest_bar_is_drawn_to_it():
    assert [charts.nice_ceiling(value) for value in (0, 1, 3, 7, 10, 11, 38, 240)] == [1, 1, 5, 10, 10, 20, 50, 500]
    chart = charts.bar_chart([("Hotline", 38), ("SMS", 19), ("Email", 0)])
    assert chart.scale_max == 50
    hotline, sms, email = chart.bars
    assert hotline.width == round(charts.BAR_AREA * 38 / 50, 1)
    assert sms.width == hotline.width / 2
    assert email.width == 0 and email.text == "0"
    assert [value for value, _ in chart.ticks] == [0, 25, 50]
    assert chart.ticks[-1][1] == charts.BAR_LEFT + charts.BAR_AREA


def test_a_withheld_figure_shows_as_under_five_with_no_bar_and_does_not_set_the_scale():
    chart = charts.bar_chart([("Kindia", 6), ("Labé", None), ("Boké", 0)])
    kindia, labe, boke = chart.bars
    assert labe.withheld and labe.text == "<5" and labe.width == 0
    assert chart.scale_max == 10       # from the 6 shown, not from a guess at the withheld figure
    assert kindia.width == round(charts.BAR_AREA * 0.6, 1)
    only_withheld = charts.bar_chart([("Kindia", None)])
    assert only_withheld.scale_max == 1 and only_withheld.bars[0].width == 0


def test_a_period_without_figures_gives_an_empty_chart_rather_than_a_broken_one():
    assert charts.bar_chart([]).empty
    assert charts.line_chart([], [("Messages", "messages", [])]).empty
    flat = charts.line_chart(["09/11", "16/11"], [("Messages", "messages", [0, 0])])
    assert not flat.empty and flat.scale_max == 1
    assert {y for _, y, _ in flat.series[0].points} == {flat.base_y}


def test_percentages_use_a_fixed_scale_and_the_trend_runs_oldest_to_newest_left_to_right():
    shares = charts.bar_chart([("Acknowledged", 75.0), ("Resolved", 100.0)], scale_max=100,
                              text=lambda value: f"{value:.0f} %")
    assert [bar.text for bar in shares.bars] == ["75 %", "100 %"]
    assert shares.bars[1].width == charts.BAR_AREA and [value for value, _ in shares.ticks] == [0, 25, 50, 75, 100]
    trend = charts.line_chart(["a", "b", "c"], [("Messages", "messages", [2, 8, 4]), ("Calls", "calls", [1, 0, 3])])
    assert trend.scale_max == 10
    xs = [x for x, _, _ in trend.series[0].points]
    assert xs == sorted(xs) and xs[0] == trend.left and xs[-1] == trend.right
    heights = {value: y for _, y, value in trend.series[0].points}
    assert heights[8] < heights[4] < heights[2] < trend.base_y   # higher figures are drawn higher
    assert trend.series[0].path.count(",") == 3
    single = charts.line_chart(["16/11"], [("Messages", "messages", [5])])
    assert single.series[0].points[0][0] == (single.left + single.right) / 2


def test_a_reports_figures_are_drawn_as_reporting_gives_them_withheld_ones_included():
    from services.console.i18n import translate
    from services.console.pages.manager import report_figures

    def count(key, value, previous=0, suppressed=False):
        return {"key": key, "count": value, "previous": previous, "suppressed": suppressed}
    deadline = {"settled": 0, "within_deadline": 0, "overdue_unsettled": 0, "share_within_deadline": None,
                "median_hours": None, "p90_hours": None}
    report = {"period": "week", "messages": {
        "by_channel": [count("hotline", 5, 2)], "by_category": [count("unclassified", 1)],
        "by_location": [count("Kindia", None, None, True), count("not_stated", 6)]},
        "acknowledge": {**deadline, "share_within_deadline": 0.667}, "resolve": deadline,
        "trend": [{"period_start": "2026-11-09", "messages": 0, "calls": 1},
                  {"period_start": "2026-11-16", "messages": 7, "calls": 0}]}
    figures = report_figures(report, lambda key, **values: translate("en", key, **values))
    assert [(row["label"], row["count"], row["withheld"]) for row in figures["regions"]] == [
        ("Kindia", None, True), ("Not stated", 6, False)]
    assert [bar.text for bar in figures["region_chart"].bars] == ["<5", "6"]
    assert [bar.text for bar in figures["share_chart"].bars] == ["67%", "no deadline ended"]
    assert figures["category_chart"].bars[0].label == "Unclassified"
    assert [label for label, _ in figures["trend_chart"].labels] == ["09/11", "16/11"]
