"""The PyTorch anchors of the measurement log, timed the way bench/run.mjs times scattergrad,
so that both sides can be measured in the same device call:

  - the demo's model (examples/torch/model.py, the same layers as examples/lm), batch 8x32,
    one AdamW step with clipping, in PyTorch eager and through torch.compile (default and
    mode="reduce-overhead", which replays CUDA graphs);
  - the MoE MLP of shared/BENCHMARKS.md (small, medium, granular), forward + backward,
    through ScatterMoE (float32 with TF32 off, and bfloat16) and a plain PyTorch loop;
  - ScatterMoE's GLUMLP (silu) in bfloat16 on the medium and granular configs (`glu`, also
    part of `moe`);
  - the dense matmul 4096³ through cuBLAS, float32 with TF32 off and float16 (`dense`): what
    the vendor's own GEMMs reach beside bench/run.mjs's dense rows.

Wall time per iteration: N iterations back to back, one synchronize, divided by N; the
median of several batches after at least half a second of warm-up. GPU time: the CUDA
kernels' durations summed by torch.profiler over a few iterations, per iteration.

    python3 bench/torch-anchor.py --out OUTDIR [--only demo,moe,glu,dense] [--init CKPT]
        [--scattermoe DIR] [--quick] [--commit HASH]

--init loads the demo model's initial weights (bench/demo-init.mjs writes them) so both
sides train the same model; --scattermoe is a directory holding ScatterMoE's `scattermoe`
package (github.com/shawntan/scattermoe; not vendored here). Rows go to OUTDIR/anchor.jsonl
in bench/results.jsonl's format; a short table is printed last. Runs on the CPU too (slowly,
without ScatterMoE or CUDA graphs), which is how it is tested.
"""
import datetime
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'examples', 'torch'))
from model import MoELanguageModel, load_checkpoint  # noqa: E402

DEMO_CONFIG = {'context': 32, 'dim': 64, 'heads': 4, 'layers': 2, 'experts': 4, 'topK': 2,
               'intermediate': 128, 'vocabSize': 62}
MOE = {
    'small': dict(T=2048, d=256, h=512, E=8, k=2),
    'medium': dict(T=8192, d=1024, h=2048, E=8, k=2),
    'granular': dict(T=16384, d=1024, h=512, E=64, k=8),
}
# On the CPU (the script's own test) the shapes shrink as bench/run.mjs's lavapipe ones do.
MOE_CPU = {
    'small': dict(T=256, d=64, h=128, E=8, k=2),
    'granular': dict(T=512, d=64, h=32, E=16, k=4),
}


def args_of(argv):
    opts = {'--out': None, '--only': 'demo,moe,dense', '--init': None, '--scattermoe': None, '--commit': None}
    flags = set()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('--quick',):
            flags.add(a)
            i += 1
        elif a in opts and i + 1 < len(argv):
            opts[a] = argv[i + 1]
            i += 2
        else:
            sys.exit(f'torch-anchor: unknown argument {a!r}\n' + __doc__.split('\n\n')[2])
    if not opts['--out']:
        sys.exit('torch-anchor: --out OUTDIR is required')
    return opts, flags


class Timer:
    """Wall and GPU time of a function, as described above."""

    def __init__(self, device, quick):
        self.cuda = device.type == 'cuda'
        self.quick = quick

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def wall_ms(self, fn):
        warm_s = 0.2 if self.quick else 0.5
        t0 = time.perf_counter()
        calls = 0
        while calls < 3 or time.perf_counter() - t0 < warm_s:
            fn()
            calls += 1
        self.sync()
        one = (time.perf_counter() - t0) / calls
        # A batch lasts about 50 ms (100 ms unless quick), at least 3 iterations.
        n = max(3, int((0.05 if self.quick else 0.1) / max(one, 1e-6)))
        samples = []
        for _ in range(5 if self.quick else 9):
            self.sync()
            t = time.perf_counter()
            for _ in range(n):
                fn()
            self.sync()
            samples.append((time.perf_counter() - t) * 1000 / n)
        return statistics.median(samples)

    def gpu_ms(self, fn, iters=5):
        """Sum of the CUDA kernels' durations per iteration, or None off CUDA."""
        if not self.cuda:
            return None
        from torch.profiler import ProfilerActivity, profile
        self.sync()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(iters):
                fn()
            self.sync()
        total_us = 0.0
        for evt in prof.events():
            if str(getattr(evt, 'device_type', '')).endswith('CUDA'):
                total_us += getattr(evt, 'device_time', None) or getattr(evt, 'cuda_time', 0) or 0
        return total_us / 1000 / iters


