"""Rank root-cause candidates from every signal at once.

The reasoning an SRE does, written down:

* A service is *suspicious* when it fails: errors, latency, saturation, network trouble,
  restarts, missing telemetry (a silent service is a signal, not an absence of one).
* Failure travels up the dependency graph. A failing service whose own dependency started
  failing first (or at the same moment) is probably a victim; one whose dependencies are
  healthy is probably the cause. Evidence that is specific to the service itself (its own
  resources, its own exceptions, a change just before its onset) resists that explanation.
* Load travels down. A service whose request rate jumped while its callers' did not is where
  extra traffic entered; overload downstream of it is its doing.
* Traces say where failing requests failed (the deepest failing span), logs say whether a
  service complains about itself or about someone else, the change history says what changed
  just before the onset.

Ties are broken by earlier onset, then deeper position in the graph, then name, so the
ranking is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from knowledge import BREAKING_CHANGES, CHANGE_LOOKBACK, CHANGE_SOON, INCIDENT_THRESHOLD
from telemetry.records import Alert, Deployment, ServiceInfo
from telemetry.timefmt import iso

from .anomalies import OVER, Anomaly
from .metric_kinds import FILLING, SLI_BREACH, kind_of
from .traces import OriginVerdict

# Failed calls a caller must log before they say anything about the peer: a transient DNS
# timeout or a credential rotation leaves a handful.
MIN_FAILED_CALLS = 6
ONSET_TOLERANCE = 45.0  # seconds: a dependency failing this soon after still explains a caller
AT_ONCE = 2 * ONSET_TOLERANCE  # seconds: two changes this close (an episode's end, a restart) came together
EQUAL_SCORES = 0.05  # scores this close (relative) are equally strong evidence
LOG_SAMPLING_LAG = 300.0  # seconds: how much earlier than its first log line a failure may have begun
OWN_LOG_CATEGORIES = frozenset({"memory", "crash", "disk", "connection_pool", "config", "auth", "dns",
                                "code_exception", "overload", "connection_reset"})
# Failure families; request_rate is load, not failure.
FAILURE_FAMILIES = ("errors", "latency", "saturation", "network", "restarts", "availability", "flow", "code")
# Families that can be pure side effects of a failing dependency.
PROPAGATING_FAMILIES = frozenset({"errors", "latency"})
AT_LIMIT = 0.9  # the strength of evidence of a resource at its limit (metric_kinds.SLI_BREACH)
AT_LIMIT_SECONDS = 60.0  # how long beyond its bound a series must have been to have reached it
EXHAUSTION_HORIZON = 0.75  # hours: a resource that runs out sooner is failing now
EXTRAPOLATION = 3.0  # how many times its own age a filling pace is trusted ahead
# A failure nobody noticed (no alert, no hurt caller, no failing request, no errors of its own,
# no resource at its limit) keeps this share of its score: metrics move for many reasons.
UNNOTICED = 0.55
SUSTAINED_ALERT = 5 * 60.0  # a resolved critical alert that lasted this long was an incident
NEAR_MISS_SECONDS = 600.0  # an episode that stopped this close to exhausting a resource reached it
SETTLING_SECONDS = 300.0  # a rise in traffic younger than this may still turn out a blip
LOAD_AFTER_FAILURE = 300.0  # traffic back this long after callers could not reach a service: no surge
# A second root cause: at least this score, this share of the top one's, and this far apart in time.
SECOND_CAUSE, SECOND_CAUSE_SHARE, SECOND_CAUSE_APART = 0.3, 0.7, 120.0
REMEDY_LAG = 120.0  # seconds from a remedy to the episode's return to normal
ROLLOUT_SECONDS = 600.0  # a rolling update takes pods out of service for a few minutes by design
# An episode that is over counts by how long it lasted: a blip of a couple of minutes weighs a
# third, one of ten minutes or more is a failure that happened, even if it has recovered.
BLIP_MINUTES, EPISODE_MINUTES, BLIP_WEIGHT = 4.0, 10.0, 0.35
# connection_pool_active follows in-flight requests, so it rises when a dependency is slow.
SECONDARY_METRICS = frozenset({"connection_pool_active", "latency_p99_ms"})
MOSTLY_GONE = 0.5  # the share of a service's instances unreachable or not ready that is most of it


@dataclass(slots=True)
class LogEvidence:
    error_onset: float | None = None  # when error logging rose above its baseline
    own_categories: dict[str, int] = field(default_factory=dict)  # complaints about itself
    dependency_lines: int = 0  # complaints about other services
    mentions: dict[str, int] = field(default_factory=dict)  # other services named in errors
    new_patterns: list[tuple[str, str, float, int]] = field(default_factory=list)  # template, cat, first, n
    warning_categories: dict[str, int] = field(default_factory=dict)  # own WARN-level complaints
    # peer -> (category, lines, first seen) for calls that never reached the peer
    peer_failures: dict[str, tuple[str, int, float]] = field(default_factory=dict)


@dataclass(slots=True)
class Candidate:
    service: str
    score: float
    onset: float | None
    signals: list[str]
    evidence: list[str]
    explained_by: str | None = None
    depth: int = 0
    ended: float | None = None  # when its failure was over, if it has recovered


@dataclass(frozen=True, slots=True)
class _Load:
    """More traffic than usual: since when (None: already when the window began), until when
    (None: still), how much more, and how it is known."""
    since: float | None
    until: float | None
    rise_pct: float
    evidence: str
    # Seen to rise and fall back with a failure: that failure is what the load did (no more).
    came_and_went: bool = False


@dataclass(slots=True)
class _State:
    info: ServiceInfo
    anomalies: list[Anomaly]
    failure: float = 0.0
    own_failure: float = 0.0  # the part of `failure` no dependency can cause (resources, network...)
    onset: float | None = None
    typical_onset: float | None = None  # median onset of its failure anomalies
    ongoing: bool = False  # some failure anomaly is still under way at the end of the window
    ended: float | None = None  # when its failure was over, if it is
    families: set[str] = field(default_factory=set)
    at_limit: bool = False  # a resource reached its limit, or runs out within the hour
    about_others: float = 0.0  # 0..1, the share of its error logs that are about other services
    own_specific: float = 0.0  # 0..1, evidence that only this service can explain
    load: _Load | None = None
    load_driven: bool = False
    signals: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def rank_candidates(
    services: Sequence[ServiceInfo],
    anomalies: dict[str, list[Anomaly]],
    logs: dict[str, LogEvidence],
    origins: Sequence[OriginVerdict],
    changes: Sequence[Deployment],
    alerts: Sequence[Alert],
    end: float,
    limit: int = 5,
) -> list[Candidate]:
    """`end`: the end of the window the evidence comes from."""
    names = [s.name for s in services]
    callers: dict[str, list[str]] = {n: [] for n in names}
    for s in services:
        for d in s.depends_on:
            if d in callers:
                callers[d].append(s.name)
    depth = _depths(services, callers)
    states = {s.name: _State(s, anomalies.get(s.name, [])) for s in services}
    alerts_by: dict[str, list[Alert]] = {}
    for a in alerts:
        alerts_by.setdefault(a.service, []).append(a)
    for name, st in states.items():
        _failure_strength(st, end, [c for c in changes if c.service == name])
        _alerted_before(st, alerts_by.get(name, []))
        st.load = _merged(st.load, _load_alerted(alerts_by.get(name, [])))
    _ignore_global_silence(states)
    total_failing_traces = sum(v.traces for v in origins) or 1
    origin_by = {v.service: v for v in origins}

    # Own evidence: logs, traces, changes.
    for name, st in states.items():
        ev = logs.get(name, LogEvidence())
        _log_evidence(st, ev)
        verdict = origin_by.get(name)
        if verdict and verdict.traces:
            share = _origin_weight(verdict, total_failing_traces)
            if share >= 0.25 and st.failure < 0.3 and verdict.via_unanswered_calls >= 5:
                # Failing requests fail here even though its own metrics look normal (for
                # instance, nobody can resolve or reach it any more).
                st.failure = max(st.failure, 0.3 + 0.4 * share)
                st.onset = verdict.first_seen if st.onset is None else min(st.onset, verdict.first_seen)
                st.families.add("errors")
            if verdict.unanswered and verdict.via_unanswered_calls >= max(5.0, verdict.traces / 2):
                side, category = verdict.unanswered  # mostly calls that reached nobody: which way
                st.signals.append(_UNREACHED_SIGNAL.get(category, "unreachable_by_callers") if side == "peer"
                                  else _CALLER_SIGNAL.get(category, "cannot_reach_dependencies"))
            if share >= 0.1:
                st.signals.append("trace_error_origin")
                st.evidence.append(f"origin of {verdict.traces}/{total_failing_traces} failing traces"
                                   + (f" ({verdict.via_unanswered_calls} were calls nobody answered)"
                                      if verdict.via_unanswered_calls else "")
                                   + f": {verdict.example_message[:120]}")
                st.own_specific = max(st.own_specific, min(1.0, share * 1.2))
        _rollout_under_way(st, changes, end)
        _change_evidence(st, changes)
    _reachability_from_logs(states, logs)
    _load_origins(states, callers)

    scores: dict[str, float] = {}
    explained: dict[str, str | None] = {}
    for name, st in states.items():
        if st.failure <= 0 and not st.load:
            continue
        score = st.failure
        verdict = origin_by.get(name)
        if verdict:
            score += 0.6 * _origin_weight(verdict, total_failing_traces)
        # Explain away: a dependency that failed first (or together) accounts for this one; a
        # caller that broke first accounts for a code path here that is no longer reached.
        culprit, strength, after_surge = _explaining_dependency(st, states)
        caller = _explaining_caller(st, states, callers[name]) if st.families == {"flow"} else None
        if caller is not None:
            score *= 0.3
            st.evidence.append(f"its caller {caller} broke first ({_fmt_onset(states[caller].onset)}) and may "
                               "no longer call this path")
            culprit = caller
        elif culprit is not None:
            # Only what a failing dependency can cause is explained by it: errors and latency,
            # unless this service's own evidence (its own exceptions, a change) resists.
            # Its own logs saying the trouble is elsewhere weaken what resists (a change, say).
            resistance = (st.own_specific * (0.8 if st.families <= PROPAGATING_FAMILIES else 1.0)
                          * (1.0 - st.about_others))
            kept = 1.0 - 0.8 * strength * (1.0 - resistance)
            score = _combined((st.own_failure, (st.failure - st.own_failure) * kept)) + (score - st.failure)
            st.evidence.append(f"dependency {culprit} was already failing "
                               f"({_fmt_onset(states[culprit].onset)}), which may explain this service")
        elif st.failure > 0 and after_surge:
            st.evidence.append(f"its traffic rose before {', '.join(after_surge)} began to fail")
        elif st.failure > 0:
            st.signals.append("dependencies_healthy")
            st.evidence.append("its own dependencies look healthy" if st.info.depends_on else
                               "it has no dependencies of its own")
        explained[name] = culprit
        # Support from the services it would have hurt.
        hurt = [c for c in callers[name] if states[c].failure > 0.3 and _after(states[c].onset, st.onset)]
        if hurt:
            score += 0.15 * len(hurt) / len(callers[name])
            st.evidence.append(f"callers degraded after it: {', '.join(sorted(hurt))}")
        mentioned_by = [c for c in callers[name] if logs.get(c) and logs[c].mentions.get(name, 0) >= 3]
        if mentioned_by and st.failure > 0:
            score += 0.08 * len(mentioned_by) / len(callers[name])
            st.evidence.append(f"named in error logs of {', '.join(sorted(mentioned_by))}")
        if st.load_driven:
            score *= 0.35
        if "traffic_surge_origin" in st.signals:
            # Traffic that did not double is no surge by itself: what it overloaded speaks for itself;
            # so does a rise seen to come and go. What a young rise drives is as unsettled as the rise.
            surge = 0.0 if st.load.came_and_went else \
                (0.55 + 0.4 * _load_share(name, states, callers)) * min(1.0, st.load.rise_pct / 100.0)
            age = math.inf if st.load.since is None else end - st.load.since
            score = max(score, surge) * _settled(age)
        score += 0.25 * st.own_specific
        # Nothing here calls an entry point: its users do, and they feel its errors and latency.
        users_hurt = not callers[name] and st.ongoing and bool(st.families & PROPAGATING_FAMILIES)
        noticed = _noticed(st, alerts_by.get(name, []), bool(hurt) or users_hurt, verdict, total_failing_traces,
                           end, alerting=bool(alerts))
        score *= UNNOTICED + (1.0 - UNNOTICED) * noticed
        if st.ongoing and st.onset is not None:
            # What only its own metrics show, for a few minutes so far, may still be a blip.
            score *= 1.0 - (1.0 - _settled(end - st.onset)) * (1.0 - noticed)
        scores[name] = score

    ranked = sorted(
        scores,
        key=lambda n: (-round(scores[n], 6), states[n].onset if states[n].onset is not None else float("inf"),
                       -depth.get(n, 0), n),
    )
    ranked = _earlier_first_among_equals(ranked, scores, states)
    out = []
    for name in ranked[:limit]:
        st = states[name]
        firing = [a for a in alerts_by.get(name, []) if a.firing]
        if firing:
            st.evidence.append("firing alerts: " + ", ".join(sorted({a.name for a in firing})))
        out.append(Candidate(service=name, score=round(min(scores[name], 2.0) / 2.0, 4), onset=st.onset,
                             signals=sorted(set(st.signals)), evidence=st.evidence[:10],
                             explained_by=explained.get(name), depth=depth.get(name, 0), ended=st.ended))
    for c in out[1:]:
        if _independent(c, out[0], states):
            c.signals = sorted({*c.signals, "independent_failure"})
    return out


def _earlier_first_among_equals(ranked: list[str], scores: dict[str, float], states: dict) -> list[str]:
    """Where the runner-up's evidence is as strong as the leader's (within EQUAL_SCORES) and of
    every kind the leader's is, the failure that began first leads: the later one is more likely
    where it spread. Failures of other kinds are not ordered by their onsets."""
    if len(ranked) < 2:
        return ranked
    first, second = ranked[0], ranked[1]
    a, b = states[first].onset, states[second].onset
    covered = states[first].families <= states[second].families
    if covered and scores[second] >= scores[first] * (1.0 - EQUAL_SCORES) and a is not None and b is not None \
            and b < a - 1e-6:
        states[second].evidence.insert(1, f"began before {first}, whose evidence is as strong and of kinds "
                                          "seen here too")
        return [second, first, *ranked[2:]]
    return ranked


def _independent(c: Candidate, top: Candidate, states: dict[str, _State]) -> bool:
    """A second failure of its own: strong beside the top candidate, explained by nothing, apart
    from it in the call graph (neither calls the other, however indirectly) and in time."""
    return (top.score >= INCIDENT_THRESHOLD and c.score >= max(SECOND_CAUSE, SECOND_CAUSE_SHARE * top.score)
            and c.explained_by is None and c.service not in _descendants(top.service, states)
            and top.service not in _descendants(c.service, states)
            and c.onset is not None and top.onset is not None and abs(c.onset - top.onset) >= SECOND_CAUSE_APART)


def _noticed(st: _State, alerts: Sequence[Alert], hurt: bool, verdict: OriginVerdict | None, total_traces: int,
             end: float, alerting: bool) -> float:
    """0..1: how far the failure shows beyond the service's own metrics, in what users and the
    team would see: its alerts, callers it hurt, requests failing there, its own errors, a
    resource at its limit, silence, doubled traffic. Without any alert in the window (no alerting, perhaps), the
    alerts say nothing either way."""
    seen = [0.0 if alerting else 0.8]
    for a in alerts:
        critical = a.severity == "critical"
        if a.ends_at is None:
            seen.append(1.0 if critical else 0.5)
        elif critical and a.ends_at - a.starts_at >= SUSTAINED_ALERT:
            seen.append(0.8)
    if hurt:
        seen.append(0.7)
    if verdict and verdict.traces:
        seen.append(min(1.0, 3.0 * _origin_weight(verdict, total_traces)))
    if "errors" in st.families:
        seen.append(0.7)
    doubled = "traffic_surge_origin" in st.signals and st.load.rise_pct >= 100.0
    if st.at_limit or doubled or _mostly_gone(st):
        seen.append(0.9)  # a resource at its limit, twice the usual traffic, gone silent: seen by all
    return max(seen)


def _alerted_before(st: _State, alerts: Sequence[Alert]) -> None:
    """A failure that was under way when the window began (a metric past its alert line from the
    first sample, no change to see) began no later than that line's alert, if it has fired since."""
    if not st.ongoing or st.onset is None:
        return
    moved = {a.metric for a in st.anomalies if a.persistent and a.kind == "sli_breach"}
    earlier = [a.starts_at for a in alerts if a.firing and a.metric in moved and a.starts_at < st.onset]
    if earlier:
        st.onset = min(earlier)


