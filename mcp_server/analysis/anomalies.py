"""Anomaly detection on one metric series.

The baseline is taken from *before* the anomaly, not from the first half of the window: a
two-segment fit finds the most likely change point, the onset is then moved back to where the
series first left the baseline band and stayed out, and the baseline is re-estimated from the
samples before that onset. A fault that starts a few minutes into the window is therefore
measured against those few minutes; one that started before the window is caught by its
absolute service-level breach instead. A series that stops reporting is an anomaly too.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from itertools import accumulate

from .metric_kinds import FILLING, SLI_BREACH, MetricKind, kind_of

MAX_POINTS = 720  # longer windows are averaged down before the search
MIN_SEGMENT = 4
# Real windows can hold a handful of one-minute samples: down to two on each side of a change.
SHORT_SERIES = 16
MIN_SHORT_SEGMENT = 2
MIN_SAMPLES = 2 * MIN_SHORT_SEGMENT
Z_THRESHOLD = 4.0
RESTARTS_RECENT_SECONDS = 900.0
RESTARTS_ONGOING = 3  # restarts that, still coming, make a crash loop
ONE_RESTART = 0.2  # the evidence of a single restart: something happened once
# How far (in noise floors) a single last sample must be from everything before it to count.
LAST_SAMPLE_CLEARANCE = 3.0
OVER = 0.55  # an episode that is over weighs this much of one going on
RESET_SAMPLES = 3  # samples back at the baseline that end an episode
SETTLED_EPISODE_SECONDS = 180.0  # longer than the `for:` of a typical alerting rule


@dataclass(frozen=True, slots=True)
class Anomaly:
    metric: str
    direction: str  # "up" | "down" | "missing"
    onset: float  # epoch seconds
    baseline: float
    current: float
    peak: float
    change_pct: float | None
    zscore: float
    persistent: bool  # still out of band at the end of the window
    score: float  # 0..1, comparable across metrics
    kind: str  # "shift" | "sli_breach" | "missing" | "restarts"
    # When an episode that is over came back into the band for good (None while it goes on);
    # `baseline` is then the level before it (or after it, for one under way when the window began).
    ended: float | None = None
    breach_seconds: float = 0.0  # time spent beyond the metric's service-level bound in the window
    detail: str = ""  # what moved, where it is not one series (a request path, say)


def _median(sorted_values: list[float]) -> float:
    n = len(sorted_values)
    mid = n // 2
    return sorted_values[mid] if n % 2 else 0.5 * (sorted_values[mid - 1] + sorted_values[mid])


def robust_center_scale(values: list[float], kind: MetricKind) -> tuple[float, float]:
    """Median and a MAD-based scale, floored so that a flat baseline does not make every
    wiggle look infinite."""
    s = sorted(values)
    center = _median(s)
    mad = _median(sorted(abs(v - center) for v in s))
    floor = max(kind.abs_floor / Z_THRESHOLD, abs(center) * kind.rel_floor / Z_THRESHOLD, 1e-9)
    return center, max(1.4826 * mad, floor)


def _downsample(values: list[float], start: float, step: float) -> tuple[list[float], float]:
    n = len(values)
    if n <= MAX_POINTS:
        return values, step
    k = math.ceil(n / MAX_POINTS)
    out = []
    for i in range(0, n, k):
        chunk = [v for v in values[i:i + k] if v == v]
        out.append(sum(chunk) / len(chunk) if chunk else math.nan)
    return out, step * k


def _fill_gaps(values: list[float]) -> list[float]:
    """Carry the last value across interior gaps so that indexes keep matching times."""
    if sum(values) == sum(values):  # no NaN anywhere
        return values
    out = []
    last = next((v for v in values if v == v), 0.0)
    for v in values:
        if v == v:
            last = v
        out.append(last)
    return out


def _min_segment(n: int) -> int:
    return MIN_SEGMENT if n >= SHORT_SERIES else MIN_SHORT_SEGMENT


def _best_split(values: list[float], direction: str) -> tuple[int, float] | None:
    """Best step change: (index, residual sum of squares), O(n) with prefix sums."""
    n = len(values)
    seg = _min_segment(n)
    if n < 2 * seg:
        return None
    prefix = list(accumulate(values, initial=0.0))
    total = prefix[-1]
    sq = sum(v * v for v in values)
    mean_sq = total * total / n
    up = direction == "up"
    best, best_gain = None, 0.0
    for k in range(seg, n - seg + 1):
        s1 = prefix[k]
        s2 = total - s1
        m1, m2 = s1 / k, s2 / (n - k)
        if (m2 <= m1) if up else (m2 >= m1):
            continue
        gain = s1 * m1 + s2 * m2 - mean_sq
        if gain > best_gain:
            best, best_gain = k, gain
    if best is None:
        return None
    return best, sq - mean_sq - best_gain


def _best_hinge(values: list[float], direction: str) -> tuple[int, float] | None:
    """Best "flat, then a ramp from k" fit: (k, residual sum of squares), O(n).

    A leak or a filling disk is a ramp; a step fit would put its change point mid-ramp.
    Regressing y on x = max(0, t - k) needs only suffix sums of t, t², y and t·y.
    """
    n = len(values)
    seg = _min_segment(n)
    if n < 2 * seg:
        return None
    sy = sum(values)
    syy = sum(v * v for v in values)
    syy_c = syy - sy * sy / n
    # suffix sums over t >= k
    st = stt = sty = suy = 0.0
    suffix = [None] * (n + 1)
    suffix[n] = (0.0, 0.0, 0.0, 0.0)
    for t in range(n - 1, -1, -1):
        v = values[t]
        st += t
        stt += t * t
        sty += t * v
        suy += v
        suffix[t] = (st, stt, sty, suy)
    best, best_sse = None, None
    for k in range(seg, n - seg + 1):
        cst, cstt, csty, csy = suffix[k]
        cnt = n - k
        sx = cst - k * cnt
        sxx = cstt - 2 * k * cst + k * k * cnt
        sxy = csty - k * csy
        vx = sxx - sx * sx / n
        if vx <= 0:
            continue
        cov = sxy - sx * sy / n
        slope = cov / vx
        if (direction == "up" and slope <= 0) or (direction == "down" and slope >= 0):
            continue
        sse = syy_c - cov * cov / vx
        if best_sse is None or sse < best_sse:
            best, best_sse = k, sse
    if best is None:
        return None
    return best, best_sse


def _before_reset(series: list[float], sign: int) -> list[float]:
    """A sawtooth (memory climbing until an OOM kill, then climbing again) fools a single
    change point; its first climb, up to the first reset, does not."""
    peak_at = series.index(max(series) if sign > 0 else min(series))
    peak, low = series[peak_at] * sign, (min(series) if sign > 0 else -max(series))
    after = [v * sign for v in series[peak_at:]]
    if peak_at >= 2 * _min_segment(len(series)) and after and min(after) < peak - 0.5 * (peak - low):
        return series[: peak_at + 1]
    return series


def _change_point(series: list[float], direction: str) -> int | None:
    """Where the series changed: the better of a step fit and a ramp fit."""
    step = _best_split(series, direction)
    ramp = _best_hinge(series, direction)
    if step is None:
        return ramp[0] if ramp else None
    if ramp is None or step[1] <= ramp[1]:
        return step[0]
    return ramp[0]


def _onset(values: list[float], split: int, center: float, scale: float, sign: int) -> int:
    """Where the series left the baseline band for good.

    The earliest out-of-band sample from which most (85%) of the remaining samples are out
    of band, with no sustained return to normal in between: an unrelated blip earlier on
    does not qualify. If nothing qualifies (the anomaly ended before
    the window did), walk back from the change point through the out-of-band run instead.
    """
    limit = center + sign * Z_THRESHOLD * scale
    out = [(v - limit) * sign > 0 for v in values]
    n = len(values)
    ahead = 8  # the next couple of minutes must mostly be out of band too
    remaining_out = 0
    persistent_from = None
    inside_run = 0
    for i in range(n - 1, -1, -1):
        remaining_out += out[i]
        inside_run = 0 if out[i] else inside_run + 1
        if inside_run > ahead:
            break  # a sustained return to normal: anything earlier is a separate episode
        if out[i] and remaining_out >= 0.85 * (n - i) and sum(out[i:i + ahead]) >= 0.75 * min(ahead, n - i):
            persistent_from = i
    if persistent_from is not None and n - persistent_from >= 2:
        return persistent_from
    tolerance = max(2, n // 80)
    first = split
    inside = 0
    for i in range(min(split, n - 1), -1, -1):
        if out[i]:
            first = i
            inside = 0
        else:
            inside += 1
            if inside > tolerance:
                break
    return first


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _noise_scale(values: list[float], kind: MetricKind) -> tuple[float, float]:
    """Median and MAD-based scale with only a tiny floor: used to place the onset, where the
    band should be as tight as the noise allows."""
    s = sorted(values)
    center = _median(s)
    mad = _median(sorted(abs(v - center) for v in s))
    return center, max(1.4826 * mad, kind.abs_floor / 40.0, abs(center) * 0.002, 1e-9)


def detect(metric: str, values: list[float], start: float, step: float,
           threshold: float | None = None) -> Anomaly | None:
    """The most significant anomaly in a series, or None if it behaves normally.

    `threshold` is an absolute service-level bound for the metric (from alert rules); it lets
    an anomaly that was already under way when the window began still be reported.
    """
    kind = kind_of(metric)
    if metric == "restarts_total":
        return _restarts(values, start, step)
    n_raw = len(values)
    last_real = next((i for i in range(n_raw - 1, -1, -1) if values[i] == values[i]), None)
    if last_real is None:
        return None
    gap = n_raw - 1 - last_real
    if gap * step >= 90 and last_real >= _min_segment(n_raw):
        before = [v for v in values[: last_real + 1] if v == v]
        center = _median(sorted(before))
        return Anomaly(metric, "missing", start + (last_real + 1) * step, center, math.nan, center, None,
                       math.inf, True, 1.0, "missing")
    series, step_ds = _downsample(_fill_gaps(values[: last_real + 1]), start, step)
    if len(series) < 2 * _min_segment(len(series)):
        return None
    # Fast screen: a series whose whole range is inside the noise floor cannot hold an anomaly.
    sli = threshold if threshold is not None else SLI_BREACH.get(metric)
    can_breach = sli is not None and kind.bad_direction != "down"
    lo, hi = min(series), max(series)
    if lo >= 0 and hi - lo < max(kind.abs_floor, lo * kind.rel_floor) and not (can_breach and hi > sli):
        return None  # most series: the full range already says so, no sort needed
    ordered = sorted(series)
    lo, hi = ordered[len(ordered) // 50], ordered[-1 - len(ordered) // 50]
    # Trimming drops lone spikes, but not where the series is now: a young episode counts.
    now = _median(sorted(series[-3:]))
    lo, hi = min(lo, now), max(hi, now)
    # Relative to the quieter end of the range: the median may itself sit in the anomaly.
    spread_floor = max(kind.abs_floor, min(abs(lo), abs(hi)) * kind.rel_floor)
    breaching = can_breach and hi > sli
    if hi - lo < spread_floor and not breaching:
        return None

    candidates = []
    for direction in (("up", "down") if kind.bad_direction == "both" else (kind.bad_direction,)):
        # Where both directions are bad, a recovery in one is a shift in the other.
        recovery = _recovery(metric, kind, series, start, step_ds, direction) if kind.bad_direction != "both" else None
        for found in (_shift(metric, kind, series, start, step_ds, direction), recovery,
                      _last_sample_jump(metric, kind, series, start, step_ds, direction)):
            if found:
                candidates.append(found)
    if not candidates and breaching:
        breach = _sli_breach(metric, series, start, step_ds, sli)
        if breach:
            candidates.append(breach)
    found = max(candidates, key=lambda a: a.score, default=None)
    if found is not None and breaching:
        found = dataclasses.replace(found, breach_seconds=sum(v > sli for v in series) * step_ds)
    return found


def _shift(metric, kind, series, start, step, direction) -> Anomaly | None:
    sign = 1 if direction == "up" else -1
    first_climb = _before_reset(series, sign)
    split = _change_point(first_climb, direction)
    if split is None:
        return None
    noise_center, noise = _noise_scale(series[:split], kind)
    onset = _onset(series, split, noise_center, noise, sign)
    if onset >= len(first_climb):
        # In the latest climb of a sawtooth: it began where its first climb left the band.
        onset = _onset(first_climb, split, noise_center, noise, sign)
    before = series[:onset] if onset >= _min_segment(len(series)) else series[:split]
    center, scale = robust_center_scale(before, kind)
    if onset >= len(series):
        return None
    back = _back_in_band(series, onset, center, center + sign * Z_THRESHOLD * scale, sign)
    after = series[onset:back]
    # The latest few samples. An episode that has lasted a while is judged by the last quarter of
    # it (a ramp by where it has got to); a younger one still has to outlast samples from before it.
    n, latest = len(series), max(3, len(series) // 20)
    if (n - onset) * step >= SETTLED_EPISODE_SECONDS:
        latest = max(3, min(latest, (n - onset) // 4))
    tail = series[-latest:]
    if n < SHORT_SERIES:
        tail = series[max(onset, n - 3):]
    current = _median(sorted(tail))
    level = _median(sorted(after))
    if back is None and (current - level) * sign > 0:
        level = current  # a ramp: where it has got to, not its average on the way
    return _episode(metric, kind, before, after, level, current, tail, start, step, onset, back, direction)


def _recovery(metric, kind, series, start, step, direction) -> Anomaly | None:
    """An episode under way when the window began, or begun in its first few samples (too few
    to measure it against), and over since: high (for a metric whose bad direction is up) at
    the start, back to a steady level for the rest of the window."""
    sign = 1 if direction == "up" else -1
    n = len(series)
    found = _best_split(series, "down" if sign > 0 else "up")
    if found is None or found[0] < MIN_SHORT_SEGMENT or n - found[0] < max(_min_segment(n), n // 4):
        return None
    settled = series[found[0]:]
    center, scale = robust_center_scale(settled, kind)
    limit = center + sign * Z_THRESHOLD * scale
    first = next((i for i in range(found[0]) if (series[i] - limit) * sign > 0), found[0])
    if first >= _min_segment(n):
        return None  # normal long enough at the start: a bump later on is a shift
    back = next(i for i in range(found[0], 0, -1) if (series[i - 1] - limit) * sign > 0)
    if back - first < MIN_SHORT_SEGMENT:
        return None
    episode = series[first:back]
    tail = series[-max(3, n // 20):]
    return _episode(metric, kind, settled, episode, _median(sorted(episode)), _median(sorted(tail)), tail,
                    start, step, first, back, direction)


def _back_in_band(series: list[float], onset: int, center: float, limit: float, sign: int) -> int | None:
    """Where an episode that is over came back into the band: the start of the first run of
    in-band samples long enough to be a return rather than a dip, if the series is still in
    the band at the end (a later departure is another episode). A fall all the way back to the
    baseline (a disk freed, a process restarted) is a return from its first samples."""
    n = len(series)
    run = max(MIN_SHORT_SEGMENT, min(8, n // 10))
    inside = [(v - limit) * sign <= 0 for v in series]
    if n - onset <= RESET_SAMPLES:
        return None
    # A ramp leaves the band some time after its onset: a return counts only after it was out.
    first_out = next((i for i in range(onset, n) if not inside[i]), n)
    if n - onset <= run or not all(inside[n - run:]):
        reset = all((v - center) * sign <= 0.5 * (limit - center) * sign for v in series[n - RESET_SAMPLES:])
        if not reset or first_out >= n - RESET_SAMPLES:
            return None
        back = n - RESET_SAMPLES
        while back > first_out + 1 and inside[back - 1]:
            back -= 1
        return back
    streak = 0
    for i in range(first_out + 1, n):
        streak = streak + 1 if inside[i] else 0
        if streak >= run:
            return i - run + 1
    return None


def _episode(metric, kind, before, after, level, current, tail, start, step, onset, back, direction):
    """Judge a departure from `before` to `level` (over the samples `after`) and describe it."""
    sign = 1 if direction == "up" else -1
    center, scale = robust_center_scale(before, kind)
    peak = max(after) if sign > 0 else min(after)
    change = (level - center) * sign
    change_peak = (peak - center) * sign
    if change_peak <= 0:
        return None
    z = change / scale if change > 0 else change_peak / scale * 0.5
    # A level well clear of everything before it is a change however noisy that stretch was:
    # a short window holds too few samples to estimate its noise.
    edge = _quantile(before, 0.95 if sign > 0 else 0.05)
    margin = max(kind.abs_floor, abs(center) * kind.rel_floor, 1e-9)
    clearance = (level - edge) * sign / margin
    if clearance >= 1.0:
        z = max(z, Z_THRESHOLD + clearance - 1.0)
    elif kind.family == "traffic" and clearance <= 0.0:
        return None  # back to a level seen before (after a dip in load), not a surge
    rel = change_peak / abs(center) if center else math.inf
    if z < Z_THRESHOLD or change_peak < kind.abs_floor or rel < kind.rel_floor:
        return None
    if kind.min_level is not None and sign > 0 and peak < kind.min_level:
        return None
    # Out of band means beyond the noise, or, for a level clear of the whole baseline, beyond it.
    limit = center + sign * (min(Z_THRESHOLD * scale, abs(edge - center) + margin) if clearance >= 1.0
                             else Z_THRESHOLD * scale)
    # A resource that fills (a leak, growing data) keeps what it takes: one that has lately given
    # most of its rise back, and not climbed since, is not filling now.
    gave_back = metric in FILLING and max(tail) - tail[-1] > 0.5 * change_peak
    persistent = back is None and not gave_back and sum((v - limit) * sign > 0 for v in tail) >= 0.6 * len(tail)
    return Anomaly(
        metric=metric, direction=direction, onset=start + onset * step, baseline=center, current=current,
        peak=peak, change_pct=None if not center else round(100.0 * (level - center) / abs(center), 1),
        zscore=round(min(z, 1e6), 2), persistent=persistent, score=_score(z, persistent, kind),
        kind="shift", ended=None if back is None else start + back * step,
    )


def _last_sample_jump(metric, kind, series, start, step, direction) -> Anomaly | None:
    """A failure that began at the last sample: too new for a change-point fit, but a level
    far outside everything the window showed before is one, and it is going on now."""
    sign = 1 if direction == "up" else -1
    before, last = series[:-1], series[-1]
    if len(before) < MIN_SHORT_SEGMENT:
        return None
    center, _ = robust_center_scale(before, kind)
    edge = max(before) if sign > 0 else min(before)
    # Measured against the window's own spread too: a noisy series leaps now and then.
    margin = max(kind.abs_floor, abs(center) * kind.rel_floor, max(before) - min(before), 1e-9)
    clearance = (last - edge) * sign / margin
    if clearance < LAST_SAMPLE_CLEARANCE or (kind.min_level is not None and sign > 0 and last < kind.min_level):
        return None
    z = Z_THRESHOLD + clearance - 1.0
    return Anomaly(metric=metric, direction=direction, onset=start + (len(series) - 1) * step, baseline=center,
                   current=last, peak=last, change_pct=None if not center else round(100.0 * (last - center) / abs(center), 1),
                   zscore=round(z, 2), persistent=True, score=_score(z, True, kind), kind="shift")


def _sli_breach(metric, series, start, step, threshold) -> Anomaly | None:
    first = next((i for i, v in enumerate(series) if v > threshold), None)
    if first is None:
        return None
    # Where it is now: the latest samples, never reaching back before the breach began.
    tail = series[max(first, len(series) - max(3, len(series) // 20)):]
    persistent = sum(v > threshold for v in tail) >= 0.6 * len(tail)
    breach_share = sum(v > threshold for v in series[first:]) / len(series[first:])
    if breach_share < 0.8:
        return None  # hovering around the line is a noisy service, not a failure
    kind = kind_of(metric)
    level = _median(sorted(series[first:]))
    return Anomaly(metric, "up", start + first * step, threshold, _median(sorted(tail)), max(series[first:]),
                   None, round(Z_THRESHOLD * level / threshold, 2), persistent,
                   _score(Z_THRESHOLD * 2, persistent, kind), "sli_breach")


def _restarts(values: list[float], start: float, step: float) -> Anomaly | None:
    """Restarts from a cumulative counter. One restart (a single OOM kill, one container exit) is
    an event, not a failure that goes on; restarts that keep coming are: at least a few in a row,
    none a quarter of an hour or more after the one before, the latest no longer ago than the
    pace they have kept (or a quarter of an hour), so the next one is due."""
    real = [(i, v) for i, v in enumerate(values) if v == v]
    if len(real) < 2:
        return None
    steps = [i for (_, a), (i, b) in zip(real, real[1:], strict=False) if b > a]
    if not steps:
        return None
    count = real[-1][1] - real[0][1]
    # The latest run: a restart long after the one before starts it afresh (an earlier one was another event).
    first = len(steps) - 1
    while first > 0 and (steps[first] - steps[first - 1]) * step < RESTARTS_RECENT_SECONDS:
        first -= 1
    run = steps[first:]
    gaps = sorted(b - a for a, b in zip(run, run[1:], strict=False))
    pace = gaps[len(gaps) // 2] * step if gaps else math.inf
    since_last = (len(values) - 1 - steps[-1]) * step
    ongoing = len(run) >= RESTARTS_ONGOING and since_last <= max(RESTARTS_RECENT_SECONDS, 2.0 * pace)
    if len(steps) == 1:
        score = ONE_RESTART
    else:
        score = min(1.0, 0.45 + 0.1 * count) if ongoing else min(0.6, 0.3 + 0.05 * count)
    return Anomaly("restarts_total", "up", start + (run if ongoing else steps)[0] * step, real[0][1], real[-1][1],
                   real[-1][1], None, round(count * Z_THRESHOLD, 2), ongoing, score, "restarts",
                   ended=None if ongoing else start + steps[-1] * step)


def _score(z: float, persistent: bool, kind: MetricKind) -> float:
    strength = min(1.0, math.log1p(max(z - Z_THRESHOLD, 0.0) + 1.0) / math.log1p(60.0))
    return round((0.4 + 0.6 * strength) * (1.0 if persistent else OVER) * kind.weight, 4)
