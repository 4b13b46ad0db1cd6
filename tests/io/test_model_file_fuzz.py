"""The structure-aware fuzzer of the model format (fuzz_model_files.py), run in a child process
with its address space capped and a time limit: every mutated file loads into a model that
predicts finite numbers, or raises ml.InvalidModelFile. CI runs a few hundred examples; set
ML_FUZZ_EXAMPLES for a longer run (and ML_FUZZ_SEED for other examples)."""

import os
import subprocess
import sys
from pathlib import Path

FUZZER = Path(__file__).with_name("fuzz_model_files.py")


def test_mutated_model_files_load_or_are_refused():
    examples = os.environ.get("ML_FUZZ_EXAMPLES", "300")
    seed = os.environ.get("ML_FUZZ_SEED", "0")
    result = subprocess.run(
        [sys.executable, str(FUZZER), examples, seed],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert f"fuzz: {examples} examples" in result.stdout