def _began_with(onset: float, change: Deployment) -> bool:
    """Whether a dip in available instances began with a change to the service (a rolling
    restart, a rollout, a rollback): the change replacing pods, by design."""
    return -60.0 <= onset - change.time <= 120.0


def _cut_by_one_crash(a: Anomaly, st: _State, end: float) -> Anomaly:
    """A filling resource still climbing at the end, but the service restarted once in the last
    samples (an OOM kill, say): the climb is over, though the drop is not in the data yet."""
    if not a.persistent or a.metric not in FILLING:
        return a
    crash = _one_restart(st)
    if crash is None or crash.onset <= a.onset or end - crash.onset > AT_ONCE \
            or a.current >= SLI_BREACH.get(a.metric, math.inf):
        return a
    return replace(a, persistent=False, ended=crash.onset, score=round(a.score * OVER, 4))


def _one_crash_ended(a: Anomaly, st: _State) -> bool:
    """Whether the episode ended with the service's one restart (not restarts that keep coming)."""
    crash = _one_restart(st)
    return crash is not None and abs(crash.onset - a.ended) <= AT_ONCE


def _one_restart(st: _State) -> Anomaly | None:
    """The service's restarts in the window, if there was only one."""
    return next((r for r in st.anomalies if r.metric == "restarts_total" and not r.persistent
                 and r.current - r.baseline <= 1), None)


