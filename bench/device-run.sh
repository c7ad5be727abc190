# The GPU-machine run behind bench/RESULTS.md: matmul tests, a tile sweep for f32 4096³
# (tune.mjs), the f16 kernels, then the full bench with the fastest f32 tile.
# Usage there: source .gpu/on-device.sh && bash bench/device-run.sh OUTDIR
out=${1:-/tmp}
timeout 90 node --expose-gc dist/test/run.js matmul > "$out/test.txt" 2>&1; grep -v '^Warning' "$out/test.txt" | grep -E 'passed|FAIL|✘|skipped' | head
best=""; bestT=0
for c in 128x128x16:8x8 128x256x8:8x16 128x128x16:4x8 64x128x16:8x8 128x128x8:8x8; do
  line=$(SCATTERGRAD_MATMUL_TILE=$c timeout 30 node bench/tune.mjs 4096 2>&1 | grep TFLOP); echo "$line"
  t=$(echo "$line" | sed -E 's/.* ([0-9.]+) TFLOP.*/\1/')
  if [ -n "$t" ] && awk "BEGIN{exit !($t > $bestT)}"; then best=$c; bestT=$t; fi
done
echo "best f32 tile: $best ($bestT TFLOP/s)"
for l in nn tn nt; do timeout 30 node bench/tune.mjs 4096 float16 $l 2>&1 | grep -E 'TFLOP|error:' | head -3; done
SCATTERGRAD_NO_SUBGROUP_MATRIX=1 timeout 30 node bench/tune.mjs 4096 float16 2>&1 | grep TFLOP
SCATTERGRAD_MATMUL_TILE=$best timeout 240 node bench/run.mjs --json "$out/bench.json" > "$out/bench.txt" 2>&1; grep -E '^\||^scattergrad|^features' "$out/bench.txt"
