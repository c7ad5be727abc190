# The GPU-machine runs behind bench/RESULTS.md, in stages that each fit one device call
# (at most 10 minutes). Usage there, after `npm run build`, `node scripts/build.mjs --tests`
# and the TF.js bundle (dist/bench/tfjs.js, which `npm run bench` makes here) were carried:
#   source .gpu/on-device.sh && bash bench/device-run.sh OUTDIR STAGE
# STAGE:
#   tests  the whole suite (cold pipeline caches make the first run of it slow: ~4 min)
#   bench  the full bench (BENCH_COMMIT names the tree; the machine's .git may be stale)
# Each stage prints a short summary last; full output goes to OUTDIR.
set -u
out=${1:?OUTDIR}
stage=${2:?STAGE}
summary() { grep -v '^Warning' "$1" | grep -E "$2" | tail -"${3:-20}"; }
case "$stage" in
  tests)
    timeout 540 node --expose-gc dist/test/run.js > "$out/tests.txt" 2>&1
    summary "$out/tests.txt" 'passed|FAIL|✘|differ' ;;
  bench)
    timeout 540 node bench/run.mjs --json "$out/bench.json" > "$out/bench.txt" 2>&1
    summary "$out/bench.txt" '^\|' 40 ;;
  *) echo "device-run: unknown stage '$stage' (tests, bench)" >&2; exit 2 ;;
esac
