"""Make the helper module ``randprog`` importable by the tests in this directory.

The project runs pytest with ``--import-mode=importlib``, which does not put test directories
on ``sys.path``; the random-program tests import ``randprog`` as a plain module.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
