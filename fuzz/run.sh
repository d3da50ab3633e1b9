#!/usr/bin/env bash
# Run every fuzz target (fuzz/fuzz_*.py) for SECONDS each, going on past crashes,
# and print a summary to paste into a note: executions, exec/s, coverage, and the
# distinct crashes by kind (each kept, smallest input first, in fuzz/found/TARGET/).
#
#   fuzz/run.sh 1800            # the 30-minute run of every target
#   fuzz/run.sh 60 fuzz_cg      # one target, one minute
#
# The corpus grows in fuzz/corpus/TARGET/ (seeds: fuzz/seeds/); the log of a run is
# fuzz/found/TARGET/log.txt. PYTHON names the interpreter (default .venv/bin/python).
set -u
cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
python=${PYTHON:-.venv/bin/python}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for file in fuzz/fuzz_*.py; do targets+=("$(basename "$file" .py)"); done
fi
status=0
for target in "${targets[@]}"; do
    found=fuzz/found/$target
    rm -rf "$found"
    mkdir -p "fuzz/corpus/$target" "$found"
    CG_FUZZ_CRASHES=$found "$python" "fuzz/$target.py" \
        -max_total_time="$seconds" -max_len=4096 -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$found/" \
        "fuzz/corpus/$target" fuzz/seeds fuzz/crashes >"$found/log.txt" 2>&1
    code=$?
    "$python" - "$target" "$found" "$code" <<'PY' || status=1
import re, sys
from collections import Counter
target, found, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = open(f"{found}/log.txt", errors="replace").read()
runs = re.findall(r"Done (\d+) runs in (\d+) second", log)
stats = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)/", log)
executions, seconds = map(int, runs[-1]) if runs else (0, 0)
cov, ft, corpus = stats[-1] if stats else ("?", "?", "?")
crashes = []
try:
    lines = open(f"{found}/summary.tsv").read().splitlines()[1:]
    crashes = [line.split("\t", 2) for line in lines]
except FileNotFoundError:
    pass
died = re.search(r"ERROR: libFuzzer: ([\w-]+)|Uncaught Python exception", log)
print(f"## {target}: {seconds} s, {executions:,} executions, "
      f"{executions / max(seconds, 1):,.0f} exec/s, coverage {cov} edges ({ft} features), "
      f"corpus {corpus} inputs")
kinds = Counter(signature.split(":")[0] for _, _, signature in crashes)
print(f"distinct crashes: {len(crashes)}"
      + (" (" + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())) + ")" if kinds else ""))
for hits, size, signature in sorted(crashes, key=lambda c: c[2]):
    print(f"  {int(hits):>7,} hits  {int(size):>5} bytes  {signature}")
if died or (code != 0 and not runs):
    print(f"the run stopped early: {died.group(0) if died else f'exit {code}'} (see {found}/log.txt)")
sys.exit(1 if crashes or died or not runs else 0)
PY
done
exit $status
