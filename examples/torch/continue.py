"""Training continues in PyTorch: load the demo's checkpoint, take AdamW steps on the same
data with the same loss (cross-entropy + 0.01 * load balancing + 1e-3 * z-loss, gradients
clipped to norm 1), and save a checkpoint that scattergrad's loadSafetensors reads back.

    python3 examples/torch/continue.py out/demo/model.safetensors [--steps 50] [--lr 3e-4]
        [--batch 8] [--seed 0] [--device cpu|cuda] [--out out/demo/model-torch.safetensors]
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import load_checkpoint, save_checkpoint  # noqa: E402


def batches(data, batch_size, context, gen):
    """Random windows of the encoded text: inputs (B, T) and next-character targets (B, T)."""
    while True:
        starts = torch.randint(0, len(data) - context - 1, (batch_size,), generator=gen)
        x = torch.stack([data[s:s + context] for s in starts])
        y = torch.stack([data[s + 1:s + context + 1] for s in starts])
        yield x, y


def train(model, data, steps, lr=3e-4, batch_size=8, seed=0, device='cpu', log=print):
    """`steps` AdamW steps on random windows of `data` (a 1-D tensor of token ids); returns the losses."""
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    gen = torch.Generator().manual_seed(seed)
    vocab = model.cfg['vocabSize']
    losses = []
    for step, (x, y) in zip(range(1, steps + 1), batches(data, batch_size, model.cfg['context'], gen)):
        logits, aux, z, _ = model(x.to(device))
        ce = F.cross_entropy(logits.reshape(-1, vocab), y.to(device).reshape(-1))
        (ce + 0.01 * aux + 1e-3 * z).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        losses.append(ce.item())
        if log and (step == 1 or step % 10 == 0 or step == steps):
            log(f'step {step}/{steps}  loss {ce.item():.3f}')
    return losses


if __name__ == '__main__':
    args = sys.argv[1:]
    if not args or args[0].startswith('-'):
        sys.exit(__doc__.strip().split('\n\n')[-1])
    opt = dict(zip(args[1::2], args[2::2]))
    device = opt.get('--device', 'cuda' if torch.cuda.is_available() else 'cpu')
    model, meta = load_checkpoint(args[0], device)
    vocab = json.loads(meta['vocab'])
    ids = {c: i for i, c in enumerate(vocab)}
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, '..', 'data', 'shakespeare.txt'), encoding='utf-8') as f:
        data = torch.tensor([ids.get(c, 0) for c in f.read()])
    train(model, data, int(opt.get('--steps', 50)), float(opt.get('--lr', 3e-4)), int(opt.get('--batch', 8)),
          int(opt.get('--seed', 0)), device)
    out = opt.get('--out', os.path.join(os.path.dirname(args[0]), 'model-torch.safetensors'))
    save_checkpoint(model, out, meta)
    print(f'wrote {out}')
