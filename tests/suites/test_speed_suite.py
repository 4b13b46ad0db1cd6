"""benchmarks/speed.py, the README's speed command, runs from a clone: its --quick mode (the same
code on small sizes) writes every row and target. No time is asserted."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


def test_the_speed_suite_runs_and_reports_every_workload(tmp_path):
    pytest.importorskip("torch", reason="the suite's PyTorch columns: pip install torch==2.13.0")
    script = Path(__file__).parents[2] / "benchmarks" / "speed.py"
    out = tmp_path / "speed.json"
    command = [sys.executable, str(script), "--quick", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    seen = {(row["workload"], row["library"]) for row in result["rows"]}
    for workload in ("W1", "W2", "W3", "W6", "W6 one row"):
        assert {(workload, lib) for lib in ("ml", "scikit-learn", "PyTorch")} <= seen
    assert {("W4", "ml"), ("W4", "PyTorch"), ("W5", "ml"), ("W5", "PyTorch")} <= seen
    assert {row["library"] for row in result["memory"]} == {"ml", "PyTorch"}
    assert len(result["targets"]) == 10 and result["gemm_gflops"] > 0
    assert all(t["low"] <= t["value"] <= t["high"] for t in result["targets"])
    assert "targets (median of 1 runs" in done.stdout and "GFLOP/s" in done.stdout