# ---- the demo model's training step ----

def demo_model(device, init):
    if init:
        model, _ = load_checkpoint(init, device)
    else:
        torch.manual_seed(0)
        model = MoELanguageModel(dict(DEMO_CONFIG)).to(device)
    return model


def demo_rows(device, timer, init, quick):
    rows = []
    vocab = DEMO_CONFIG['vocabSize']
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab, (8, 32), generator=gen).to(device)
    targets = torch.randint(0, vocab, (8 * 32,), generator=gen).to(device)
    variants = [('PyTorch eager', None), ('PyTorch torch.compile', 'default')]
    if device.type == 'cuda':
        variants.append(('PyTorch torch.compile (reduce-overhead)', 'reduce-overhead'))
    for peer, mode in variants:
        model = demo_model(device, init)
        model.train()
        params = list(model.parameters())
        opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=0.01)

        def step(model=model, opt=opt, params=params):
            logits, aux, z, _ = model(ids)
            loss = F.cross_entropy(logits.reshape(-1, vocab), targets) + 0.01 * aux + 1e-3 * z
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)

        note = ''
        fn = step
        if mode is not None:
            try:
                fn = torch.compile(step, mode=mode)
                fn()  # compiles here, before the clock
            except Exception as e:  # noqa: BLE001 - a peer that fails is a row with a note
                rows.append(row('demo model training step (batch 8x32)', peer, None, None, note=f'failed: {str(e)[:120]}'))
                continue
        wall = timer.wall_ms(fn)
        gpu = timer.gpu_ms(fn)
        rows.append(row('demo model training step (batch 8x32)', peer, wall, gpu, note=note))
    return rows


# ---- the MoE MLP ----

def routing(T, E, k, device, dtype):
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(T, E, generator=gen).to(device)
    p, idx = logits.softmax(-1).topk(k, -1)
    return p.to(dtype), idx


def loop_mlp(x, W1, W2, gates, idx):
    """The MoE MLP as plain PyTorch: one gather, two matmuls and an index_add per expert."""
    y = torch.zeros_like(x)
    for e in range(W1.shape[0]):
        rows, slots = (idx == e).nonzero(as_tuple=True)
        if rows.numel() == 0:
            continue
        h = F.gelu(x[rows] @ W1[e])
        y = y.index_add(0, rows, (h @ W2[e]) * gates[rows, slots].unsqueeze(-1))
    return y


