"""The evaluation harness: scoring arithmetic, honest case construction, custom spec folders,
and the quick matrix end to end."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from agent_client.config import Settings
from agent_client.eval import matrix, scoring
from agent_client.eval.runner import run_cases
from mcp_server import runbooks
from simulators import FAULT_TYPES
from tests.conftest import ROOT


def _result(truth, predicted, candidates=(), fault="memory_leak", predicted_fault="memory_leak", remediation=(),
            services=8, alerting=(), truths=(), categories=None):
    return scoring.CaseResult(case="c", source="s", truth_service=truth, truth_fault=fault if truth else "none",
                              predicted_service=predicted, predicted_fault=predicted_fault,
                              candidates=list(candidates), remediation=list(remediation), services=services,
                              alerting_ranking=list(alerting), truths=list(truths), categories=categories or {})


TWO = [("a", "memory_leak"), ("b", "dns_failure")]
# (what the analyst said, the truth) -> credit at 1, 3 and 5
CREDIT = [
    ({"predicted": "a", "candidates": ["a", "b"]}, {"truth": "a"}, (1, 1, 1)),
    ({"predicted": "b", "candidates": ["b", "a"]}, {"truth": "a"}, (0, 1, 1)),
    # "no incident" earns nothing for the candidates it left behind
    ({"predicted": None, "candidates": ["a", "b"]}, {"truth": "a"}, (0, 0, 0)),
    ({"predicted": None, "candidates": []}, {"truth": "a"}, (0, 0, 0)),
    # two faults: a hit on either counts at 1; at k, both are wanted
    ({"predicted": "b", "candidates": ["b", "x", "y"]}, {"truth": "a", "truths": TWO}, (1, 0.5, 0.5)),
    ({"predicted": "a", "candidates": ["a", "x", "b"]}, {"truth": "a", "truths": TWO}, (1, 1, 1)),
    ({"predicted": "x", "candidates": ["x", "y", "z", "a"]}, {"truth": "a", "truths": TWO}, (0, 0, 0.5)),
    ({"predicted": None, "candidates": ["a", "b"]}, {"truth": "a", "truths": TWO}, (0, 0, 0)),
]


@pytest.mark.parametrize(("said", "truth", "credit"), CREDIT)
def test_credit_at_k(said, truth, credit):
    r = _result(truth["truth"], said["predicted"], said["candidates"], truths=truth.get("truths", ()))
    assert (r.hits_at(1), r.hits_at(3), r.hits_at(5)) == credit


# (truths, predicted service, predicted type) -> type right, type right counted "when the service is right"
TYPES = [
    (TWO, "a", "memory_leak", True, True),
    (TWO, "a", "dns_failure", False, True),  # the type of another fault is not this service's
    (TWO, "b", "dns_failure", True, True),
    (TWO, "x", "dns_failure", True, False),  # a lucky type on the wrong service
    ([("a", "disk_full")], "a", "config_error", False, True),
]


@pytest.mark.parametrize(("truths", "service", "fault", "right", "counted"), TYPES)
def test_fault_type_accuracy_is_also_reported_when_the_service_is_right(truths, service, fault, right, counted):
    r = _result(truths[0][0], service, [service], predicted_fault=fault, truths=truths)
    assert r.fault_type_right() is right and r.service_right() is counted
    s = scoring.summarize([r])
    assert s["fault_type_accuracy"] == float(right)
    assert s["fault_type_accuracy_when_service_right"] == (float(right) if counted else 0.0)


# (truths, proposals) -> fits, spares healthy services
PROPOSALS = [
    (TWO, ["restart a", "config_change b"], True, True),
    (TWO, ["rollback b"], False, True),  # a rollback does not fit a DNS failure
    (TWO, ["restart a", "restart c"], False, False),
    ([], [], True, True),
    ([], ["scale c"], False, False),
]


@pytest.mark.parametrize(("truths", "proposals", "fits", "spares"), PROPOSALS)
def test_remediation_on_several_faults_and_on_healthy_services(truths, proposals, fits, spares):
    r = _result(truths[0][0] if truths else None, "a", remediation=proposals, truths=truths)
    assert r.remediation_fits() is fits and r.spares_healthy_services() is spares


def test_scores_by_category_with_false_alarms_per_noise_level():
    results = [_result(None, None, categories={"noise": "heavy", "faults": "quiet"}),
               _result(None, "x", categories={"noise": "heavy", "faults": "quiet"}),
               _result("a", "a", ["a"], categories={"noise": "heavy", "faults": "single", "onset": "middle"}),
               _result("a", None, ["a"], categories={"noise": "default", "faults": "single",
                                                     "onset": "before the window"})]
    s = scoring.summarize(results)
    assert s["false_alarms"] == 1 and s["no_fault_false_positive_rate"] == 0.5
    heavy = s["by_category"]["noise"]["heavy"]
    assert (heavy["quiet_cases"], heavy["false_alarms"], heavy["fault_cases"], heavy["AC@1"]) == (2, 1, 1, 1.0)
    assert s["by_category"]["onset"]["before the window"]["AC@1"] == 0.0
    assert "by noise" in scoring.table(s) and "| noise |" in scoring.markdown(s, "t")


def test_ac_at_k_and_avg_at_5():
    results = [_result("a", "a", ["a", "b"]), _result("a", "b", ["b", "a"]), _result("a", "b", ["b", "c", "d", "a"]),
               _result("a", "b", ["b"])]
    s = scoring.summarize(results)
    assert s["AC@1"] == 0.25 and s["AC@3"] == 0.5
    # ranks 1, 2, 4, miss: AC@1..5 = .25 .5 .5 .75 .75 -> mean .55
    assert s["Avg@5"] == pytest.approx(0.55)


def test_remediation_fits_only_the_right_kind_on_the_right_service():
    assert _result("a", "a", fault="bad_deployment", remediation=["rollback a"]).remediation_fits()
    assert not _result("a", "a", fault="bad_deployment", remediation=["restart a"]).remediation_fits()
    assert not _result("a", "a", fault="bad_deployment", remediation=["rollback b"]).remediation_fits()
    assert not _result("a", "a", fault="bad_deployment", remediation=[]).remediation_fits()
    assert _result(None, None).remediation_fits()  # a quiet case needs no action
    assert not _result(None, None, remediation=["scale a"]).remediation_fits()
    # What fits is what the runbooks say, for every fault type.
    for fault in FAULT_TYPES:
        assert all(_result("a", "a", fault=fault, remediation=[f"{k} a"]).remediation_fits()
                   for k in runbooks.RUNBOOKS[fault].actions)


def test_no_fault_false_positives_and_baselines():
    quiet = [_result(None, None), _result(None, "x")]
    faults = [_result("a", "a", ["a"], services=4, alerting=["b", "a"]), _result("c", "c", ["c"], services=10,
                                                                               alerting=["c"])]
    s = scoring.summarize(quiet + faults)
    assert s["no_fault_false_positive_rate"] == 0.5
    assert s["baselines"]["random"]["AC@1"] == pytest.approx((1 / 4 + 1 / 10) / 2, abs=1e-4)
    assert s["baselines"]["most_alerting_service"]["AC@1"] == 0.5
    assert s["baselines"]["most_alerting_service"]["AC@3"] == 1.0


def test_matrices_cover_every_fault_with_opaque_case_names():
    quick = matrix.quick()
    full = matrix.full()
    for cases in (quick, full, matrix.heldout(), matrix.hard_matrix()):
        assert {c.truth_fault for c in cases} >= set(FAULT_TYPES) | {"none"}
        for c in cases:
            assert c.spec["name"] == c.id and c.id.startswith("case-")
            assert "description" not in c.spec
            text = c.id + c.spec["name"]
            assert not any(f in text for f in FAULT_TYPES)
    assert len(full) >= 1000
    sizes = {len(c.services) for c in full}
    assert max(sizes) >= 40 and 24 in sizes  # generated topologies with other names
    assert len({c.id for c in full}) == len(full)


def test_the_hard_matrix_covers_what_breaks_a_diagnosis():
    cases = matrix.hard_matrix()
    assert len(cases) == 200 and len({c.id for c in cases}) == 200
    fault_cases = [c for c in cases if c.truths]
    assert {t for c in fault_cases for _, t in c.truths} == set(FAULT_TYPES)
    assert all(12 <= len(c.services) <= 40 for c in cases)

    def count(category, value):
        return sum(c.categories.get(category) == value for c in cases)

    assert count("onset", "before the window") >= 20 and count("onset", "first 5 minutes") >= 20
    assert count("onset", "last 10 minutes") >= 20 and count("recovered", "recovered") >= 30
    assert count("faults", "multi") == 30 and all(len(c.truths) == 2 for c in cases if c.categories["faults"] == "multi")
    quiet = [c for c in cases if not c.truths]
    assert {c.categories["noise"] for c in quiet} == {"default", "moderate", "heavy"} and len(quiet) == 40
    assert {c.categories["position"] for c in fault_cases} >= {"entry point", "leaf", "single callee", "middle"}
    assert {c.categories["noise"] for c in fault_cases} >= {"none", "low", "default", "moderate", "heavy", "extreme"}
    heldout = matrix.hard_heldout()
    assert len(heldout) == 200 and not {c.id for c in heldout} & {c.id for c in cases}


def test_every_named_matrix_is_a_cli_choice():
    from agent_client.eval.cli import MATRIX_NAMES

    assert MATRIX_NAMES == tuple(matrix.MATRICES)


@pytest.mark.slow
def test_eval_on_a_folder_of_specs_writes_per_case_results(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.json").write_text(json.dumps({"seed": 4, "end_time": "2026-11-26T12:00:00Z", "faults": [
        {"type": "disk_full", "service": "database-proxy", "start_minute": 12}]}))
    (specs / "b.toml").write_text('seed = 9\nend_time = "2026-11-26T12:00:00Z"\n[[faults]]\ntype = "config_error"\n'
                                  'service = "payment-service"\nstart_minute = 20\n')
    (specs / "quiet.json").write_text(json.dumps({"seed": 2, "end_time": "2026-11-26T12:00:00Z", "faults": []}))
    (specs / "broken.json").write_text("{oops")
    out = tmp_path / "results.json"
    md = tmp_path / "summary.md"
    proc = subprocess.run([sys.executable, "-m", "agent_client.cli", "eval", "--specs", str(specs), "--out", str(out),
                           "--markdown", str(md)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    by_case = {c["case"]: c for c in data["cases"]}
    assert set(by_case) == {"a.json", "b.toml", "quiet.json", "broken.json"}
    a = by_case["a.json"]
    assert (a["truth_service"], a["truth_fault"]) == ("database-proxy", "disk_full")
    assert (a["predicted_service"], a["predicted_fault"]) == ("database-proxy", "disk_full")
    assert a["candidates"][0] == "database-proxy" and a["cost"]["tool_calls"] > 10
    assert by_case["b.toml"]["predicted_fault"] == "config_error"
    assert by_case["quiet.json"]["predicted_service"] is None
    assert "not valid JSON" in by_case["broken.json"]["error"]
    assert data["scores"]["AC@1"] == 1.0 and data["scores"]["errors"] == 1
    assert "| analyst |" in md.read_text()


@pytest.mark.slow
def test_eval_rejects_a_missing_folder():
    proc = subprocess.run([sys.executable, "-m", "agent_client.cli", "eval", "--specs", "/no/such/dir"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not a folder" in proc.stderr


@pytest.mark.slow
def test_quick_matrix_meets_the_targets():
    results = asyncio.run(run_cases(matrix.quick(), Settings(api_key=None, base_url="", model="offline")))
    s = scoring.summarize(results)
    print("\n" + scoring.table(s))
    assert s["errors"] == 0
    assert s["AC@1"] >= 0.95 and s["AC@3"] >= 0.99
    assert s["fault_type_accuracy"] >= 0.9
    assert s["no_fault_false_positive_rate"] == 0.0
    assert s["remediation_appropriate"] >= 0.9
    assert s["AC@1"] > s["baselines"]["most_alerting_service"]["AC@1"]


def test_the_hard_recipe_draws_a_fresh_sample_from_any_seed():
    fresh = matrix.hard_from_seed(31337)
    assert len(fresh) == 200 and all(c.id.startswith("case-") for c in fresh)
    assert {c.id for c in fresh}.isdisjoint(c.id for c in matrix.hard_matrix())


@pytest.mark.slow
def test_eval_seed_needs_the_hard_matrix():
    proc = subprocess.run([sys.executable, "-m", "agent_client.cli", "eval", "--seed", "5"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--matrix hard" in proc.stderr
