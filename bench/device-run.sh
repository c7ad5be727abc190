# The GPU-machine runs behind bench/RESULTS.md, in stages that each fit one device call
# (at most 10 minutes). Usage there, after `npm run build`, `node scripts/build.mjs --tests`
# and the TF.js bundle (dist/bench/tfjs.js, which `npm run bench` makes here) were carried:
#   source .gpu/on-device.sh && bash bench/device-run.sh OUTDIR STAGE
# STAGE:
#   tests  the whole suite (cold pipeline caches make the first run of it slow: ~4 min)
#   xty    groupXtY's second loop (SCATTERGRAD_TC_XTY=v2) on the real subgroup matrices: the
#          MoE tests with it, then the f16 MoE MLP with v1 and v2 alternated in one process
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
  xty)
    SCATTERGRAD_TC_XTY=v2 timeout 240 node --expose-gc dist/test/run.js moe/ > "$out/tests-xty-v2.txt" 2>&1
    summary "$out/tests-xty-v2.txt" 'passed|FAIL|differ' 8
    timeout 240 node bench/tc-sweep.mjs --configs small,medium,granular --variants default,xv2,default,xv2 > "$out/sweep-xty.txt" 2>&1
    cat "$out/sweep-xty.txt" ;;
  bench)
    timeout 540 node bench/run.mjs --json "$out/bench.json" > "$out/bench.txt" 2>&1
    summary "$out/bench.txt" '^\|' 40 ;;
  *) echo "device-run: unknown stage '$stage' (tests, xty, bench)" >&2; exit 2 ;;
esac
