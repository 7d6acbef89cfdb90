"""The guardrails package loads each check on first use, and still offers every name."""

import subprocess
import sys

import pytest

import guardrails


def test_every_public_name_resolves_and_unknown_names_fail_clearly():
    for name in guardrails.__all__:
        assert getattr(guardrails, name) is not None
    assert set(guardrails.__all__) <= set(dir(guardrails))
    assert guardrails.check_proposal("scale", "api", {"replicas": 0}).allowed is False
    assert guardrails.sanitize("token=abcdef123") == "token=[REDACTED]"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        guardrails.nope  # noqa: B018


def test_importing_the_package_compiles_no_check():
    code = ("import sys, guardrails; from guardrails import sanitize; "
            "print(sorted(m for m in sys.modules if m.startswith('guardrails.')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "['guardrails.secrets', 'guardrails.text_folding', 'guardrails.untrusted_text']"