def _remedied(a: Anomaly, own_changes: Sequence[Deployment]) -> bool:
    """Whether a change to the service (a rollback, a restart, more replicas, a setting) was made
    while the episode went on, shortly before it ended: what ended it. (Not for ready replicas:
    such changes move them by themselves.)"""
    return a.ended is not None and any(max(a.onset + ONSET_TOLERANCE, a.ended - 2 * REMEDY_LAG) <= c.time
                                       <= a.ended + REMEDY_LAG for c in own_changes)


def _mostly_gone(st: _State) -> bool:
    """Silent, or most of its instances unreachable or not ready (one pod of six is routine)."""
    return any(a.direction == "missing" or (kind_of(a.metric).family == "availability" and a.direction == "down"
                                            and a.persistent and a.current <= (1.0 - MOSTLY_GONE) * a.baseline)
               for a in st.anomalies)


def _origin_weight(verdict: OriginVerdict, total: int) -> float:
    """Share of failing traces that fail here, discounted when there are only a handful
    (background errors produce a few failing traces in every healthy system)."""
    return verdict.traces / total * min(1.0, verdict.traces / 20.0)


# --------------------------------------------------------------------------- per-service evidence
def _failure_strength(st: _State, end: float, own_changes: Sequence[Deployment]) -> None:
    ongoing: dict[str, float] = {}
    over: dict[str, float] = {}  # episodes that are over: one event, whatever it moved
    onsets = []
    flagged: list[tuple[Anomaly, float]] = []
    for a in sorted(st.anomalies, key=lambda a: (-a.score, a.onset, a.metric)):
        kind = kind_of(a.metric)
        if a.direction == "missing":
            continue
        if kind.family == "traffic":
            if a.direction == "up" and a.ended is None and (a.change_pct or 0.0) >= 40.0:
                st.load = _merged(st.load, _Load(a.onset, None, a.change_pct, f"request rate rose from "
                                                  f"{_num(a.baseline)} to {_num(a.current)} req/s at {iso(a.onset)}"))
            continue
        if a.direction != kind.bad_direction and kind.bad_direction != "both":
            continue
        if kind.family not in FAILURE_FAMILIES:
            continue
        if kind.family == "availability" and not a.persistent and any(_began_with(a.onset, c) for c in own_changes):
            continue
        a = _cut_by_one_crash(a, st, end)
        weight = a.score * (0.5 if a.metric in SECONDARY_METRICS else 1.0)
        if kind.family == "availability" and a.baseline > 0:
            # A few instances of many gone is capacity lost, the rest serving: it weighs by the
            # share gone, fully from half of them.
            gone = (a.baseline - (a.current if a.persistent else a.peak)) / a.baseline
            weight *= min(1.0, max(0.0, gone) / MOSTLY_GONE)
        reached = a.breach_seconds >= AT_LIMIT_SECONDS
        if not a.persistent:
            lasted = _lasted(a, end)
            # Nearly out when it was stopped weighs as much, though nobody saw it: not `at_limit`.
            # (Stopped by one crash, an OOM kill say, it is that one event.)
            near = reached or (a.metric in FILLING and _near_miss(a) and not _one_crash_ended(a, st))
            if kind.family != "availability" and _remedied(a, own_changes):
                weight /= OVER  # it did not pass by itself: somebody had to stop it
            weight = max(weight * lasted, AT_LIMIT * lasted if near else 0.0)
        elif reached or a.current >= SLI_BREACH.get(a.metric, math.inf):
            weight = max(weight, AT_LIMIT)  # a resource at its limit is a failure by itself
            reached = True
        elif a.metric in FILLING:
            urgency = _urgency(a, end)
            weight *= urgency
            reached = urgency >= 1.0
        st.at_limit = st.at_limit or reached
        found = ongoing if a.persistent else over
        found[kind.family] = max(found.get(kind.family, 0.0), weight)
        if a.score >= 0.3 and a.persistent and a.metric not in SECONDARY_METRICS:
            onsets.append(a.onset)
        flagged.append((a, weight))
    missing = [a for a in st.anomalies if a.direction == "missing"]
    if missing:
        since = min(a.onset for a in missing)
        ongoing["availability"] = 1.0
        onsets.append(since)
        st.signals.append("telemetry_missing")
        st.evidence.append(f"stopped reporting metrics at {iso(since)} (silent)")
    if not ongoing and not over:
        return
    best = {f: max(ongoing.get(f, 0.0), over.get(f, 0.0)) for f in {*ongoing, *over}}
    st.failure = _combined([*ongoing.values(), max(over.values(), default=0.0)])
    st.own_failure = _combined([*(v for f, v in ongoing.items() if f not in PROPAGATING_FAMILIES),
                                max((v for f, v in over.items() if f not in PROPAGATING_FAMILIES), default=0.0)])
    st.families = {f for f, v in best.items() if v >= 0.25}
    st.onset = min(onsets) if onsets else min(a.onset for a in st.anomalies)
    st.typical_onset = sorted(onsets)[len(onsets) // 2] if onsets else st.onset
    st.ongoing = bool(onsets)
    # What the failure is, and when it began, comes from what moved with it: not from an episode
    # over before it began; once it is over, from the episodes that overlapped its biggest one.
    if st.ongoing:
        moved_with = [a for a, _ in flagged if a.ended is None or a.ended >= st.onset - ONSET_TOLERANCE]
    else:
        moved_with = _overlapping(max(flagged, key=lambda f: f[1])[0], [a for a, _ in flagged], end)
        primary = [a for a in moved_with if a.metric not in SECONDARY_METRICS] or moved_with
        st.onset = min(a.onset for a in primary)
        st.typical_onset = sorted(a.onset for a in primary)[len(primary) // 2]
    for a in moved_with:
        # While the failure goes on, what it is comes from what it is still doing (or did and
        # stopped): a metric that jumped with the onset and fell back at once is no sign of it.
        if not (st.ongoing and a.ended is None and not a.persistent and a.kind != "restarts"):
            st.signals.extend(_metric_signals(a))
        if a.persistent or a.metric not in SECONDARY_METRICS:
            st.evidence.append(_describe(a))
    if not st.ongoing:
        st.ended = max((a.ended for a in moved_with if a.ended is not None), default=None)
        st.load = _merged(st.load, _load_that_ended(st))
    specific = {"saturation": 0.5, "network": 0.7, "restarts": 0.7, "availability": 0.8, "code": 0.7}
    st.own_specific = max((specific.get(f, 0.0) * min(1.0, best[f] / 0.6) for f in st.families), default=0.0)


def _overlapping(first: Anomaly, episodes: list[Anomaly], end: float) -> list[Anomaly]:
    """The episodes that overlapped `first`, or one that did, and so on: one event."""
    lo, hi = first.onset, first.ended or end
    found = [first]
    rest = [a for a in episodes if a is not first]
    grew = True
    while grew:
        grew = False
        for a in list(rest):
            if a.onset <= hi + ONSET_TOLERANCE and (a.ended or end) >= lo - ONSET_TOLERANCE:
                found.append(a)
                rest.remove(a)
                lo, hi, grew = min(lo, a.onset), max(hi, a.ended or end), True
    return found


def _load_that_ended(st: _State) -> _Load | None:
    """Extra traffic that ended just as the service's failure ended: traffic that fell by half or
    more then (it had been carrying that much more all along), or a rise that came and went with
    the failure, begun before most of what failed. (A fall on its own is as likely a caller that
    stopped calling.)"""
    if st.ended is None:
        return None
    for a in st.anomalies:
        if kind_of(a.metric).family != "traffic":
            continue
        if _halved(a) and abs(a.onset - st.ended) <= AT_ONCE:
            return _Load(None, a.onset, 100.0 * (a.baseline / a.current - 1.0),
                         f"request rate was {_num(a.baseline)} req/s until {iso(a.onset)}, then {_num(a.current)}")
        if (a.direction == "up" and a.ended is not None and (a.change_pct or 0.0) >= 40.0
                and abs(a.ended - st.ended) <= AT_ONCE and a.onset <= st.typical_onset + ONSET_TOLERANCE):
            return _Load(a.onset, a.ended, 100.0 * (a.peak / a.baseline - 1.0) if a.baseline > 0 else 100.0,
                         f"request rate rose from {_num(a.baseline)} to {_num(a.peak)} req/s from {iso(a.onset)} "
                         f"until {iso(a.ended)}, with the failure", came_and_went=True)
    return None


def _load_alerted(alerts: Sequence[Alert]) -> _Load | None:
    """An alert on a traffic metric's upper bound: the team's own line for more than planned."""
    found = None
    for a in alerts:
        brief = a.ends_at is not None and a.ends_at - a.starts_at < SUSTAINED_ALERT
        if a.metric and a.op in (">", ">=") and kind_of(a.metric).family == "traffic" and not brief:
            found = _merged(found, _Load(a.starts_at, a.ends_at, 100.0,
                                          f"alert {a.name}: {a.metric} above {_num(a.threshold or 0.0)} since "
                                          f"{iso(a.starts_at)}"))
    return found


def _halved(a: Anomaly) -> bool:
    """Traffic that fell by half or more and stayed down."""
    return (kind_of(a.metric).family == "traffic" and a.direction == "down" and a.persistent and a.current > 0
            and a.baseline >= 2.0 * a.current)


def _ended_together(caller: _Load, load: _Load) -> bool:
    """A caller's extra traffic and this service's fell back at the same moment: the caller was
    passing it on, whichever rise a noisy series showed first."""
    return caller.until is not None and load.until is not None and abs(caller.until - load.until) <= AT_ONCE


def _fed_until(caller: _State, until: float | None) -> bool:
    """Whether a caller's own traffic fell by half when the extra traffic here ended: it was
    passing that traffic on."""
    return until is not None and any(_halved(a) and abs(a.onset - until) <= AT_ONCE
                                     for a in caller.anomalies)


def _merged(a: _Load | None, b: _Load | None) -> _Load | None:
    """Two signs of the same extra traffic: from the earliest start to the latest end."""
    if a is None or b is None:
        return a or b
    since = None if a.since is None or b.since is None else min(a.since, b.since)
    until = None if a.until is None or b.until is None else max(a.until, b.until)
    return _Load(since, until, max(a.rise_pct, b.rise_pct), (a if a.rise_pct >= b.rise_pct else b).evidence,
                 came_and_went=a.came_and_went and b.came_and_went)


def _near_miss(a: Anomaly) -> bool:
    """A filling resource that stopped (was fixed) within minutes of running out, at the pace
    it had kept."""
    if a.ended is None or a.peak <= a.baseline:
        return False
    pace = (a.peak - a.baseline) / max(a.ended - a.onset, 60.0)
    return (100.0 - a.peak) / pace <= NEAR_MISS_SECONDS


def _settled(age: float) -> float:
    """A rise younger than a few minutes may still turn out a blip: it weighs from half."""
    return 0.5 + 0.5 * min(1.0, age / SETTLING_SECONDS)


def _lasted(a: Anomaly, end: float) -> float:
    """The weight of an episode that is over, by its length."""
    minutes = ((a.ended or end) - a.onset) / 60.0
    return BLIP_WEIGHT + (1.0 - BLIP_WEIGHT) * min(1.0, max(0.0, minutes - BLIP_MINUTES)
                                                   / (EPISODE_MINUTES - BLIP_MINUTES))


def _urgency(a: Anomaly, end: float) -> float:
    """How soon a filling resource (a percentage of its limit) runs out at the pace it has kept
    since its onset: full within the horizon weighs fully, days away hardly at all."""
    age = max(end - a.onset, 60.0)
    pace = (a.current - a.baseline) / age  # points a second
    if pace <= 0:
        return 1.0
    hours_left = (100.0 - a.current) / pace / 3600.0
    # A pace kept for minutes says little about the next hour: extrapolate a few times its age.
    horizon = min(EXHAUSTION_HORIZON, EXTRAPOLATION * age / 3600.0)
    return 1.0 if hours_left <= horizon else max(0.2, horizon / hours_left)


def _combined(strengths) -> float:
    """Independent pieces of evidence: the chance that at least one is real."""
    remaining = 1.0
    for value in strengths:
        remaining *= 1.0 - min(0.95, value)
    return 1.0 - remaining


def _metric_signals(a: Anomaly) -> list[str]:
    up = a.direction == "up"
    table = {
        "memory_percent": "memory_growth", "gc_pause_ms": "gc_pressure", "cpu_percent": "cpu_saturation",
        "error_rate": "errors_up", "latency_p50_ms": "latency_up", "latency_p99_ms": "tail_latency_up",
        "connection_pool_active": "pool_in_use_up", "connection_pool_wait_ms": "pool_wait_up",
        "disk_usage_percent": "disk_filling", "network_rtt_ms": "network_rtt_up",
        "tcp_retransmits_per_second": "tcp_retransmits_up", "restarts_total": "restarts",
        "call_gap_ms": "call_gap_up", "error_log_rate": "error_logs_up", "requests_off_path": "request_path_broken",
    }
    if a.metric == "up" and not up:
        return ["instances_unreachable"]
    if a.metric == "replicas_ready" and not up:
        return ["replicas_not_ready"]
    if a.metric == "log_statement_rate" and not up:
        return ["log_statement_stopped"]
    if a.kind == "restarts" and not a.persistent:
        return ["restarted"]  # once, or no longer: not a crash loop
    signal = table.get(a.metric)
    return [signal] if signal and up else []


def _describe(a: Anomaly) -> str:
    if a.detail:
        return f"{a.detail}, since {iso(a.onset)}"
    if a.kind == "restarts":
        return f"restarts: {a.current - a.baseline:g} since {iso(a.onset)}"
    if a.kind == "sli_breach":  # `baseline` is the alert's line: there is no before to compare with
        return f"{a.metric} above its alert line {_num(a.baseline)} since {iso(a.onset)}, at {_num(a.current)}"
    change = f" ({a.change_pct:+.0f}%)" if a.change_pct is not None else ""
    if a.ended is not None:
        return (f"{a.metric} {a.direction} from {_num(a.baseline)} (worst {_num(a.peak)}){change} "
                f"from {iso(a.onset)} until {iso(a.ended)}, then back to normal")
    return (f"{a.metric} {a.direction} from {_num(a.baseline)} to {_num(a.current)}{change} "
            f"since {iso(a.onset)}" + ("" if a.persistent else " (transient)"))


def _num(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _log_evidence(st: _State, ev: LogEvidence) -> None:
    own = sum(ev.own_categories.values())
    total = own + ev.dependency_lines
    if ev.error_onset is not None and total >= 5:
        if own >= 0.5 * total:
            top = sorted(ev.own_categories.items(), key=lambda kv: -kv[1])[:3]
            st.evidence.append("own errors in logs: " + ", ".join(f"{c}×{n}" for c, n in top))
            st.own_specific = max(st.own_specific, 0.5 * own / total)
            if st.failure <= 0:
                st.failure = 0.3
                st.onset = ev.error_onset
        else:
            st.evidence.append(f"most error logs ({ev.dependency_lines}/{total}) are about other services")
            st.about_others = ev.dependency_lines / total
    for category in set(ev.own_categories) | set(ev.warning_categories):
        if ev.own_categories.get(category, 0) + ev.warning_categories.get(category, 0) >= 2:
            st.signals.append(f"log_{category}")
    new_own = [p for p in ev.new_patterns if p[1] in OWN_LOG_CATEGORIES]
    if new_own and st.onset is not None:
        fresh = [p for p in new_own if p[2] >= st.onset - 120]
        if fresh:
            st.signals.append("new_error_patterns")
            st.evidence.append(f"{len(fresh)} new error pattern(s) since the onset, e.g. {fresh[0][0][:100]}")
            st.own_specific = max(st.own_specific, 0.45)


_UNREACHED_SIGNAL = {"dns": "unresolvable_by_callers", "network_unreachable": "unreachable_by_callers",
                     "connection_refused": "refused_by_callers", "auth": "rejects_callers"}
_CALLER_SIGNAL = {"dns": "cannot_resolve_dependencies", "network_unreachable": "cannot_reach_dependencies",
                  "connection_refused": "cannot_reach_dependencies", "auth": "credentials_rejected"}


def _reachability_from_logs(states: dict[str, _State], logs: dict[str, LogEvidence]) -> None:
    """Calls that never reached their peer, as the callers' logs tell it. Several callers
    failing against one peer blame the peer; one caller failing against several peers (or
    one client whose credentials a shared server rejects) blames the caller."""
    logged = [(caller, peer, cat, n, first) for caller, ev in logs.items()
              for peer, (cat, n, first) in ev.peer_failures.items() if peer in states and caller in states]
    pairs = [p for p in logged if p[3] >= MIN_FAILED_CALLS]
    failing_callers: dict[str, set[str]] = {}
    failing_peers: dict[str, set[str]] = {}
    for caller, peer, *_ in pairs:
        failing_callers.setdefault(peer, set()).add(caller)
        failing_peers.setdefault(caller, set()).add(peer)
    # Logs are sampled: a few such lines inside the caller's own errors say what those errors were,
    # though not that the peer is broken.
    few = [p for p in logged if 2 <= p[3] < MIN_FAILED_CALLS and p[1] not in failing_callers
           and _in_own_errors(states[p[0]], p[4])]
    for caller, peer, cat, n, first in pairs + few:
        if len(failing_callers.get(peer, ())) >= 2:
            blamed = peer
        elif len(failing_peers.get(caller, ())) >= 2 or cat == "auth":
            blamed = caller
        elif any(c != caller for c in _callers_of(peer, states)):
            blamed = caller  # the peer's other callers reach it fine
        else:
            blamed = peer
        if blamed == peer and n < MIN_FAILED_CALLS:
            continue
        st = states[blamed]
        if blamed == peer:
            st.signals.append(_UNREACHED_SIGNAL.get(cat, "unreachable_by_callers"))
            st.evidence.append(f"{caller} logged {n} failed calls to it ({cat.replace('_', ' ')})")
            if st.failure < 0.55:
                st.failure = 0.55
                st.families.add("availability")
            st.onset = first if st.onset is None else min(st.onset, first)
            caller_st, caller_ev = states[caller], logs[caller]
            logged = sum(caller_ev.own_categories.values()) + caller_ev.dependency_lines
            if caller_st.onset is not None and caller_st.onset < st.onset and n >= 0.5 * logged:
                # Logs are sampled: the caller's error rate, mostly these failed calls, shows
                # when they began better than the first logged one does.
                st.onset = max(caller_st.onset, st.onset - LOG_SAMPLING_LAG)
            st.own_specific = max(st.own_specific, 0.5)
        else:
            st.signals.append(_CALLER_SIGNAL.get(cat, "cannot_reach_dependencies"))
            st.evidence.append(f"its calls to {peer} fail on its side ({cat.replace('_', ' ')}, {n} lines)")
            st.own_specific = max(st.own_specific, 0.6)


def _in_own_errors(st: _State, first: float) -> bool:
    """Whether failed calls first logged at `first` fall inside the service's own errors."""
    return ("errors" in st.families and st.onset is not None
            and st.onset - ONSET_TOLERANCE <= first and (st.ended is None or first <= st.ended))


def _callers_of(name: str, states: dict[str, _State]) -> list[str]:
    return [n for n, st in states.items() if name in st.info.depends_on]


def _rollout_under_way(st: _State, changes: Sequence[Deployment], end: float) -> None:
    """Fewer ready replicas from the moment a deployment began, with nothing else wrong, is the
    rollout replacing pods one by one: while it is young, no failure (and no reason to roll back)."""
    moved = {a.metric for a in st.anomalies if a.persistent and kind_of(a.metric).family in FAILURE_FAMILIES
             and a.metric not in SECONDARY_METRICS}
    if not st.ongoing or not st.families <= {"availability"} or moved != {"replicas_ready"} or st.own_specific > 0.8:
        return
    for c in changes:
        if (c.service == st.info.name and c.change_type == "deployment" and _began_with(st.onset, c)
                and end - c.time <= ROLLOUT_SECONDS):
            st.failure = st.own_failure = st.own_specific = 0.0
            st.families = set()
            st.evidence = [f"rollout of {c.version} under way since {iso(c.time)}: ready replicas dip as pods "
                           "are replaced, nothing else is wrong"]
            st.signals.append("rollout_in_progress")
            return


def _change_evidence(st: _State, changes: Sequence[Deployment]) -> None:
    if "rollout_in_progress" in st.signals:
        return
    if st.onset is None or (st.anomalies and not st.ongoing and st.failure < 0.3):
        return  # a blip that is already over is not explained by a change
    leads = []
    for c in changes:
        if c.service != st.info.name or c.change_type not in BREAKING_CHANGES:
            continue
        lead = st.onset - c.time
        if -60.0 <= lead <= CHANGE_LOOKBACK:
            leads.append(lead)
            what = (f"deployment {c.previous_version or '?'} -> {c.version}" if c.change_type == "deployment"
                    else f"{c.change_type} change" + (f" of {c.config_key}" if c.config_key else ""))
            st.signals.append("deploy_before_onset" if c.change_type == "deployment" else
                              f"{c.change_type}_change_before_onset")
            st.evidence.append(f"{what} at {iso(c.time)}, {max(lead, 0) / 60:.1f} min before the onset")
            closeness = 1.0 - max(0.0, lead) / CHANGE_LOOKBACK
            st.own_specific = max(st.own_specific, 0.35 + 0.45 * closeness)
    if leads and min(leads) > CHANGE_SOON:
        st.signals.append("change_well_before_onset")


def _load_origins(states: dict[str, _State], callers: dict[str, list[str]]) -> None:
    def since(load: _Load) -> float:
        return -math.inf if load.since is None else load.since

    for name, st in states.items():
        if st.load is None:
            continue
        unreached = bool(set(st.signals) & set(_UNREACHED_SIGNAL.values()))
        if st.load.since is None and unreached:
            st.load = None  # it fell because its callers could no longer reach it, not as load ended
            continue
        feeding = [c for c in callers[name]
                   if (states[c].load is not None and (since(states[c].load) <= since(st.load) + ONSET_TOLERANCE
                                                       or _ended_together(states[c].load, st.load)))
                   or (st.load.since is None and _fed_until(states[c], st.load.until))]
        if feeding:
            onset = st.typical_onset if st.typical_onset is not None else st.onset
            st.load_driven = st.failure > 0 and (onset is None or since(st.load) <= onset + 150)
            continue
        late = st.load.since is not None and st.onset is not None and st.load.since > st.onset + LOAD_AFTER_FAILURE
        back = st.ended is not None and late and abs(st.load.since - st.ended) <= AT_ONCE
        if late and (unreached or back):
            st.load = None  # callers reaching it again after the outage, or as it ended: not what made it fail
            continue
        st.signals.append("traffic_surge_origin")
        st.evidence.append(f"{st.load.evidence} while its callers' traffic did not")
        if st.load.since is not None and (st.onset is None or st.load.since < st.onset):
            st.onset = st.load.since


def _load_share(origin: str, states: dict[str, _State], callers: dict[str, list[str]]) -> float:
    """Share of load-driven failures downstream of `origin`."""
    driven = [n for n, st in states.items() if st.load_driven]
    if not driven:
        return 0.0
    below = _descendants(origin, states)
    return sum(1 for n in driven if n in below) / len(driven)


def _descendants(name: str, states: dict[str, _State]) -> set[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        for d in states[stack.pop()].info.depends_on:
            if d in states and d not in seen:
                seen.add(d)
                stack.append(d)
    return seen


def _explaining_dependency(st: _State, states: dict[str, _State]) -> tuple[str | None, float, list[str]]:
    """The strongest dependency failing since before (or with) this service, if any, and the
    failing dependencies passed over because they began after this service's own traffic rose:
    that extra traffic is the likelier cause of both."""
    if st.onset is None:
        return None, 0.0, []
    surge = None
    if "traffic_surge_origin" in st.signals and st.load is not None:
        surge = -math.inf if st.load.since is None else st.load.since
    best, strength, after_surge = None, 0.0, []
    for d in st.info.depends_on:
        dep = states.get(d)
        if dep is None or dep.onset is None or dep.failure < 0.3 or dep.load_driven:
            continue
        if surge is not None and surge < dep.onset:
            after_surge.append(d)
            continue
        if dep.onset <= st.onset + ONSET_TOLERANCE and dep.failure > strength:
            best, strength = d, dep.failure
    return best, min(1.0, strength), sorted(after_surge)


def _explaining_caller(st: _State, states: dict[str, _State], callers: list[str]) -> str | None:
    """A caller failing since before (or with) this service, if any: the strongest."""
    if st.onset is None:
        return None
    failing = [c for c in callers if states[c].failure >= 0.3 and states[c].onset is not None
               and states[c].onset <= st.onset + ONSET_TOLERANCE]
    return max(failing, key=lambda c: (states[c].failure, c), default=None)


def _ignore_global_silence(states: dict[str, _State]) -> None:
    """If (nearly) everything went silent together, the telemetry pipeline broke, not the
    services: do not blame any one of them for it."""
    silent = [st for st in states.values() if "telemetry_missing" in st.signals]
    if len(states) >= 3 and len(silent) >= 0.8 * len(states):
        for st in silent:
            st.signals.remove("telemetry_missing")
            st.failure *= 0.2


def _after(later: float | None, earlier: float | None) -> bool:
    return later is not None and earlier is not None and later >= earlier - 15.0


def _depths(services: Sequence[ServiceInfo], callers: dict[str, list[str]]) -> dict[str, int]:
    """Longest distance from an entry point; deeper services sort first among equals."""
    depth: dict[str, int] = {}
    by_name = {s.name: s for s in services}
    roots = [s.name for s in services if not callers.get(s.name)]
    frontier = [(r, 0) for r in roots]
    while frontier:
        name, d = frontier.pop()
        if depth.get(name, -1) >= d or d > len(services):
            continue
        depth[name] = d
        frontier.extend((dep, d + 1) for dep in by_name[name].depends_on if dep in by_name)
    return depth


def _fmt_onset(onset: float | None) -> str:
    return f"since {iso(onset)}" if onset is not None else "onset unknown"
