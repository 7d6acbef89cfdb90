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
            services=8, alerting=()):
    return scoring.CaseResult(case="c", source="s", truth_service=truth, truth_fault=fault if truth else "none",
                              predicted_service=predicted, predicted_fault=predicted_fault,
                              candidates=list(candidates), remediation=list(remediation), services=services,
                              alerting_ranking=list(alerting))


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
    for cases in (quick, full, matrix.heldout()):
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
