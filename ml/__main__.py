"""Run the command line: ``python -m ml --help``."""

import sys

from ml.cli import main

sys.exit(main())
