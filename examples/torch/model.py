"""The demo's mixture-of-experts language model (examples/lm/model.mjs) in plain PyTorch.

Parameter names and shapes are those of scattergrad's state dict, which follow ScatterMoE's
(`experts.weight` and `output_experts.weight` are (E, out, in), `router.weight` is (E, dim)),
so the demo's checkpoint loads with `model.load_state_dict(load_file(path))`. The experts run
as a loop with a gather and an index_add; ScatterMoE's kernels do the same work on a GPU.
Works with PyTorch 1.13 and later, with no package beyond torch.

    python3 examples/torch/model.py out/demo/model.safetensors [--prompt "ROMEO:"] [--n 200]
"""
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- safetensors, read and written here so that no package beyond torch is needed ----
# (safetensors.torch.load_file / save_file give and take the same dicts.)

DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64,
          'I32': torch.int32, 'I64': torch.int64, 'BOOL': torch.bool}
CODES = {v: k for k, v in DTYPES.items()}


def load_file(path):
    """name -> tensor (CPU) from a safetensors file."""
    return read_file(path)[0]


def read_file(path):
    """(name -> tensor, metadata dict) from a safetensors file."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', {}) or {}
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        dtype = DTYPES[e['dtype']]
        chunk = bytearray(data[begin:end])
        flat = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(e['shape']).clone()
    return tensors, metadata


def save_file(tensors, path, metadata=None):
    """Writes name -> tensor as safetensors (little-endian, 8-byte aligned header)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().to('cpu').contiguous()
        blob = t.view(-1).numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---- the model ----

ACTIVATIONS = {'gelu': F.gelu, 'silu': F.silu, 'relu': F.relu}


class ParallelExperts(nn.Module):
    """E independent Linear layers: weight (E, out, in), as ScatterMoE's ParallelExperts."""

    def __init__(self, num_experts, in_features, out_features, bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_experts, out_features, in_features) * 0.02)
        self.bias = nn.Parameter(torch.zeros(num_experts, out_features)) if bias else None


class MoE(nn.Module):
    """router -> softmax -> top-k (renormalised) -> experts -> act -> output_experts, gated sum.

    Returns (output, aux_loss, z_loss, expert_counts) as scattergrad's nn.MoE does.
    """

    def __init__(self, hidden_size, intermediate_size, num_experts, top_k, glu=False, activation=None,
                 renormalize=True, bias=False):
        super().__init__()
        self.hidden_size, self.num_experts, self.top_k = hidden_size, num_experts, top_k
        self.glu, self.renormalize = glu, renormalize
        self.act = ACTIVATIONS[activation or ('silu' if glu else 'gelu')]
        self.router = nn.Linear(hidden_size, num_experts, bias=False)
        self.experts = ParallelExperts(num_experts, hidden_size, intermediate_size * (2 if glu else 1), bias)
        self.output_experts = ParallelExperts(num_experts, intermediate_size, hidden_size, bias)

    def forward(self, x):
        h = x.reshape(-1, self.hidden_size)
        logits = self.router(h)
        probs = logits.softmax(-1)
        top, idx = probs.topk(self.top_k, -1)
        gates = top / top.sum(-1, keepdim=True) if self.renormalize else top
        out = torch.zeros_like(h)
        counts = torch.zeros(self.num_experts, dtype=torch.long, device=h.device)
        for e in range(self.num_experts):
            rows, slots = (idx == e).nonzero(as_tuple=True)
            counts[e] = rows.numel()
            if rows.numel() == 0:
                continue
            z = h[rows] @ self.experts.weight[e].t()
            if self.experts.bias is not None:
                z = z + self.experts.bias[e]
            if self.glu:
                a, b = z.chunk(2, -1)
                z = a * self.act(b)  # ScatterMoE's GLUMLP: the second half is the gate
            else:
                z = self.act(z)
            y = z @ self.output_experts.weight[e].t()
            if self.output_experts.bias is not None:
                y = y + self.output_experts.bias[e]
            out = out.index_add(0, rows, y * gates[rows, slots].unsqueeze(-1))
        # Switch Transformer's load-balancing loss E * sum_e f_e * P_e (f_e: share of the T*k
        # routed slots, a constant) and ST-MoE's z-loss mean(logsumexp(logits)^2).
        f = counts.to(probs.dtype) / (h.shape[0] * self.top_k)
        aux_loss = self.num_experts * (probs.mean(0) * f).sum()
        z_loss = torch.logsumexp(logits, -1).pow(2).mean()
        return out.reshape(x.shape), aux_loss, z_loss, counts


