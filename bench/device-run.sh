# The GPU-machine runs behind the measurement log (bench/results.jsonl), in stages that each fit
# one device call (at most 10 minutes). Usage there, after `npm run build`, `node scripts/build.mjs
# --tests` and the TF.js bundle (dist/bench/tfjs.js, which `npm run bench` makes here) were carried:
#   source .gpu/on-device.sh && bash bench/device-run.sh OUTDIR STAGE
# STAGE:
#   tests  the whole suite (cold pipeline caches make the first run of it slow: ~4 min)
#   bench  the full bench (BENCH_COMMIT names the tree; the machine's .git may be stale)
#   ab     BASE=path/to/other/dist/node/index.js (relative to bench/, carried too; BASE_COMMIT
#          names its commit; NEW likewise for the new build, default ../dist/node/index.js):
#          dense 4096³ and the MoE MLP in both builds alternated, float16 and
#          float32 (bench/tc-sweep.mjs), then bench/moe-parts.mjs granular float16 and medium
#          float32 in each
#   anchor bench/torch-anchor.py (PyTorch eager and compiled, ScatterMoE when SCATTERMOE names
#          its package's directory; ANCHOR_ONLY=demo, moe or dense for some parts) and our demo step
#          (ONLY: other bench/run.mjs workloads, e.g. "demo model|MoE")
# Each stage prints a short summary last; full output goes to OUTDIR. bench and ab also write
# OUTDIR/results.jsonl: back here, `cat OUTDIR/results.jsonl >> bench/results.jsonl` and
# `node bench/summarize.mjs` add them to the log and to bench/RESULTS.md.
set -u
out=${1:?OUTDIR}
stage=${2:?STAGE}
summary() { grep -v '^Warning' "$1" | grep -E "$2" | tail -"${3:-20}"; }
case "$stage" in
  tests)
    timeout 540 node --expose-gc dist/test/run.js > "$out/tests.txt" 2>&1
    summary "$out/tests.txt" 'passed|FAIL|✘|differ' ;;
  bench)
    timeout 540 node bench/run.mjs --json "$out/bench.json" --log "$out/results.jsonl" > "$out/bench.txt" 2>&1
    summary "$out/bench.txt" '^\|' 40 ;;
  ab)
    new=${NEW:-../dist/node/index.js}
    group="ab-$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    # Which build a row timed, for the log: base (BASE_COMMIT) or new (BENCH_COMMIT, else the checkout's).
    tag() { if [ "$1" = "$new" ]; then echo "--build new ${BENCH_COMMIT:+--commit $BENCH_COMMIT}"; else echo "--build base ${BASE_COMMIT:+--commit $BASE_COMMIT}"; fi; }
    for dt in float16 float32; do
      for lib in "${BASE:?BASE}" $new "$BASE" $new; do
        # shellcheck disable=SC2046
        echo "## $dt $lib"; timeout 120 node bench/tc-sweep.mjs --lib "$lib" --dtype $dt --dense 4096 --configs small,medium,granular \
          --log "$out/results.jsonl" --group "$group" $(tag "$lib") 2>&1 | grep -v '^Warning'
      done
    done > "$out/ab-sweep.txt"
    for cfg in "granular float16" "medium float32"; do
      for lib in "$BASE" $new; do
        echo "## moe-parts $cfg $lib"; timeout 90 node bench/moe-parts.mjs $cfg --lib "$lib" 2>&1 | grep -v '^Warning'
      done
    done > "$out/ab-parts.txt"
    cat "$out/ab-sweep.txt" | grep -v '^#' ; grep -E '^## |dgates|combine|gelu|full step ' "$out/ab-parts.txt" ;;
  anchor)
    # The same-call comparison: PyTorch (eager, torch.compile) and ScatterMoE (SCATTERMOE: a
    # directory holding its scattermoe package) against our demo step and MoE MLP.
    node bench/demo-init.mjs "$out/demo-init.safetensors"
    timeout 240 python3 bench/torch-anchor.py --out "$out" --init "$out/demo-init.safetensors" --only "${ANCHOR_ONLY:-demo,moe}" \
      ${SCATTERMOE:+--scattermoe "$SCATTERMOE"} ${BENCH_COMMIT:+--commit "$BENCH_COMMIT"} > "$out/anchor.txt" 2>&1
    timeout 260 node bench/run.mjs --only "${ONLY:-demo model}" --no-tfjs --json "$out/ours.json" --log "$out/results.jsonl" > "$out/ours.txt" 2>&1
    timeout 60 node bench/step-host.mjs 30 --log "$out/results.jsonl" ${BENCH_COMMIT:+--commit "$BENCH_COMMIT"} > "$out/step-host.txt" 2>&1
    cat "$out/anchor.jsonl" >> "$out/results.jsonl" 2>/dev/null
    # One group id for every row of this call: bench/summarize.mjs's same-call table keys on it.
    node -e 'const f=process.argv[1],g=process.argv[2],fs=require("fs");fs.writeFileSync(f,fs.readFileSync(f,"utf8").split("\n").filter(Boolean).map((l)=>JSON.stringify({...JSON.parse(l),group:g})).join("\n")+"\n")' \
      "$out/results.jsonl" "anchor-$(date -u +%Y-%m-%dT%H:%MZ)"
    grep '^|' "$out/anchor.txt"; summary "$out/ours.txt" '^\|' 20; grep -v '^Warning' "$out/step-host.txt" | tail -7 ;;
  *) echo "device-run: unknown stage '$stage' (tests, bench, ab, anchor)" >&2; exit 2 ;;
esac