def moe_rows(device, timer, scattermoe_dir, quick):
    rows = []
    configs = MOE if device.type == 'cuda' else MOE_CPU
    sm = None
    if scattermoe_dir and device.type == 'cuda':
        sys.path.insert(0, scattermoe_dir)
        import scattermoe  # noqa: E402
        import scattermoe.kernels.ops as sm_ops  # noqa: E402
        sm = (scattermoe, sm_ops)
    for name, c in configs.items():
        if quick and name == 'medium':
            continue
        T, d, h, E, k = c['T'], c['d'], c['h'], c['E'], c['k']
        flops = 12 * T * k * d * h
        scaled = '' if device.type == 'cuda' else f' (scaled: T{T} d{d} h{h} E{E} k{k})'
        peers = [('PyTorch loop', torch.float32, 'loop')]
        if sm:
            peers = [('ScatterMoE (Triton, TF32 off)', torch.float32, 'sm'), ('ScatterMoE (Triton)', torch.bfloat16, 'sm')] + peers
        for peer, dtype, kind in peers:
            gen = torch.Generator().manual_seed(1)
            x = torch.randn(T, d, generator=gen).to(device, dtype).requires_grad_()
            dy = torch.randn(T, d, generator=gen).to(device, dtype)
            gates, idx = routing(T, E, k, device, dtype)
            gates.requires_grad_()
            # float32 means float32 for every peer: TF32 off in cuBLAS and in ScatterMoE's kernels.
            torch.backends.cuda.matmul.allow_tf32 = dtype != torch.float32
            if kind == 'sm':
                sm[1].ALLOW_TF32 = dtype != torch.float32
                mlp = sm[0].mlp.MLP(d, h, E, k, activation=torch.nn.GELU()).to(device, dtype)

                def fn(mlp=mlp, x=x, gates=gates, idx=idx, dy=dy):
                    mlp(x, gates, idx).backward(dy)
                    x.grad = gates.grad = None
                    for p in mlp.parameters():
                        p.grad = None
            else:
                W1 = (torch.randn(E, d, h, generator=gen) / math.sqrt(d)).to(device, dtype).requires_grad_()
                W2 = (torch.randn(E, h, d, generator=gen) / math.sqrt(h)).to(device, dtype).requires_grad_()

                def fn(x=x, W1=W1, W2=W2, gates=gates, idx=idx, dy=dy):
                    loop_mlp(x, W1, W2, gates, idx).backward(dy)
                    x.grad = gates.grad = W1.grad = W2.grad = None
            tag = 'bf16' if dtype == torch.bfloat16 else 'f32'
            wall = timer.wall_ms(fn)
            gpu = timer.gpu_ms(fn)
            rows.append(row(f'MoE {name} {tag} fwd+bwd{scaled}', peer, wall, gpu, flops=flops,
                            dtype='bfloat16' if dtype == torch.bfloat16 else 'float32'))
    return rows


def glu_rows(device, timer, scattermoe_dir):
    """ScatterMoE's GLUMLP on the configs big enough for the tensor cores (needs CUDA)."""
    if not (scattermoe_dir and device.type == 'cuda'):
        return []
    sys.path.insert(0, scattermoe_dir)
    import scattermoe  # noqa: E402
    import scattermoe.kernels.ops as sm_ops  # noqa: E402
    return [glu_row((scattermoe, sm_ops), name, MOE[name], device, timer) for name in ('medium', 'granular')]


def glu_row(sm, name, c, device, timer):
    """ScatterMoE's GLUMLP in bfloat16 (silu, layer 1 making 2h features): 18·T·k·d·h FLOPs."""
    T, d, h, E, k = c['T'], c['d'], c['h'], c['E'], c['k']
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(T, d, generator=gen).to(device, torch.bfloat16).requires_grad_()
    dy = torch.randn(T, d, generator=gen).to(device, torch.bfloat16)
    gates, idx = routing(T, E, k, device, torch.bfloat16)
    gates.requires_grad_()
    sm[1].ALLOW_TF32 = True
    mlp = sm[0].mlp.GLUMLP(d, h, E, k, activation=torch.nn.SiLU()).to(device, torch.bfloat16)

    def fn():
        mlp(x, gates, idx).backward(dy)
        x.grad = gates.grad = None
        for p in mlp.parameters():
            p.grad = None
    wall = timer.wall_ms(fn)
    gpu = timer.gpu_ms(fn)
    return row(f'MoE {name} GLU bf16 fwd+bwd', 'ScatterMoE (Triton)', wall, gpu, flops=18 * T * k * d * h, dtype='bfloat16')


# ---- the dense matmul ----

