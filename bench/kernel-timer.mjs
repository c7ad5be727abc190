// Times one WGSL compute kernel outside the engine, for the ceiling probes (tc-ceiling.mjs,
// fma-ceiling.mjs): binding 0 is a read-only storage buffer of `inBytes` (filled with `init`
// when given), binding 1 a writable one of `outBytes`; `workgroups` are dispatched 4 times
// per submit. Returns the median wall ms per dispatch of 5 submits after one warm-up, or
// { error } with the first line of the compile or validation error.
export async function timeKernel(device, code, { inBytes, outBytes, workgroups, init = null }) {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const a = device.createBuffer({ size: inBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  if (init) device.queue.writeBuffer(a, 0, init);
  const o = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.STORAGE });
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: o } }] });
  const run = async (n) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    for (let i = 0; i < n; i++) pass.dispatchWorkgroups(workgroups);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  try {
    await run(1);
    const err = await device.popErrorScope();
    if (err) return { error: err.message.split('\n')[0] };
    const ts = [];
    for (let s = 0; s < 5; s++) { const t0 = performance.now(); await run(4); ts.push((performance.now() - t0) / 4); }
    ts.sort((x, y) => x - y);
    return { ms: ts[2] };
  } finally {
    a.destroy();
    o.destroy();
  }
}
