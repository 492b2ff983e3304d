#!/bin/sh
# Run the atheris targets for SECONDS each (issue 7; docs/security.md "Fuzzing").
#   fuzz/run.sh SECONDS [TARGET...]      targets: qr_envelope sdjwt statuslist (default: all)
# Corpus and crash artifacts go under $FUZZ_WORK (default /tmp/elicense-fuzz); a crash
# exits non-zero with the input saved as $FUZZ_WORK/artifacts/<target>-crash-*.
# Prints "<target>: <runs> runs in <s> s" per target from libFuzzer's final line.
set -eu
SECONDS_EACH=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-$HERE/../.venv/bin/python}
WORK=${FUZZ_WORK:-/tmp/elicense-fuzz}
TARGETS=${*:-qr_envelope sdjwt statuslist}
status=0
for t in $TARGETS; do
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts"
    log="$WORK/$t.log"
    if "$PY" "$HERE/fuzz_$t.py" "$WORK/corpus/$t" -max_total_time="$SECONDS_EACH" \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$WORK/artifacts/$t-" \
        -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")
        echo "$t: ${runs:-? runs} (log $log)"
    else
        status=1
        echo "$t: CRASH, see $log and $WORK/artifacts/" >&2
        tail -40 "$log" >&2
    fi
done
exit $status
