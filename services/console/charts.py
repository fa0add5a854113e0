"""Charts drawn on the server as SVG geometry, pure: where each bar, point and tick goes.

The figures come from reporting as they are: a withheld figure (`None`, small-cell suppression) is shown
as `<5` with no bar, and never enters a scale, a sum or anything else that could tell it. Templates
(`_charts.html`) turn this geometry into SVG with classes from console.css, so no inline style is needed.
"""
from dataclasses import dataclass

WIDTH = 640
WITHHELD = "<5"
# Bar charts: each row is a label line above its bar, so long category names never collide with bars.
ROW_HEIGHT, BAR_HEIGHT, BAR_LEFT, VALUE_ROOM = 40, 14, 8, 56
TOP_ROOM = 6   # above the first label, whose letters rise above its line (more so in a phone's larger type)
BAR_AREA = WIDTH - BAR_LEFT - VALUE_ROOM
AXIS_HEIGHT = 22
# Line charts: room for the tick values on the left and the period labels below.
LINE_HEIGHT, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 240, 44, 16, 12, 36


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `value` (and at least 1)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def ticks(scale_max: int) -> list[int]:
    """Four equal steps from 0 to `scale_max` when they are whole numbers, else the ends only."""
    if scale_max % 4 == 0:
        return [scale_max * step // 4 for step in range(5)]
    if scale_max % 2 == 0:
        return [0, scale_max // 2, scale_max]
    return [0, scale_max]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None      # None: withheld by reporting (or, for a share, nothing to divide)
    text: str                # what is written at the bar's end: the figure, or <5
    top: float               # the row's top
    width: float             # 0 for a zero or a withheld figure

    @property
    def withheld(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    scale_max: int
    ticks: list[tuple[int, float]]   # (value, x)
    height: float
    width: int = WIDTH
    bar_height: int = BAR_HEIGHT
    left: int = BAR_LEFT

    @property
    def empty(self) -> bool:
        return not self.bars

    @property
    def axis_y(self) -> float:
        return self.height - AXIS_HEIGHT


def bar_chart(rows: list[tuple[str, float | None]], *, scale_max: int | None = None,
              text=lambda value: str(value), missing_text: str = WITHHELD) -> BarChart:
    """Horizontal bars, one per (label, figure); a None figure has no bar and reads `missing_text` (<5: withheld
    by reporting). `scale_max` fixes the scale (100 for percentages); else the scale is the nicest round
    number above the largest figure shown."""
    shown = [value for _, value in rows if value is not None]
    scale = scale_max or nice_ceiling(max(shown, default=0))
    bars = [Bar(label, value, missing_text if value is None else text(value), TOP_ROOM + index * ROW_HEIGHT,
                0 if value is None else round(BAR_AREA * min(value, scale) / scale, 1))
            for index, (label, value) in enumerate(rows)]
    return BarChart(bars, scale, [(tick, round(BAR_LEFT + BAR_AREA * tick / scale, 1)) for tick in ticks(scale)],
                    TOP_ROOM + len(rows) * ROW_HEIGHT + AXIS_HEIGHT)


@dataclass(frozen=True)
class Series:
    name: str
    css: str                         # the class that draws it (colour, dashes)
    points: list[tuple[float, float, int]]   # (x, y, value)

    @property
    def path(self) -> str:
        return " ".join(f"{x},{y}" for x, y, _ in self.points)


@dataclass(frozen=True)
class LineChart:
    labels: list[tuple[str, float]]  # (label, x) under the plot
    series: list[Series]
    scale_max: int
    ticks: list[tuple[int, float]]   # (value, y)
    width: int = WIDTH
    height: int = LINE_HEIGHT
    left: int = PLOT_LEFT
    right: int = WIDTH - PLOT_RIGHT

    @property
    def empty(self) -> bool:
        return not self.labels

    @property
    def base_y(self) -> float:
        return LINE_HEIGHT - PLOT_BOTTOM


def line_chart(labels: list[str], series: list[tuple[str, str, list[int]]]) -> LineChart:
    """One line per (name, css class, values), the values evenly spaced under `labels`, oldest first."""
    plot_width = WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = LINE_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    scale = nice_ceiling(max((value for _, _, values in series for value in values), default=0))

    def x_of(index: int) -> float:
        if len(labels) == 1:
            return PLOT_LEFT + plot_width / 2
        return round(PLOT_LEFT + plot_width * index / (len(labels) - 1), 1)

    def y_of(value: float) -> float:
        return round(PLOT_TOP + plot_height * (1 - value / scale), 1)

    return LineChart(
        labels=[(label, x_of(index)) for index, label in enumerate(labels)],
        series=[Series(name, css, [(x_of(index), y_of(value), value) for index, value in enumerate(values)])
                for name, css, values in series],
        scale_max=scale, ticks=[(tick, y_of(tick)) for tick in ticks(scale)])