class CausalSelfAttention(nn.Module):
    """One Linear makes q, k and v; softmax(q k^T / sqrt(d) + causal mask) v; a projection."""

    def __init__(self, dim, n_heads, bias=True):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim, bias=bias)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = (z.reshape(b, t, self.n_heads, c // self.n_heads).transpose(1, 2) for z in self.qkv(x).split(c, 2))
        scores = q @ k.transpose(-2, -1) / math.sqrt(c // self.n_heads)
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        att = scores.masked_fill(~causal, float('-inf')).softmax(-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    """Pre-norm: x + attn(ln1(x)), then + moe(ln2(x))."""

    def __init__(self, cfg):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg['dim'])
        self.attn = CausalSelfAttention(cfg['dim'], cfg['heads'])
        self.ln2 = nn.LayerNorm(cfg['dim'])
        self.moe = MoE(cfg['dim'], cfg['intermediate'], cfg['experts'], cfg['topK'])

    def forward(self, x):
        h = x + self.attn(self.ln1(x))
        y, aux, z, counts = self.moe(self.ln2(h))
        return h + y, aux, z, counts


class MoELanguageModel(nn.Module):
    """cfg: the checkpoint's `config` metadata, e.g. {context, dim, heads, layers, experts, topK,
    intermediate, vocabSize}."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        self.tokEmb = nn.Embedding(cfg['vocabSize'], cfg['dim'])
        self.posEmb = nn.Embedding(cfg['context'], cfg['dim'])
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg['layers']))
        self.lnF = nn.LayerNorm(cfg['dim'])
        self.head = nn.Linear(cfg['dim'], cfg['vocabSize'])

    def forward(self, ids):
        """ids (B, T) int -> (logits (B, T, V), aux_loss, z_loss, expert counts per layer)."""
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.tokEmb(ids) + 0.1 * self.posEmb(pos)
        aux = z = 0
        counts = []
        for block in self.blocks:
            x, a, zz, c = block(x)
            aux, z = aux + a, z + zz
            counts.append(c)
        n = len(self.blocks)
        return self.head(self.lnF(x)), aux / n, z / n, counts


def load_checkpoint(path, device='cpu'):
    """(model, metadata) from a checkpoint written by the demo (or by save_checkpoint)."""
    sd, metadata = read_file(path)
    model = MoELanguageModel(json.loads(metadata['config']))
    model.load_state_dict(sd)
    return model.to(device), metadata


def save_checkpoint(model, path, metadata):
    """The state dict with the same names and metadata, which scattergrad's loadSafetensors reads."""
    save_file({k: v.float() for k, v in model.state_dict().items()}, path, dict(metadata, config=json.dumps(model.cfg)))


@torch.no_grad()
def generate(model, vocab, prompt, n, temperature=0.8, seed=0):
    ids = [vocab.index(c) if c in vocab else 0 for c in prompt]
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n):
        ctx = torch.tensor([ids[-model.cfg['context']:]])
        logits = model(ctx)[0][0, -1] / temperature
        ids.append(int(torch.multinomial(logits.softmax(-1), 1, generator=gen)))
    return ''.join(vocab[i] for i in ids[len(prompt):])


if __name__ == '__main__':
    args = sys.argv[1:]
    if not args or args[0].startswith('-'):
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    opt = dict(zip(args[1::2], args[2::2]))
    model, meta = load_checkpoint(args[0])
    print(f"{'name':40} shape")
    for name, p in model.state_dict().items():
        print(f'{name:40} {tuple(p.shape)}')
    print(f'{sum(p.numel() for p in model.parameters())} parameters')
    model.eval()
    prompt = opt.get('--prompt', 'ROMEO:\n')
    print(prompt + generate(model, json.loads(meta['vocab']), prompt, int(opt.get('--n', 200))))