def dense_rows(device, timer):
    """torch.matmul of two n x n matrices, named as bench/run.mjs names its dense rows."""
    n = 4096 if device.type == 'cuda' else 256
    rows = []
    kinds = [('f32', torch.float32, 'PyTorch (cuBLAS, TF32 off)' if device.type == 'cuda' else 'PyTorch')]
    if device.type == 'cuda':
        kinds.append(('f16', torch.float16, 'PyTorch (cuBLAS)'))
    for tag, dtype, peer in kinds:
        torch.backends.cuda.matmul.allow_tf32 = False
        gen = torch.Generator().manual_seed(2)
        a = torch.randn(n, n, generator=gen).to(device, dtype)
        b = torch.randn(n, n, generator=gen).to(device, dtype)
        wall = timer.wall_ms(lambda a=a, b=b: torch.matmul(a, b))
        gpu = timer.gpu_ms(lambda a=a, b=b: torch.matmul(a, b))
        rows.append(row(f'matmul {tag} {n}³', peer, wall, gpu, flops=2 * n ** 3,
                        dtype='float16' if dtype == torch.float16 else 'float32'))
    return rows


# ---- output ----

META = {}
SINK = []  # the file rows are appended to as they are measured, so a timeout keeps them


def row(workload, peer, wall, gpu, flops=None, dtype='float32', note=''):
    ms = gpu if gpu is not None else wall
    r = dict(META, workload=workload, config='default', dtype=dtype, peer=peer,
             ms=None if ms is None else round(ms, 4), timing='profiler' if gpu is not None else 'wall',
             wallMs=None if wall is None else round(wall, 4))
    if gpu is not None:
        r['gpuMs'] = round(gpu, 4)
    if flops and ms:
        r['gflops'] = round(flops / ms / 1e6, 1)
    if note:
        r['note'] = note
    # commit, driver and toggles stay even when null: the log's readers expect the keys.
    out = {k: v for k, v in r.items() if v is not None or k in ('commit', 'driver', 'toggles')}
    for path in SINK if ms is not None else []:  # a peer that failed is printed, not logged
        with open(path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(out) + '\n')
    return out


def main():
    opts, flags = args_of(sys.argv[1:])
    quick = '--quick' in flags
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    name = torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'
    driver = None
    if device.type == 'cuda':
        try:
            import subprocess
            driver = subprocess.run(['nvidia-smi', '--query-gpu=driver_version', '--format=csv,noheader'],
                                    capture_output=True, text=True, timeout=10).stdout.strip() or None
        except Exception:  # noqa: BLE001 - the driver is a nice-to-have
            driver = None
    META.update(date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                commit=opts['--commit'], device=name.lower().replace(' ', '-'),
                driver=f'NVIDIA {driver}, torch {torch.__version__}' if driver else f'torch {torch.__version__}',
                toggles=None, tool='bench/torch-anchor.py')
    timer = Timer(device, quick)
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 is float32 (PyTorch's default too)
    only = opts['--only'].split(',')
    os.makedirs(opts['--out'], exist_ok=True)
    SINK.append(os.path.join(opts['--out'], 'anchor.jsonl'))
    rows = []
    if 'demo' in only:
        rows += demo_rows(device, timer, opts['--init'], quick)
    if 'moe' in only:
        rows += moe_rows(device, timer, opts['--scattermoe'], quick)
    if 'glu' in only or 'moe' in only:
        rows += glu_rows(device, timer, opts['--scattermoe'])
    if 'dense' in only:
        rows += dense_rows(device, timer)
    print(f'| workload | peer | wall ms | GPU ms | ({name}, torch {torch.__version__}) |')
    print('|---|---|---|---|---|')
    for r in rows:
        gpu = r.get('gpuMs')
        print(f"| {r['workload']} | {r['peer']} | {r.get('wallMs', '-')} | {gpu if gpu is not None else '-'} | {r.get('note', '')} |")


if __name__ == '__main__':
    main()
