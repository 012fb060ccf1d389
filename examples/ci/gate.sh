#!/usr/bin/env bash
# edgetk regression gate for CI: is NEW.tflite still deployable wherever BASELINE.tflite was, as exact and as fast?
#
#   gate.sh [--target T]... [--out DIR] [--no-bench] [--rounds N] [--runs N] [--threshold F] [--strict-check]
#           NEW.tflite BASELINE.tflite
#
# 1. `edgetk check NEW --junit`: per-target verdicts of the new model (a target it cannot run is reported;
#    it fails the gate only with --strict-check, because compare judges it against the baseline).
# 2. `edgetk compare NEW BASELINE` without timing: op support per target and numerics. A regression stops here
#    (no point in timing a model that does not run).
# 3. `edgetk compare ... --bench`: latency, noise-aware, where both models run (compare skips the other
#    targets with a finding). Only measured figures (a real device, or the host target) and MCU estimates
#    can fail the gate; emulated (qemu) and host-run (TFLM on this machine) timings are reported as
#    "relative comparison only" warnings (every latency in compare-bench.json carries its `timing`).
# Outputs in DIR (default gate-out): check.json, check.junit.xml, compare.json, compare.junit.xml,
# compare.html (+ compare-bench.* when timed). Exit: 0 pass, 1 regression, anything else = the tool failed
# (edgetk's exit code, docs/EXIT_CODES.md). `edgetk` must be on PATH.
set -euo pipefail

usage() { sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

targets=()
out="gate-out"
bench=1
rounds=4
runs=10
threshold=0.1
strict_check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target|-t) [ $# -ge 2 ] || usage; targets+=("$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    --no-bench) bench=0; shift ;;
    --rounds) [ $# -ge 2 ] || usage; rounds="$2"; shift 2 ;;
    --runs) [ $# -ge 2 ] || usage; runs="$2"; shift 2 ;;
    --threshold) [ $# -ge 2 ] || usage; threshold="$2"; shift 2 ;;
    --strict-check) strict_check=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "gate: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
new="$1"
baseline="$2"
[ ${#targets[@]} -gt 0 ] || targets=(rpi4-arm64 cortex-m4)
mkdir -p -- "$out"

target_args=()
for t in "${targets[@]}"; do target_args+=(--target "$t"); done

# Runs edgetk, echoing the command on stderr (stdout may be a JSON file); returns its exit code without tripping `set -e`.
run() {
  { printf '$ edgetk'; printf ' %q' "$@"; printf '\n'; } >&2
  local rc=0
  edgetk "$@" || rc=$?
  return "$rc"
}

echo "== check: can each target run the new model?"
rc=0
run check "${target_args[@]}" --junit "$out/check.junit.xml" --json -- "$new" > "$out/check.json" || rc=$?
case "$rc" in
  0) echo "check: every target runs $new" ;;
  1) echo "check: some target cannot run $new (see $out/check.junit.xml)"
     [ "$strict_check" -eq 0 ] || { echo "gate: FAILED (--strict-check)"; exit 1; } ;;
  *) echo "gate: edgetk check could not run (exit $rc)" >&2; exit "$rc" ;;
esac

echo "== compare: op support and numerics against the baseline"
rc=0
run compare "${target_args[@]}" --threshold "$threshold" --junit "$out/compare.junit.xml" \
  --html "$out/compare.html" --out "$out/compare.json" -- "$new" "$baseline" || rc=$?
case "$rc" in
  0) ;;
  1) echo "gate: REGRESSION in op support or numerics (see $out/compare.junit.xml, $out/compare.html)"; exit 1 ;;
  *) echo "gate: edgetk compare could not run (exit $rc)" >&2; exit "$rc" ;;
esac

if [ "$bench" -eq 1 ]; then
  # compare --bench times only where both models run; other targets get a "not benchmarked" finding.
  echo "== latency on: ${targets[*]}"
  rc=0
  run compare "${target_args[@]}" --bench --rounds "$rounds" --runs "$runs" --threshold "$threshold" \
    --junit "$out/compare-bench.junit.xml" --html "$out/compare-bench.html" --out "$out/compare-bench.json" \
    -- "$new" "$baseline" || rc=$?
  case "$rc" in
    0) ;;
    1) echo "gate: REGRESSION in latency or a crash while timing (see $out/compare-bench.junit.xml, $out/compare-bench.html)"
       exit 1 ;;
    *) echo "gate: edgetk compare --bench could not run (exit $rc)" >&2; exit "$rc" ;;
  esac
fi
echo "gate: PASS ($new vs $baseline on ${targets[*]})"
