"""The analysis of incidents that do not give themselves away: episodes that ended, young ones,
resources filling up, restarts, and a rollout that is only replacing pods. Hand-made series."""

import pytest

from mcp_server.analysis.anomalies import detect
from mcp_server.analysis.correlation import LogEvidence, rank_candidates
from telemetry.records import Alert, Deployment
from tests.test_analysis import CHAIN, END, STEP, T0, noisy


def test_an_episode_that_came_back_down_is_reported_with_when_it_ended():
    values = noisy(0.01, 80, rel=0.2) + noisy(0.35, 60, rel=0.05, seed=2) + noisy(0.01, 100, rel=0.2, seed=3)
    a = detect("error_rate", values, T0, STEP)
    assert a is not None and not a.persistent
    assert abs(a.onset - (T0 + 80 * STEP)) <= 3 * STEP and abs(a.ended - (T0 + 140 * STEP)) <= 4 * STEP
    ranked = rank_candidates(CHAIN, {"db": [a]}, {}, [], [], [], END)
    assert ranked[0].service == "db" and ranked[0].ended == a.ended


def test_an_episode_under_way_when_the_window_began_is_still_seen():
    values = noisy(0.4, 30, rel=0.05) + noisy(0.01, 210, rel=0.2, seed=4)
    a = detect("error_rate", values, T0, STEP)
    assert a is not None and not a.persistent and a.ended is not None and a.ended <= T0 + 32 * STEP


def test_an_episode_begun_in_the_first_samples_is_measured_against_the_rest_of_the_window():
    # One sample of normal, then sixteen minutes of loss, then an hour back to normal: too
    # little before it to be a baseline, so the stretch after it is.
    values = [0.5] + noisy(200.0, 64, rel=0.1) + noisy(0.5, 175, rel=0.2, seed=2)
    a = detect("tcp_retransmits_per_second", values, T0, STEP)
    assert a is not None and not a.persistent and a.onset == T0 + STEP
    assert a.baseline < 1.0 and abs(a.ended - (T0 + 65 * STEP)) <= 2 * STEP


def test_a_young_ramp_is_judged_by_where_it_has_got_to():
    ramp = [43.0 + 0.7 * i for i in range(16)]  # four minutes of a leak at the end of an hour
    a = detect("memory_percent", noisy(43.0, 224, rel=0.01) + ramp, T0, STEP)
    assert a is not None and a.persistent and a.current > 52.0
    blip = noisy(43.0, 236, rel=0.01) + [50.0, 52.0, 54.0, 55.0]  # one minute: it must outlast the past
    young = detect("memory_percent", blip, T0, STEP)
    assert young is None or young.current < 50.0


def test_a_filling_resource_counts_by_when_it_runs_out_at_a_pace_it_has_kept():
    # Ten minutes from 50% to 80% (full in about seven more) is failing now; four minutes from
    # 50% to 60% says less about the next quarter of an hour.
    old = detect("disk_usage_percent", noisy(50.0, 200, rel=0.005) + [50.0 + 0.75 * i for i in range(1, 41)], T0, STEP)
    young = detect("disk_usage_percent", noisy(50.0, 224, rel=0.005) + [50.0 + 0.6 * i for i in range(1, 17)], T0,
                   STEP)
    assert old is not None and young is not None
    [filling] = rank_candidates(CHAIN, {"db": [old]}, {}, [], [], [], END, limit=1)
    [starting] = rank_candidates(CHAIN, {"db": [young]}, {}, [], [], [], END, limit=1)
    assert filling.score > 1.3 * starting.score


