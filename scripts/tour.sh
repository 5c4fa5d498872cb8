#!/usr/bin/env bash
# A five-minute tour of the engine from the command line (make demo).
set -euo pipefail
cd "$(dirname "$0")/.."
NESY=.venv/bin/nesy
for program in examples/programs/*.pl; do
  echo "== $program"
  sed -n '1p' "$program"
  echo "\$ nesy query $program"
  $NESY query "$program"
  echo
done
echo "== the same answers as JSON"
echo "\$ nesy query examples/programs/alarm.pl --json"
$NESY query examples/programs/alarm.pl --json
echo
echo "== an explanation: proofs with the rules that fired, influence, why not"
echo "\$ nesy explain examples/programs/screening.pl 'biopsy(bob)'"
$NESY explain examples/programs/screening.pl 'biopsy(bob)'
echo
echo "== the rule checker reports every problem of a file at once"
echo "\$ nesy check tests/symbolic/check/undefined.pl"
$NESY check tests/symbolic/check/undefined.pl || true
echo
echo "== re-evaluating a compiled circuit with new probabilities (Python API)"
.venv/bin/python - <<'PY'
from symbolic import Program

program = Program.from_file("examples/programs/path.pl")
print("path(a,d) =", round(program.query()["path(a,d)"], 6))
for p in (0.1, 0.5, 0.9):
    result = program.query(weights={"edge(c,d)": p})
    print(f"with edge(c,d) = {p}: path(a,d) = {result['path(a,d)']:.6f}")
PY
echo
echo "== learning through logic: the digit CNN trained from sums of pairs alone (3 epochs)"
echo "\$ python examples/digits/learn.py --digits 1 --epochs 3 --quiet"
.venv/bin/python examples/digits/learn.py --digits 1 --epochs 3 --quiet
