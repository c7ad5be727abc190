// Workloads for the ops a small model adds on top of matmul (attention and convolution),
// forward + backward, with TF.js as the peer in the same run. Called by bench/run.mjs, which
// passes its timing helpers in.

/** Causal attention over (B, H, T, D): scattergrad's fused kernel, the same written with
 * matmul + mask + softmax, and TF.js written that way. */
export async function benchAttention({ sg, tf, tfWhy, timeSg, timeTf, row, sel, progress, lavapipe }) {
  const [B, H, T, D] = lavapipe ? [2, 4, 128, 32] : [8, 8, 512, 64];
  const name = `attention causal fwd+bwd ${B}x${H}x${T}x${D}`;
  if (!sel(name)) return;
  // Forward QKᵀ and PV, backward four products of the same size: the full T×T, unmasked count.
  const flops = 12 * B * H * T * T * D;
  const q = sg.randn([B, H, T, D], { seed: 1 }).requiresGrad_();
  const k = sg.randn([B, H, T, D], { seed: 2 }).requiresGrad_();
  const v = sg.randn([B, H, T, D], { seed: 3 }).requiresGrad_();
  const dy = sg.randn([B, H, T, D], { seed: 4 });
  const mask = sg.ones([T, T]).tril().eq(0);
  const leaves = [q, k, v];
  const clear = () => { for (const l of leaves) { l.grad?.dispose(); l.grad = null; } };
  progress(`${name} scattergrad`);
  row(name, 'scattergrad', await timeSg(() => {
    sg.tidy(() => sg.scaledDotProductAttention(q, k, v, { isCausal: true }).backward(dy));
    clear();
  }), flops, 'fused');
  progress(`${name} scattergrad composed`);
  row(name, 'scattergrad composed', await timeSg(() => {
    sg.tidy(() => {
      const s = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(D)).maskedFill(mask, -Infinity);
      s.softmax(-1).matmul(v).backward(dy);
    });
    clear();
  }), flops, 'matmul, maskedFill, softmax, matmul');
  [q, k, v, dy, mask].forEach((t) => t.dispose());
  if (!tf) { row(name, 'tfjs', null, flops, tfWhy); return; }
  progress(`${name} tfjs`);
  const [tq, tk, tv, tdy] = [1, 2, 3, 4].map(() => tf.randomNormal([B, H, T, D]));
  const tmask = tf.mul(tf.sub(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), 1), 1e9);
  const attend = (a, b, c) => tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(a, b, false, true), 1 / Math.sqrt(D)), tmask)), c);
  const grads = tf.grads((a, b, c) => tf.sum(tf.mul(attend(a, b, c), tdy)));
  row(name, 'tfjs', await timeTf(() => tf.dispose(grads([tq, tk, tv]))), flops, 'matMul, mask add, softmax, matMul');
  tf.dispose([tq, tk, tv, tdy, tmask]);
}

/** A 3×3 'same' convolution with bias, forward + backward (input, weight and bias gradients). */
export async function benchConv2d({ sg, tf, tfWhy, timeSg, timeTf, row, sel, progress, lavapipe }) {
  const [N, C, O, S] = lavapipe ? [8, 16, 32, 16] : [32, 64, 64, 32];
  const name = `conv2d 3x3 fwd+bwd ${N}x${C}x${S}x${S} -> ${O}`;
  if (!sel(name)) return;
  const flops = 3 * 2 * N * O * S * S * C * 9;
  const x = sg.randn([N, C, S, S], { seed: 1 }).requiresGrad_();
  const w = sg.randn([O, C, 3, 3], { seed: 2 }).mul(0.1).detach().requiresGrad_();
  const b = sg.randn([O], { seed: 3 }).requiresGrad_();
  const dy = sg.randn([N, O, S, S], { seed: 4 });
  progress(`${name} scattergrad`);
  row(name, 'scattergrad', await timeSg(() => {
    sg.tidy(() => sg.conv2d(x, w, b, 1, 'same').backward(dy));
    for (const l of [x, w, b]) { l.grad?.dispose(); l.grad = null; }
  }), flops, 'im2col + matmul');
  [x, w, b, dy].forEach((t) => t.dispose());
  if (!tf) { row(name, 'tfjs', null, flops, tfWhy); return; }
  progress(`${name} tfjs`);
  // TF.js's layout is NHWC with HWIO filters; the arithmetic is the same.
  const tx = tf.randomNormal([N, S, S, C]);
  const tw = tf.mul(tf.randomNormal([3, 3, C, O]), 0.1);
  const tb = tf.randomNormal([O]);
  const tdy = tf.randomNormal([N, S, S, O]);
  const grads = tf.grads((a, f, c) => tf.sum(tf.mul(tf.add(tf.conv2d(a, f, 1, 'same'), c), tdy)));
  row(name, 'tfjs', await timeTf(() => tf.dispose(grads([tx, tw, tb]))), flops, 'tf.conv2d');
  tf.dispose([tx, tw, tb, tdy]);
}
