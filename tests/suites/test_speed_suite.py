"""benchmarks/speed.py, the README's speed command, runs from a clone: its --quick mode (the same
code on small sizes) writes every row and target; so does benchmarks/bounds.py, which measures
what bounds the targets. No time is asserted."""

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


def test_the_bounds_script_runs_and_reports_each_part():
    pytest.importorskip("torch", reason="the script's PyTorch columns: pip install torch==2.13.0")
    script = Path(__file__).parents[2] / "benchmarks" / "bounds.py"
    done = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for workload in ("W2", "W3"):
        for part in ("products", "Adam step", "batch gather", "whole training step", "floor"):
            assert any(line.startswith(workload) and part in line for line in lines)
    assert "W6       first product" in done.stdout and "CPU seconds used" in done.stdout
