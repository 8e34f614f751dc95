"""Reference for optim.AdamW: torch.optim.AdamW on the parameters and gradients given in a JSON
file (argv[1]), with the gradients clipped to a global norm of spec["clip"] first when it is set;
writes the parameters after the steps to argv[2]. Run with Debian's python3-torch."""
import json
import sys

import torch

spec = json.load(open(sys.argv[1]))
params = [torch.tensor(p["init"], dtype=torch.float32, requires_grad=True) for p in spec["params"]]
groups = [
    {"params": [p for p, s in zip(params, spec["params"]) if s["decay"]], "weight_decay": spec["weight_decay"]},
    {"params": [p for p, s in zip(params, spec["params"]) if not s["decay"]], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=spec["lrs"][0], betas=(0.9, 0.999), eps=1e-8)
for step, lr in enumerate(spec["lrs"]):
    for g in opt.param_groups:
        g["lr"] = lr
    for p, s in zip(params, spec["params"]):
        p.grad = torch.tensor(s["grads"][step], dtype=torch.float32)
    if spec.get("clip"):
        torch.nn.utils.clip_grad_norm_(params, spec["clip"])
    opt.step()
json.dump([p.detach().tolist() for p in params], open(sys.argv[2], "w"))