def test_one_restart_is_an_event_and_restarts_that_keep_coming_a_crash_loop():
    once = [0.0] * 120 + [1.0] * 120
    loop = [float(i // 20) for i in range(240)]  # one every five minutes, still coming
    single, repeated = detect("restarts_total", once, T0, STEP), detect("restarts_total", loop, T0, STEP)
    assert single is not None and repeated is not None
    assert repeated.persistent and not single.persistent and repeated.score > 2 * single.score


def test_a_rollout_replacing_pods_is_no_failure_and_no_reason_to_roll_back():
    dip = detect("replicas_ready", [3.0] * 232 + [2.0] * 8, T0, STEP)  # two minutes, from the deploy on
    deploy = Deployment("d1", "db", T0 + 232 * STEP, "deployment", "v2", "v1", "a.b", "")
    ranked = rank_candidates(CHAIN, {"db": [dip]}, {}, [], [deploy], [], END)
    assert not ranked or ranked[0].score < 0.1
    # The same dip with errors beside it is a bad release.
    errors = detect("error_rate", noisy(0.01, 232, rel=0.2) + noisy(0.3, 8, rel=0.05, seed=5), T0, STEP)
    ranked = rank_candidates(CHAIN, {"db": [dip, errors]}, {}, [], [deploy], [], END)
    assert ranked[0].service == "db" and "deploy_before_onset" in ranked[0].signals


@pytest.mark.parametrize("ends_after_minutes", [2, 15])
def test_a_resolved_critical_alert_keeps_an_unnoticed_episode_in_view_only_if_it_lasted(ends_after_minutes):
    values = noisy(40.0, 80, rel=0.05) + noisy(400.0, 20, rel=0.05, seed=2) + noisy(40.0, 140, rel=0.05, seed=3)
    a = detect("latency_p50_ms", values, T0, STEP)
    alert = Alert("HighLatency", "db", "critical", T0 + 80 * STEP, T0 + 80 * STEP + ends_after_minutes * 60,
                  "", "", 400.0)
    elsewhere = Alert("HighLatency", "edge", "warning", T0, T0 + 60, "", "", 1.0)  # this system has alerting
    [with_alert] = rank_candidates(CHAIN, {"db": [a]}, {}, [], [], [elsewhere, alert], END, limit=1)
    [without] = rank_candidates(CHAIN, {"db": [a]}, {}, [], [], [elsewhere], END, limit=1)
    assert (with_alert.score > without.score) == (ends_after_minutes >= 5)


def test_a_leak_that_was_restarted_away_ended_at_the_drop_not_while_it_was_still_climbing():
    climb = [45.0 + 0.65 * i for i in range(42)]  # the first minutes of the climb are inside the band
    a = detect("memory_percent", noisy(45.0, 50, rel=0.005) + climb + noisy(45.0, 148, rel=0.005, seed=2), T0, STEP)
    assert a is not None and not a.persistent and a.peak > 70.0
    assert abs(a.ended - (T0 + 92 * STEP)) <= 2 * STEP


def test_a_leak_killed_at_its_limit_and_climbing_again_began_with_its_first_climb():
    """A sawtooth: 22 minutes from 53% to 97%, an OOM kill back to 55%, and the same pace again.
    Measured from the latest climb, the first would be its baseline and nothing would stand out."""
    first = [53.0 + 2.0 * i / 4 for i in range(89)]
    again = [55.0 + 2.0 * i / 4 for i in range(30)]
    a = detect("memory_percent", noisy(53.0, 121, rel=0.03) + first + again, T0, STEP)
    assert a is not None and a.persistent and a.peak > 95.0
    assert T0 + 121 * STEP <= a.onset <= T0 + 140 * STEP and a.baseline < 56.0  # where it left the band


def test_a_disk_freed_in_the_last_samples_is_over_not_still_filling():
    climb = [50.0 + 0.25 * i for i in range(80)]
    a = detect("disk_usage_percent", noisy(50.0, 157, rel=0.003) + climb + noisy(50.0, 3, rel=0.003, seed=2), T0,
               STEP)
    assert a is not None and not a.persistent and a.ended == T0 + 237 * STEP


def test_an_episode_somebody_had_to_stop_weighs_more_than_one_that_passed():
    values = noisy(40.0, 80, rel=0.05) + noisy(400.0, 40, rel=0.05, seed=2) + noisy(40.0, 120, rel=0.05, seed=3)
    a = detect("latency_p50_ms", values, T0, STEP)
    restart = Deployment("r1", "db", a.ended - 30, "restart", "v1", "v1", "oncall", "")
    [stopped] = rank_candidates(CHAIN, {"db": [a]}, {}, [], [restart], [], END, limit=1)
    [passed] = rank_candidates(CHAIN, {"db": [a]}, {}, [], [], [], END, limit=1)
    assert stopped.score > 1.3 * passed.score


def test_a_second_failure_apart_in_the_graph_and_in_time_is_flagged_as_one():
    from telemetry.records import ServiceInfo

    shop = [*CHAIN, ServiceInfo("mail", "service", (), 2)]

    def failing(onset_step):
        return [detect("error_rate", noisy(0.01, onset_step, rel=0.2) + noisy(0.4, 240 - onset_step, rel=0.05, seed=2),
                       T0, STEP)]

    ranked = rank_candidates(shop, {"db": failing(100), "mail": failing(160)}, {}, [], [], [], END)
    assert {c.service: "independent_failure" in c.signals for c in ranked} == {"db": False, "mail": True}
    # A caller failing after its dependency is that failure spreading, not a second one.
    ranked = rank_candidates(shop, {"db": failing(100), "orders": failing(160)}, {}, [], [], [], END)
    assert not any("independent_failure" in c.signals for c in ranked)


def test_traffic_that_fell_when_callers_could_no_longer_reach_a_service_is_no_load():
    fell = detect("request_rate", noisy(100.0, 120, rel=0.02) + noisy(20.0, 120, rel=0.02, seed=2), T0, STEP)
    blip = detect("latency_p50_ms", noisy(40.0, 110, rel=0.02) + noisy(200.0, 10, rel=0.02, seed=3)
                  + noisy(40.0, 120, rel=0.02, seed=4), T0, STEP)
    unresolved = LogEvidence(peer_failures={"db": ("dns", 200, T0 + 120 * STEP)})
    ranked = rank_candidates(CHAIN, {"db": [fell, blip]}, {"orders": unresolved}, [], [], [], END)
    assert ranked[0].service == "db" and "unresolvable_by_callers" in ranked[0].signals
    assert "traffic_surge_origin" not in ranked[0].signals


def test_a_memory_climb_ended_by_one_oom_kill_is_that_one_event():
    climb = [50.0 + 1.6 * i for i in range(30)]  # to 96% in seven and a half minutes, then killed
    memory = detect("memory_percent", noisy(50.0, 150, rel=0.005) + climb + noisy(50.0, 60, rel=0.005, seed=2), T0,
                    STEP)
    killed = detect("restarts_total", [0.0] * 180 + [1.0] * 60, T0, STEP)
    restarted = Deployment("r1", "db", T0 + 179 * STEP, "restart", "v1", "v1", "oncall", "")
    [oom] = rank_candidates(CHAIN, {"db": [memory, killed]}, {}, [], [], [], END, limit=1)
    [stopped] = rank_candidates(CHAIN, {"db": [memory]}, {}, [], [restarted], [], END, limit=1)
    assert oom.score < 0.25 <= stopped.score


def test_a_memory_climb_whose_service_restarted_once_at_the_last_sample_is_over():
    climb = [46.0 + 1.8 * i for i in range(14)]  # three and a half minutes to 70%, then one OOM kill
    memory = detect("memory_percent", noisy(46.0, 226, rel=0.005) + climb, T0, STEP)
    killed = detect("restarts_total", [1.0] * 239 + [2.0], T0, STEP)
    [going] = rank_candidates(CHAIN, {"db": [memory]}, {}, [], [], [], END, limit=1)
    [oom] = rank_candidates(CHAIN, {"db": [memory, killed]}, {}, [], [], [], END, limit=1)
    assert memory is not None and memory.persistent and going.ended is None
    assert oom.ended is not None and oom.score < 0.5 * going.score


def test_the_fault_is_read_from_what_moved_with_it_not_from_an_episode_over_before_it():
    cpu_blip = detect("cpu_percent", noisy(45.0, 60, rel=0.02) + noisy(95.0, 20, rel=0.01, seed=2)
                      + noisy(45.0, 160, rel=0.02, seed=3), T0, STEP)
    rtt = detect("network_rtt_ms", noisy(0.5, 160, rel=0.1) + noisy(400.0, 80, rel=0.05, seed=4), T0, STEP)
    [c] = rank_candidates(CHAIN, {"db": [cpu_blip, rtt]}, {}, [], [], [], END, limit=1)
    assert "network_rtt_up" in c.signals and "cpu_saturation" not in c.signals


@pytest.mark.parametrize("earlier,later", [("mail", "sms"), ("sms", "mail")])
def test_of_two_equal_failures_of_the_same_kind_the_one_that_began_first_leads(earlier, later):
    from telemetry.records import ServiceInfo

    shop = [*CHAIN, ServiceInfo("mail", "service", (), 2), ServiceInfo("sms", "service", (), 2)]

    def slower(onset_step, level=120.0):
        return [detect("latency_p99_ms", noisy(50.0, onset_step, rel=0.05) + noisy(level, 240 - onset_step, rel=0.05),
                       T0, STEP)]

    # The later one scores a little higher (a larger rise), within what is equally strong.
    ranked = rank_candidates(shop, {earlier: slower(196), later: slower(200, 130.0)}, {}, [], [], [], END)
    assert ranked[1].score > ranked[0].score and [c.service for c in ranked[:2]] == [earlier, later]
    # Clearly stronger evidence leads, whenever it began.
    ranked = rank_candidates(shop, {earlier: slower(196), later: slower(200, 160.0)}, {}, [], [], [], END)
    assert ranked[0].service == later
    # Failures of different kinds are not one spreading: the onset does not order them.
    failing = [detect("error_rate", noisy(0.01, 196, rel=0.2) + noisy(0.4, 44, rel=0.05, seed=2), T0, STEP)]
    ranked = rank_candidates(shop, {earlier: slower(196), later: failing}, {}, [], [], [], END)
    assert ranked[0].service == later


@pytest.mark.parametrize("later_kinds,earlier_leads", [({"latency"}, True), ({"latency", "errors"}, False)])
def test_an_earlier_failure_as_strong_leads_one_whose_every_kind_it_shows_too(later_kinds, earlier_leads):
    from mcp_server.analysis.correlation import _earlier_first_among_equals, _State

    db = _State(CHAIN[2], [], onset=T0, families={"latency", "network"})  # slow, and its network too
    orders = _State(CHAIN[1], [], onset=T0 + 45, families=later_kinds)
    order = _earlier_first_among_equals(["orders", "db"], {"orders": 0.43, "db": 0.426}, {"db": db, "orders": orders})
    assert order == (["db", "orders"] if earlier_leads else ["orders", "db"])


def test_what_a_young_rise_in_traffic_drives_weighs_as_unsettled_as_the_rise():
    """Traffic up 75% at `orders` (its caller's is not) with its latency following: three minutes
    of it may still turn out a blip; ten minutes of it is a surge's effect."""

    def rise(young: int) -> list:
        old = 240 - young

        def series(seed: int, before: float, after: float) -> list[float]:
            return noisy(before, old, rel=0.02, seed=seed) + noisy(after, young, rel=0.02, seed=seed + 1)

        return [detect(metric, series(seed, before, after), T0, STEP) for metric, seed, before, after in (
            ("request_rate", 1, 200.0, 350.0), ("latency_p99_ms", 3, 300.0, 700.0),
            ("latency_p50_ms", 5, 100.0, 190.0))]

    [young] = rank_candidates(CHAIN, {"orders": rise(12)}, {}, [], [], [], END, limit=1)
    [settled] = rank_candidates(CHAIN, {"orders": rise(40)}, {}, [], [], [], END, limit=1)
    assert young.service == settled.service == "orders" and "traffic_surge_origin" in young.signals
    assert young.score < 0.9 * settled.score


def test_a_rise_in_traffic_that_came_and_went_with_a_failure_was_its_load():
    """`orders` got three times its traffic for ten minutes, and its latency rose and fell with
    it: that was load. The same bump an hour's half earlier, apart from the failure, was not."""

    def episode(metric: str, base: float, high: float, begin: int, seed: int):
        values = (noisy(base, begin, rel=0.02, seed=seed) + noisy(high, 40, rel=0.02, seed=seed + 1)
                  + noisy(base, 200 - begin, rel=0.02, seed=seed + 2))
        return detect(metric, values, T0, STEP)

    latency = episode("latency_p50_ms", 40.0, 400.0, 150, 3)
    with_it = rank_candidates(CHAIN, {"orders": [episode("request_rate", 100.0, 300.0, 150, 1), latency]},
                              {}, [], [], [], END, limit=1)[0]
    apart = rank_candidates(CHAIN, {"orders": [episode("request_rate", 100.0, 300.0, 40, 1), latency]},
                            {}, [], [], [], END, limit=1)[0]
    assert with_it.service == "orders" and "traffic_surge_origin" in with_it.signals
    assert any("with the failure" in e for e in with_it.evidence)
    assert "traffic_surge_origin" not in apart.signals


def test_a_dependency_that_failed_after_the_traffic_rose_does_not_explain_it():
    """`orders` got three times its traffic, then its latency and errors rose and, 45 s after the
    traffic, `db` began to fail: the extra traffic explains both, so `db` explains nothing at
    `orders`."""

    def step_up(metric: str, base: float, high: float, begin: int, seed: int):
        values = noisy(base, begin, rel=0.02, seed=seed) + noisy(high, 240 - begin, rel=0.02, seed=seed + 1)
        return detect(metric, values, T0, STEP)

    ranked = rank_candidates(CHAIN, {
        "orders": [step_up("request_rate", 100.0, 300.0, 150, 1), step_up("latency_p50_ms", 40.0, 400.0, 152, 3),
                   step_up("error_rate", 0.01, 0.3, 153, 9)],
        "db": [step_up("error_rate", 0.01, 0.3, 153, 5), step_up("latency_p50_ms", 5.0, 60.0, 153, 7)],
    }, {}, [], [], [], END)
    orders = next(c for c in ranked if c.service == "orders")
    assert ranked[0].service == "orders" and orders.explained_by is None
    assert "its traffic rose before db began to fail" in orders.evidence


@pytest.mark.parametrize(("unanswered", "signal"), [
    (("caller", "network_unreachable"), "cannot_reach_dependencies"),
    (("peer", "timeout"), "unreachable_by_callers"),
    (("caller", "dns"), "cannot_resolve_dependencies"),
])
def test_failing_requests_that_were_calls_nobody_answered_say_which_way_the_service_is_cut_off(unanswered, signal):
    from mcp_server.analysis.traces import OriginVerdict

    origin = OriginVerdict("orders", 30, 28, "connect ETIMEDOUT 10.0.0.7:9090", T0 + 60 * STEP, unanswered)
    [top] = rank_candidates(CHAIN, {}, {}, [origin], [], [], END, limit=1)
    assert top.service == "orders" and signal in top.signals


def test_traffic_back_once_callers_reach_a_service_again_is_no_surge():
    """Callers could not reach `orders` for most of the window (their logs say so); when they
    could again, its traffic came back: a rise against the outage, not a surge."""
    rate = detect("request_rate", noisy(100.0, 6, rel=0.02) + noisy(15.0, 194, rel=0.02, seed=2)
                  + noisy(100.0, 40, rel=0.02, seed=3), T0, STEP)
    errors = detect("error_rate", noisy(0.01, 6, rel=0.2, seed=4) + noisy(0.5, 194, rel=0.05, seed=5)
                    + noisy(0.01, 40, rel=0.2, seed=6), T0, STEP)
    cut_off = {"edge": LogEvidence(peer_failures={"orders": ("network_unreachable", 300, T0 + 6 * STEP)})}
    [top] = rank_candidates(CHAIN, {"orders": [rate, errors]}, cut_off, [], [], [], END, limit=1)
    assert top.service == "orders" and "unreachable_by_callers" in top.signals
    assert "traffic_surge_origin" not in top.signals


def test_what_only_its_own_metrics_show_weighs_less_while_it_is_young():
    """The same rise in round-trip time, nobody else seeing it: two minutes old at the window's
    end it may still be a blip; ten minutes old it is not."""
    rtt = detect("network_rtt_ms", noisy(0.5, 200, rel=0.1) + noisy(60.0, 40, rel=0.05, seed=2), T0, STEP)
    assert rtt is not None and rtt.persistent
    elsewhere = [Alert("HighLatency", "edge", "warning", T0, T0 + 60, "", "", 1.0)]  # this system has alerting
    [young] = rank_candidates(CHAIN, {"db": [rtt]}, {}, [], [], elsewhere, rtt.onset + 120, limit=1)
    [settled] = rank_candidates(CHAIN, {"db": [rtt]}, {}, [], [], elsewhere, rtt.onset + 600, limit=1)
    assert young.score < 0.85 * settled.score
    # A critical alert on it is somebody noticing: young or not, it counts in full.
    alert = Alert("HighNetworkLatency", "db", "critical", rtt.onset + 60, None, "", "", 60.0)
    [alerted] = rank_candidates(CHAIN, {"db": [rtt]}, {}, [], [], [alert, *elsewhere], rtt.onset + 120, limit=1)
    [alerted_later] = rank_candidates(CHAIN, {"db": [rtt]}, {}, [], [], [alert, *elsewhere], rtt.onset + 600,
                                      limit=1)
    assert alerted.score == pytest.approx(alerted_later.score)


def test_an_entry_points_errors_and_latency_are_felt_by_its_users():
    """Nothing in the system calls `edge`: nobody inside is hurt by its latency, its users are."""
    latency = detect("latency_p50_ms", noisy(40.0, 120, rel=0.03) + noisy(90.0, 120, rel=0.03, seed=2), T0, STEP)
    elsewhere = [Alert("HighCPU", "db", "warning", T0, T0 + 60, "", "", 1.0)]  # this system has alerting
    [at_edge] = rank_candidates(CHAIN, {"edge": [latency]}, {}, [], [], elsewhere, END, limit=1)
    [inside] = rank_candidates(CHAIN, {"orders": [latency]}, {}, [], [], elsewhere, END, limit=1)
    assert at_edge.service == "edge" and at_edge.score > 1.3 * inside.score


def test_a_warning_that_has_fired_all_along_marks_a_failure_that_began_before_the_window():
    """Errors steady at 8% for the whole window: no change to see inside it, but the error-rate
    warning has fired since the window's first minutes, so its line says this is not normal. A
    warning that began later is a change the series shows by itself."""
    from array import array

    from mcp_server.investigation import Investigation
    from telemetry.records import MetricSeries
    from telemetry.store import TelemetryStore

    def store(warning_from: float) -> TelemetryStore:
        errors = MetricSeries("db", "error_rate", "ratio", T0, STEP, array("d", noisy(0.08, 240, rel=0.05)))
        warning = Alert("ElevatedErrorRate", "db", "warning", warning_from, None, "", "", 0.08,
                        metric="error_rate", op=">", threshold=0.05)
        return TelemetryStore("t", CHAIN, T0, END, series={("db", "error_rate"): errors}, alert_records=[warning])

    all_along = Investigation(store(T0 + 180), T0, END).anomaly("db", "error_rate")
    assert all_along is not None and all_along.kind == "sli_breach" and all_along.baseline == 0.05
    assert Investigation(store(T0 + 1800), T0, END).anomaly("db", "error_rate") is None


def test_one_instance_of_four_gone_is_capacity_lost_and_half_of_them_a_failure():
    elsewhere = [Alert("HighCPU", "edge", "warning", T0, T0 + 60, "", "", 1.0)]  # this system has alerting
    one = detect("up", [1.0] * 200 + [0.75] * 40, T0, STEP)
    half = detect("up", [1.0] * 200 + [0.5] * 40, T0, STEP)
    [partly] = rank_candidates(CHAIN, {"db": [one]}, {}, [], [], elsewhere, END, limit=1)
    [mostly] = rank_candidates(CHAIN, {"db": [half]}, {}, [], [], elsewhere, END, limit=1)
    assert partly.score < 0.6 * mostly.score and mostly.score >= 0.25


def test_restarts_far_apart_are_events_and_only_a_run_of_them_a_crash_loop():
    counter = [0.0] * 240
    for at in (90, 209, 212):  # one restart, and half an hour later a pod that failed twice
        counter[at:] = [v + 1 for v in counter[at:]]
    apart = detect("restarts_total", counter, T0, STEP)
    assert apart is not None and not apart.persistent
    loop = [float(i // 20) for i in range(240)]  # one every five minutes, still coming
    assert detect("restarts_total", loop, T0, STEP).persistent



def test_what_a_failure_that_is_over_was_comes_from_its_biggest_episode_not_a_later_one():
    """Errors for twelve minutes that ended; a quarter of an hour later the disk crept up and was
    freed: another event, which says nothing about what the failure was."""
    errors = detect("error_rate", noisy(0.01, 40, rel=0.2) + noisy(0.5, 48, rel=0.05, seed=2)
                    + noisy(0.01, 152, rel=0.2, seed=3), T0, STEP)
    disk = detect("disk_usage_percent", noisy(60.0, 150, rel=0.003, seed=4) + [60.0 + 0.25 * i for i in range(60)]
                  + noisy(60.0, 30, rel=0.003, seed=5), T0, STEP)
    assert errors.ended is not None and disk is not None and disk.ended is not None and disk.onset > errors.ended
    [top] = rank_candidates(CHAIN, {"db": [errors, disk]}, {}, [], [], [], END, limit=1)
    assert "errors_up" in top.signals and "disk_filling" not in top.signals



def test_a_failure_that_is_over_began_with_the_episodes_that_overlapped_its_biggest_one():
    """`orders` lost a pod for two minutes early on, then, a quarter of an hour later, slowed down
    with `db`, which slowed first. Its failure began with the slowdown, after `db`'s: `db` hurt it."""
    def slow(onset_step, level, seed):
        return detect("latency_p50_ms", noisy(20.0, onset_step, rel=0.03, seed=seed)
                      + noisy(level, 220 - onset_step, rel=0.03, seed=seed + 1)
                      + noisy(20.0, 20, rel=0.03, seed=seed + 2), T0, STEP)
    pod = detect("up", [1.0] * 20 + [0.67] * 8 + [1.0] * 212, T0, STEP)
    orders_slow = slow(104, 300.0, 3)
    seen = {"orders": [pod, orders_slow], "db": [slow(100, 400.0, 6)]}
    ranked = rank_candidates(CHAIN, seen, {}, [], [], [], END, limit=3)
    orders = next(c for c in ranked if c.service == "orders")
    assert pod is not None and orders.onset == orders_slow.onset
    assert ranked[0].service == "db" and any("callers degraded after it: orders" in e for e in ranked[0].evidence)


def test_traffic_that_came_back_as_an_outage_ended_is_no_surge_and_a_later_blip_no_part_of_it():
    """Half of `orders` unreachable and failing when the window began, over after twelve minutes;
    its traffic, half of normal meanwhile, back to normal then. An hour later a pool blip."""
    errors = detect("error_rate", noisy(0.5, 48, rel=0.05) + noisy(0.01, 192, rel=0.2, seed=2), T0, STEP)
    up = detect("up", [0.5] * 48 + [1.0] * 192, T0, STEP)
    rate = detect("request_rate", noisy(4.0, 48, rel=0.03, seed=3) + noisy(8.0, 192, rel=0.03, seed=4), T0, STEP)
    pool = detect("connection_pool_wait_ms", noisy(0.4, 200, rel=0.1, seed=5) + noisy(90.0, 12, rel=0.05, seed=6)
                  + noisy(0.4, 28, rel=0.1, seed=7), T0, STEP)
    assert rate is not None and rate.persistent and pool is not None and pool.ended > errors.ended + 1800
    [top] = rank_candidates(CHAIN, {"orders": [errors, up, rate, pool]}, {}, [], [], [], END, limit=1)
    assert top.service == "orders" and "traffic_surge_origin" not in top.signals
    assert top.ended == errors.ended


def test_ready_replicas_that_dipped_as_a_restart_began_are_the_restart_not_the_failure():
    errors = detect("error_rate", noisy(0.01, 160, rel=0.2) + noisy(0.4, 28, rel=0.05, seed=2)
                    + noisy(0.01, 52, rel=0.2, seed=3), T0, STEP)
    dip = detect("replicas_ready", [6.0] * 186 + [5.0] * 10 + [6.0] * 44, T0, STEP)
    restart = Deployment("r1", "db", T0 + 187 * STEP, "restart", "v1", "v1", "oncall", "Rolling restart")
    [alone] = rank_candidates(CHAIN, {"db": [errors, dip]}, {}, [], [], [], END, limit=1)
    [fixed] = rank_candidates(CHAIN, {"db": [errors, dip]}, {}, [], [restart], [], END, limit=1)
    assert dip is not None and "replicas_not_ready" in alone.signals and "replicas_not_ready" not in fixed.signals


@pytest.mark.parametrize("first_step,seen", [(170, True), (60, False)])
def test_a_few_rejected_logins_inside_the_services_own_errors_say_what_they_were(first_step, seen):
    """Logs are sampled: two lines of a rejected login while `orders` fails a third of its
    requests say what failed; the same two lines an hour earlier are a rotation that went fine."""
    errors = detect("error_rate", noisy(0.01, 160, rel=0.2) + noisy(0.35, 80, rel=0.05, seed=2), T0, STEP)
    logs = {"orders": LogEvidence(peer_failures={"db": ("auth", 2, T0 + first_step * STEP)})}
    ranked = rank_candidates(CHAIN, {"orders": [errors]}, logs, [], [], [], END, limit=2)
    assert ranked[0].service == "orders" and ("credentials_rejected" in ranked[0].signals) == seen


def test_extra_traffic_that_ended_downstream_came_from_the_caller_whose_traffic_fell_with_it():
    """A surge at `edge` under way when the window began, over after twelve minutes. `edge` and
    `db` failed until then; `orders`, between them, only carried the traffic on: all three had
    half their traffic less after. The surge began at `edge`, not at `db`."""
    def rate(level: float, seed: int):
        return detect("request_rate", noisy(3 * level, 48, rel=0.02, seed=seed)
                      + noisy(level, 192, rel=0.02, seed=seed + 1), T0, STEP)

    def errors(seed: int):
        return detect("error_rate", noisy(0.4, 48, rel=0.05, seed=seed) + noisy(0.01, 192, rel=0.2, seed=seed + 1),
                      T0, STEP)

    seen = {"edge": [errors(1), rate(300.0, 2)], "orders": [rate(250.0, 4)], "db": [errors(6), rate(200.0, 8)]}
    ranked = rank_candidates(CHAIN, seen, {}, [], [], [], END, limit=3)
    assert ranked[0].service == "edge" and "traffic_surge_origin" in ranked[0].signals
    db = next(c for c in ranked if c.service == "db")
    assert "traffic_surge_origin" not in db.signals


def test_memory_that_jumped_with_a_cpu_hog_and_fell_back_is_no_leak():
    # A CPU hog starts: CPU stays high, memory jumps with it and gives most of it back at once.
    cpu = detect("cpu_percent", noisy(26.0, 232, rel=0.03) + noisy(85.0, 8, rel=0.02, seed=2), T0, STEP)
    jumped = noisy(12.0, 232, rel=0.01) + [70.0, 69.0] + noisy(20.0, 6, rel=0.01, seed=3)
    memory = detect("memory_percent", jumped, T0, STEP)
    assert memory is not None and not memory.persistent
    [c] = rank_candidates(CHAIN, {"db": [cpu, memory]}, {}, [], [], [], END, limit=1)
    assert "cpu_saturation" in c.signals and "memory_growth" not in c.signals
    leak = detect("memory_percent", noisy(12.0, 228, rel=0.01) + [16.0 + 4 * i for i in range(12)], T0, STEP)
    [c] = rank_candidates(CHAIN, {"db": [cpu, leak]}, {}, [], [], [], END, limit=1)
    assert leak.persistent and "memory_growth" in c.signals


def test_a_failure_under_way_when_the_window_began_began_no_later_than_its_alert():
    """Errors past the critical line from the first sample: the series cannot say when it began,
    but the alert that has fired since 25 minutes before the window can; the release two minutes
    before that alert is then what came before the failure."""
    from array import array

    from mcp_server.investigation import Investigation
    from telemetry.records import MetricSeries
    from telemetry.store import TelemetryStore

    errors = MetricSeries("db", "error_rate", "ratio", T0, STEP, array("d", noisy(0.35, 240, rel=0.05)))
    alert = Alert("HighErrorRate", "db", "critical", T0 - 1500, None, "", "", 0.35,
                  metric="error_rate", op=">", threshold=0.1)
    release = Deployment("d1", "db", T0 - 1620, "deployment", "v2", "v1", "ci", "")
    store = TelemetryStore("t", CHAIN, T0 - 3600, END, series={("db", "error_rate"): errors},
                           alert_records=[alert], deployment_records=[release])
    [c] = Investigation(store, T0, END).candidates(limit=1)
    assert c.service == "db" and c.onset == alert.starts_at and "deploy_before_onset" in c.signals


def test_ready_replicas_that_rose_with_a_scale_out_were_no_outage_before_it():
    """Two replicas wanted and ready, then four wanted and ready: capacity added, nothing lost.
    Two of four ready, with four wanted all along, is half of them gone."""
    from array import array

    from mcp_server.investigation import Investigation
    from telemetry.records import MetricSeries
    from telemetry.store import TelemetryStore

    def ready(desired: list[float], ready: list[float]):
        series = {("db", "replicas_desired"): MetricSeries("db", "replicas_desired", "count", T0, STEP,
                                                           array("d", desired)),
                  ("db", "replicas_ready"): MetricSeries("db", "replicas_ready", "count", T0, STEP,
                                                         array("d", ready))}
        return Investigation(TelemetryStore("t", CHAIN, T0, END, series=series), T0, END).anomaly("db", "replicas_ready")

    scaled = [2.0] * 100 + [4.0] * 140
    assert ready(scaled, scaled) is None
    lost = ready([4.0] * 240, [2.0] * 100 + [4.0] * 140)
    assert lost is not None and lost.direction == "down" and lost.ended is not None


def test_a_callee_whose_extra_traffic_ended_with_its_callers_was_fed_by_it():
    """A surge at the edge, over since: the orders service saturated under the traffic it passed
    on. Its rise shows a minute after the edge's in its noisier series, but both fell back at the
    same moment: it carried the edge's extra traffic, and the edge is where the surge began. (When
    the failure began is read from this episode, not from a blip of the service's half an hour
    before.)"""
    def episode(metric, level, peak, begin, rel=0.02, seed=1):
        values = noisy(level, begin, rel=rel, seed=seed) + noisy(peak, 160 - begin, rel=rel, seed=seed + 1) \
            + noisy(level, 80, rel=rel, seed=seed + 2)
        return detect(metric, values, T0, STEP)

    edge = [episode("request_rate", 100.0, 300.0, 120), episode("error_rate", 0.01, 0.12, 121, rel=0.1, seed=4),
            episode("cpu_percent", 30.0, 80.0, 120, seed=7)]
    orders = [episode("request_rate", 50.0, 150.0, 124, rel=0.08, seed=10),
              episode("error_rate", 0.01, 0.4, 121, rel=0.1, seed=13), episode("cpu_percent", 50.0, 100.0, 120, seed=16),
              # and a blip half an hour before, no part of it
              detect("latency_p50_ms", noisy(30.0, 30) + noisy(200.0, 10) + noisy(30.0, 200, seed=2), T0, STEP)]
    assert all(a is not None and a.ended is not None for a in edge + orders)
    ranked = rank_candidates(CHAIN, {"edge": edge, "orders": orders}, {}, [], [], [], END, limit=2)
    assert ranked[0].service == "edge" and "traffic_surge_origin" in ranked[0].signals


@pytest.mark.parametrize(("minutes_before", "well_before"), [(2, False), (15, True)])
def test_a_change_a_quarter_of_an_hour_before_the_onset_is_a_weaker_suspect(minutes_before, well_before):
    errors = detect("error_rate", noisy(0.01, 160, rel=0.2) + noisy(0.4, 80, rel=0.05, seed=2), T0, STEP)
    release = Deployment("d1", "db", errors.onset - 60 * minutes_before, "deployment", "v2", "v1", "ci", "")
    [c] = rank_candidates(CHAIN, {"db": [errors]}, {}, [], [release], [], END, limit=1)
    assert "deploy_before_onset" in c.signals
    assert ("change_well_before_onset" in c.signals) == well_before


def test_error_lines_that_came_and_went_are_an_episode_that_ended():
    from mcp_server.analysis.log_signals import count_change, error_rates
    from telemetry.records import LogRecord

    burst = [0] * 12 + [9] * 8 + [0] * 10  # thirty buckets of twenty seconds: a burst, and quiet again
    still = [0] * 12 + [9] * 18

    def lines(counts):
        return [LogRecord(T0 + 20 * i + j, "db", "ERROR", "boom", "db-1", "app") for i, c in enumerate(counts)
                for j in range(c)]

    over = error_rates(lines(burst), (T0, 20.0, 30))["db"]
    going = error_rates(lines(still), (T0, 20.0, 30))["db"]
    assert not over.persistent and over.ended == T0 + 20 * 20 and over.current < 1.0
    assert going.persistent and going.ended is None
    assert count_change("error_log_rate", burst, T0, 20.0, rise=True).persistent  # the split alone
