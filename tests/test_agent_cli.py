"""`aiops-agent` from the outside: clear errors, exit codes, outputs, the interactive menu."""

import io
import json
import os
import subprocess
import sys

import pytest

from agent_client import cli
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # real subprocesses: servers and CLIs


def _cli(*args, timeout=180):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}  # offline, whatever the host
    return subprocess.run([sys.executable, "-m", "agent_client.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def test_unknown_scenario_is_a_clear_usage_error():
    proc = _cli("run", "nope")
    assert proc.returncode == 2
    assert "unknown scenario 'nope'" in proc.stderr and "deployment_regression" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_spec_files_name_the_problem(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    proc = _cli("run", "--scenario-file", str(broken))
    assert proc.returncode == 2 and "broken.json: not valid JSON" in proc.stderr
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"faults": [{"type": "memory_leak", "service": "ghost", "start_minute": 5}]}))
    proc = _cli("run", "--scenario-file", str(wrong))
    assert proc.returncode == 2 and "faults[0].service" in proc.stderr and "'ghost'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_model_without_a_key_is_refused():
    proc = _cli("run", "cpu_spike", "--model", "openai/gpt-5-mini")
    assert proc.returncode == 2 and "OPENROUTER_API_KEY" in proc.stderr


def test_unreachable_server_url_fails_cleanly():
    proc = _cli("run", "--server-url", "http://127.0.0.1:9/mcp", "--model", "offline", timeout=120)
    assert proc.returncode == 1 and "cannot reach the MCP server" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_running_server_says_which_scenarios_it_loads(http_server):
    listed = _cli("scenarios", "--server-url", http_server)
    assert listed.returncode == 0 and "memory_leak" in listed.stdout and "dns_failure" in listed.stdout
    unknown = _cli("run", "nope", "--server-url", http_server, "--model", "offline")
    assert unknown.returncode == 2 and "the server's presets: " in unknown.stderr and "Traceback" not in unknown.stderr
    switched = _cli("run", "memory_leak", "--server-url", http_server, "--model", "offline", "--quiet")
    assert switched.returncode == 0 and "order-service (memory_leak" in switched.stdout


def test_no_arguments_without_a_terminal_prints_help():
    proc = _cli()
    assert proc.returncode == 2 and "usage: aiops-agent" in proc.stdout


def test_scenarios_lists_presets_and_fault_types():
    out = io.StringIO()
    assert cli.list_scenarios(out) == 0
    text = out.getvalue()
    assert "deployment_regression" in text and "credential_failure" in text


def test_run_writes_json_and_markdown(tmp_path):
    proc = _cli("run", "cpu_spike", "--quiet", "--json", str(tmp_path / "r.json"), "--markdown",
                str(tmp_path / "r.md"))
    assert proc.returncode == 0, proc.stderr
    assert "INCIDENT REPORT" in proc.stdout and "AGENT:" not in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["root_cause"]["service"] == "payment-service"
    assert (tmp_path / "r.md").read_text().startswith("# payment-service")


def test_interactive_menu_handles_bad_choices_and_quits(monkeypatch):
    ran = []
    monkeypatch.setattr(cli, "run_command", lambda args: ran.append(args.scenario) or 0)
    out = io.StringIO()
    code = cli.interactive(stdin=io.StringIO("42\nbanana\n2\nq\n"), stdout=out)
    assert code == 0
    text = out.getvalue()
    assert "'42' is not on the menu" in text and "'banana' is not on the menu" in text
    assert ran == ["deployment_regression"]
    assert "1. memory_leak" in text


def test_run_investigates_a_directory_of_telemetry_files(tmp_path):
    from simulators import preset_spec, simulate
    from simulators.export import export_all
    from tests.conftest import FIXED_END

    sim = simulate(preset_spec("cpu_spike", end_time=FIXED_END))
    export_all(sim.store, tmp_path / "case", rules=sim.alert_rules)
    proc = _cli("run", "--data", str(tmp_path / "case"), "--model", "offline", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "payment-service (cpu_saturation" in proc.stdout
    missing = _cli("run", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and str(tmp_path / "nowhere") in missing.stderr and "not a directory" in missing.stderr
    both = _cli("run", "cpu_spike", "--data", str(tmp_path / "case"))
    assert both.returncode == 2 and "one of" in both.stderr
