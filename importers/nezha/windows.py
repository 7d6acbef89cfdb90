"""Which minutes of a day belong to a fault's case (docs/nezha.md, "The window of a case").

Logs and traces were kept from about a minute before each injection to the end of the second
minute after it, in files `HH_MM` that end at the metric scrape of that minute. Metrics cover
the whole day, one sample a minute, scraped a fixed number of seconds past each minute (the
day's scrape phase).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

MINUTE = 60.0
MAX_BASELINE = 600.0  # a case never reaches back more than 10 minutes before the injection
AFTER_PREVIOUS = 360.0  # ... nor into the 6 minutes after the previous injection (its effects)
MIN_BASELINE = 120.0  # ... unless that would leave less than 2 minutes before the injection


@dataclass(frozen=True, slots=True)
class Window:
    start: float
    now: float  # the case's present: nothing at or after it is in the case


def scrape_phase(times) -> int:
    """Whole seconds past the minute at which the day's metrics were scraped (median; taken
    around the first sample's phase, so that scrapes straddling a full minute still agree)."""
    times = list(times)
    if not times:
        return 0
    first = times[0] % MINUTE
    offsets = [((t - first + MINUTE / 2) % MINUTE) - MINUTE / 2 for t in times]
    return round(first + statistics.median(offsets)) % int(MINUTE)


def case_windows(injections: list[float], phase: int) -> list[Window]:
    """One window per injection (in time order).

    now: one second after the scrape that ends the second minute after the injection's
    minute, i.e. where the fault's log and trace files end.
    start: 10 minutes before the injection, but not before 6 minutes after the previous
    injection (or, if that leaves less than 2 minutes, 2 minutes before the injection), and
    never before the previous case's now: cases never share a minute."""
    windows: list[Window] = []
    for i, inject in enumerate(injections):
        now = math.floor(inject / MINUTE) * MINUTE + 2 * MINUTE + phase + 1
        start = inject - MAX_BASELINE
        if i:
            previous = injections[i - 1]
            start = max(start, min(previous + AFTER_PREVIOUS, inject - MIN_BASELINE), windows[-1].now)
        windows.append(Window(start, now))
    return windows
