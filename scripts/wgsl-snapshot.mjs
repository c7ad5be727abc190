// Checks that a change to the kernel code keeps the generated WGSL byte-identical.
//   node scripts/wgsl-snapshot.mjs record OUT.json [--dist DIR] [filter...]
//     runs the built tests (DIR/run.js, default dist/test) with SCATTERGRAD_WGSL_SNAPSHOT=OUT.json:
//     every dispatch's pipeline key and WGSL is written there (test/wgsl-snapshot.ts).
//   node scripts/wgsl-snapshot.mjs compare OLD.json NEW.json
//     compares two snapshots: WGSL texts found in one and not the other, keys that changed
//     (matched through identical WGSL), and keys that stand for more than one kernel.
// Exits 1 when the WGSL texts differ or a key stands for two kernels.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve, join } from 'node:path';

const [cmd, ...rest] = process.argv.slice(2);

if (cmd === 'record') {
  const out = resolve(rest.shift());
  let dist = 'dist/test';
  const i = rest.indexOf('--dist');
  if (i >= 0) dist = rest.splice(i, 2)[1];
  const r = spawnSync(process.execPath, ['--expose-gc', join(dist, 'run.js'), ...rest], {
    stdio: 'inherit', env: { ...process.env, SCATTERGRAD_WGSL_SNAPSHOT: out },
  });
  process.exit(r.status ?? 1);
} else if (cmd === 'compare') {
  const [a, b] = rest.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  let bad = false;
  for (const [name, snap] of [['old', a], ['new', b]]) {
    for (const [k, codes] of Object.entries(snap)) {
      if (codes.length > 1) { bad = true; console.log(`${name}: key ${k} stands for ${codes.length} different kernels`); }
    }
  }
  // WGSL text -> the keys it was dispatched under.
  const index = (snap) => {
    const m = new Map();
    for (const [k, codes] of Object.entries(snap)) for (const c of codes) m.set(c, [...(m.get(c) ?? []), k]);
    return m;
  };
  const ia = index(a);
  const ib = index(b);
  const onlyA = [...ia.keys()].filter((c) => !ib.has(c));
  const onlyB = [...ib.keys()].filter((c) => !ia.has(c));
  for (const c of onlyA) console.log(`only in old: the kernel of ${ia.get(c).join(', ')}`);
  for (const c of onlyB) console.log(`only in new: the kernel of ${ib.get(c).join(', ')}`);
  if (onlyA.length || onlyB.length) bad = true;
  let renamed = 0;
  for (const [c, ka] of ia) {
    const kb = ib.get(c);
    if (!kb) continue;
    const sa = [...ka].sort().join(' | ');
    const sb = [...kb].sort().join(' | ');
    if (sa !== sb) { renamed++; console.log(`key changed: ${sa}  ->  ${sb}`); }
  }
  console.log(`${ia.size} kernels in old (${Object.keys(a).length} keys), ${ib.size} in new (${Object.keys(b).length} keys); ` +
    `${onlyA.length} only in old, ${onlyB.length} only in new, ${renamed} under another key`);
  process.exit(bad ? 1 : 0);
} else {
  console.error('usage: node scripts/wgsl-snapshot.mjs record OUT.json [--dist DIR] [filter...] | compare OLD.json NEW.json');
  process.exit(2);
}
