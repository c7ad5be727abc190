"""Run by roundtrip.test.ts, the PyTorch side of the round trip, with examples/torch's scripts:
loads DIR/sg.safetensors into the plain-PyTorch model, writes its logits on DIR/batch.json
to DIR/torch-logits.json, continues training it (a few AdamW steps), saves
DIR/torch.safetensors and writes the trained model's logits to DIR/torch-logits2.json."""
import importlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'examples', 'torch'))
from model import load_checkpoint, save_checkpoint  # noqa: E402
# `continue` is a Python keyword, so the module is imported by name.
train = importlib.import_module('continue').train

d = sys.argv[1]
with open(os.path.join(d, 'batch.json')) as f:
    batch = json.load(f)
ids = torch.tensor(batch['ids']).reshape(batch['shape'])


def write_logits(model, name):
    model.eval()
    with torch.no_grad():
        logits = model(ids)[0]
    with open(os.path.join(d, name), 'w') as f:
        json.dump({'shape': list(logits.shape), 'values': logits.reshape(-1).tolist()}, f)


model, meta = load_checkpoint(os.path.join(d, 'sg.safetensors'))
write_logits(model, 'torch-logits.json')
data = torch.randint(0, model.cfg['vocabSize'], (500,), generator=torch.Generator().manual_seed(3))
train(model, data, 5, lr=1e-2, batch_size=4, seed=1, log=None)
save_checkpoint(model, os.path.join(d, 'torch.safetensors'), meta)
write_logits(model, 'torch-logits2.json')
print(json.dumps({'torch': torch.__version__, 'python': sys.executable}))
