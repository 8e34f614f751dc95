#!/usr/bin/python3
"""Reference outputs for the tuning methods: a tiny random BERT, NEZHA or RoFormer with each
method's additions, evaluated in float64 with plain torch, with the gradients of a fixed linear
function of the outputs.

Usage: /usr/bin/python3 ref_methods.py --out DIR [--seed N] [--arch bert|nezha|roformer]

The model is written out from its description, not from transformers or the Go code:
post-LN layers, exact (erf) GELU, tanh pooler, and
  P-tuning v2: a (P, 2*L*H) table, or Embedding(P, H) -> Linear -> tanh -> Linear(2*L*H);
               layer l's keys are columns [2lH, 2lH+H), its values [2lH+H, 2lH+2H), each row
               read as (heads, head_dim); they are put before the layer's own keys/values and
               every query may attend to them; "shifted" moves real tokens to positions P..P+T-1.
  FL-tuning:   per selected layer, act(x W1'^T + b1') W2'^T + b2' added to the FFN output
               before the residual add and LayerNorm.
  prefix-tuning: P-tuning v2 with the projection, under its own variable names.
  LoRA:        each target map's output gets (x A^T B^T) * alpha/r (alpha/sqrt(r) with RSLoRA).
  BitFit:      nothing added; the biases' gradients are checked.
  IA3:         the key and value maps' outputs and the FFN activation times per-layer vectors.
  adapter:     o + up(act(down(o))) on each block's output o before its residual add.
  parallel-adapter: s * up(act(down(x))) added to the FFN output, x the FFN input.
  prompt-tuning: (P, H) vectors put before the embeddings output; they take positions like
               tokens (real tokens move to P..P+T-1), are visible to every token and are cut
               from the output; the pooler reads the real [CLS].
Backbones:
  bert:        absolute position embeddings, tanh pooler.
  nezha:       no position embeddings; in every layer the row clip(j - i, -M, M) + M of a fixed
               sinusoid table (row r: sin(r w_c) at 2c, cos(r w_c) at 2c+1, w_c = 10000^(-2c/d),
               float32 as NEZHA builds it) is added to key j inside query i's score and to value
               j inside its context; prefix keys/values get none. Shifted positions do not apply.
  roformer:    embeddings of width E = 24 projected to H, no position embeddings; each pair
               (2c, 2c+1) of the real tokens' queries, keys and (rotary_value) values turned by
               p w_c at their position p; prefix keys/values are not turned; no pooler.

DIR gets config.json, encoder.safetensors (the encoder's weights, F32), cases.json (name, method,
--set options) and one <name>.safetensors per case holding the method's variables (named as the
Go code names them), the inputs (input_ids, token_type_ids, attention_mask), the expected
float32 outputs (hidden, and pooled where the backbone has a pooler) and, in grads-<name>.safetensors,
the weights of loss = sum(hidden * w_hidden) + sum(pooled * w_pooled) over real tokens
(loss.w_hidden, loss.w_pooled) with the loss's gradient for every variable the method trains
(grad.<variable>). Cases are appended to CASES, so that existing cases keep their random draws.
"""
import argparse
import json
import math
import os
import sys

import torch

# The pieces shared with the model package's reference scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "model", "testdata"))
from tinyref import (Rand, encoder_weights, gelu, layer_norm, nezha_relative, read_safetensors,  # noqa: E402
                     rotary_angles, turn, write_safetensors)

CFG = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
           vocab_size=50, max_position_embeddings=24, type_vocab_size=2, hidden_act="gelu",
           layer_norm_eps=1e-12, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
           initializer_range=0.02, pad_token_id=0, model_type="bert",
           position_embedding_type="absolute")
H, L, NH = CFG["hidden_size"], CFG["num_hidden_layers"], CFG["num_attention_heads"]
I, V, POS, TV = CFG["intermediate_size"], CFG["vocab_size"], CFG["max_position_embeddings"], CFG["type_vocab_size"]
D = H // NH
EPS = CFG["layer_norm_eps"]
MAX_REL, EMB = 4, 24  # NEZHA's max_relative_position, RoFormer's embedding_size


def arch_config(arch):
    if arch == "bert":
        return CFG
    c = {k: v for k, v in CFG.items() if k != "position_embedding_type"}
    c["model_type"] = arch
    if arch == "nezha":
        c["max_relative_position"] = MAX_REL
    else:
        c.update(embedding_size=EMB, rotary_value=True)
    return c

# name, method, options; the variables each case needs are made in make_case.
CASES = [
    ("plain", "fine-tuning", []),
    ("fl_all", "fl-tuning", ["units=6"]),
    ("fl_layer1", "fl-tuning", ["units=4", "layers=[1]"]),
    ("pt_unshifted", "p-tuning-v2", ["prefix_len=3"]),
    ("pt_shifted", "p-tuning-v2", ["prefix_len=5", "positions=shifted"]),
    ("pt_projection", "p-tuning-v2", ["prefix_len=4", "projection=true", "projection_hidden=8",
                                      "positions=shifted"]),
    ("prefix", "prefix-tuning", ["prefix_len=3", "projection_hidden=8"]),
    ("lora_qv", "lora", ["r=4"]),
    ("lora_all", "lora", ["r=2", "alpha=2", 'target_modules=["query","key","value","attention.output.dense","intermediate.dense","output.dense"]']),
    ("lora_rs", "lora", ["r=4", "alpha=8", "use_rslora=true", 'target_modules=["key","output.dense"]']),
    ("bitfit", "bitfit", []),
    ("bitfit_some", "bitfit", ['biases=["query","LayerNorm"]']),
    ("ia3", "ia3", []),
    ("adapter", "adapter", ["bottleneck=5"]),
    ("adapter_relu", "adapter", ["bottleneck=3", "activation=relu"]),
    ("par_adapter", "parallel-adapter", ["bottleneck=6"]),
    ("par_adapter_gelu", "parallel-adapter", ["bottleneck=4", "scaling=0.5", "activation=gelu"]),
    ("prompt", "prompt-tuning", ["num_virtual_tokens=3"]),
]

SITES = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]
SITE_DIMS = {"intermediate.dense": (H, I), "output.dense": (I, H)}  # (in, out); others (H, H)


def options(opts):
    out = {}
    for kv in opts:
        k, v = kv.split("=", 1)
        out[k] = json.loads(v) if v[0] in "[0123456789" or v in ("true", "false") else v
    return out


def defaults(method, o):
    """o with the method's defaults filled in, as the Go code has them."""
    d = {"lora": {"r": 8, "alpha": 8, "target_modules": ["query", "value"], "use_rslora": False},
         "adapter": {"bottleneck": 64, "activation": "swish"},
         "parallel-adapter": {"bottleneck": 512, "scaling": 4.0, "activation": "relu"},
         "prompt-tuning": {"num_virtual_tokens": 20},
         "prefix-tuning": {"prefix_len": 20, "projection": True, "projection_hidden": 512},
         "p-tuning-v2": {"prefix_len": 160, "projection": False, "projection_hidden": 512}}.get(method, {})
    out = dict(d)
    out.update(o)
    return out


def method_vars(r, method, opts):
    """The method's variables under their Go names."""
    o = options(opts)
    w = {}
    if method == "fl-tuning":
        k = o.get("units", 160)
        for l in o.get("layers", range(L)):
            p = "fl-tuning.layer.%d." % l
            w[p + "intermediate.weight"] = r.matrix(k, H)
            w[p + "intermediate.bias"] = r.normal(k, std=0.1)
            w[p + "output.weight"] = r.matrix(H, k)
            w[p + "output.bias"] = r.normal(H, std=0.1)
    elif method in ("p-tuning-v2", "prefix-tuning"):
        o = defaults(method, o)
        plen, p = o["prefix_len"], method + ".prefix_encoder."
        if o["projection"]:
            ph = o["projection_hidden"]
            w[p + "embedding.weight"] = r.normal(plen, H)
            w[p + "transform.0.weight"] = r.matrix(ph, H)
            w[p + "transform.0.bias"] = r.normal(ph, std=0.1)
            w[p + "transform.2.weight"] = r.matrix(2 * L * H, ph)
            w[p + "transform.2.bias"] = r.normal(2 * L * H, std=0.1)
        else:
            w[p + "embedding.weight"] = r.normal(plen, 2 * L * H)
    elif method == "lora":
        o = defaults(method, o)
        for l in range(L):
            for site in o["target_modules"]:
                fan_in, fan_out = SITE_DIMS.get(site, (H, H))
                p = "lora.layer.%d.%s." % (l, site)
                w[p + "lora_A.weight"] = r.matrix(o["r"], fan_in)
                w[p + "lora_B.weight"] = r.matrix(fan_out, o["r"])
    elif method == "ia3":
        for l in range(L):
            p = "ia3.layer.%d." % l
            w[p + "key.ia3_l"] = r.normal(H, std=0.3, mean=1.0)
            w[p + "value.ia3_l"] = r.normal(H, std=0.3, mean=1.0)
            w[p + "output.dense.ia3_l"] = r.normal(I, std=0.3, mean=1.0)
    elif method in ("adapter", "parallel-adapter"):
        o = defaults(method, o)
        m = o["bottleneck"]
        for l in range(L):
            blocks = ["attention.", "output."] if method == "adapter" else [""]
            for b in blocks:
                p = "%s.layer.%d.%s" % (method, l, b)
                w[p + "down.weight"] = r.matrix(m, H)
                w[p + "down.bias"] = r.normal(m, std=0.1)
                w[p + "up.weight"] = r.matrix(H, m)
                w[p + "up.bias"] = r.normal(H, std=0.1)
    elif method == "prompt-tuning":
        o = defaults(method, o)
        w["prompt-tuning.embedding.weight"] = r.normal(o["num_virtual_tokens"], H)
    return w


def trained(method, opts, names):
    """The variables the method trains, among names (encoder and method variables)."""
    o = defaults(method, options(opts))
    if method == "fine-tuning":
        return [n for n in names if n.split(".")[0] in ("bert", "nezha", "roformer")]
    if method == "bitfit":
        kinds = o.get("biases")
        out = []
        for n in names:
            if n.split(".")[0] not in ("bert", "nezha", "roformer") or not n.endswith(".bias"):
                continue
            if n.endswith("LayerNorm.bias"):
                kind = "LayerNorm"
            elif ".pooler." in n:
                kind = "pooler"
            elif ".embeddings_project." in n:
                kind = "embeddings_project"
            else:
                kind = n.split(".layer.")[1].split(".", 1)[1][:-len(".bias")]
                kind = kind.replace("attention.self.", "")
            if kinds is None or kind in kinds:
                out.append(n)
        return out
    return [n for n in names if n.startswith(method + ".")]


ACTS = {"relu": torch.relu, "swish": lambda x: x * torch.sigmoid(x), "tanh": torch.tanh}


def act_fn(name):
    return gelu if name == "gelu" else ACTS[name]


def prefix_kv(w, method, opts, batch):
    """Per layer (keys, values), each (B, heads, P, d), float64; None without a prefix."""
    p = method + ".prefix_encoder."
    if p + "embedding.weight" not in w:
        return None
    table = w[p + "embedding.weight"].double()
    if defaults(method, options(opts))["projection"]:
        mid = torch.tanh(table @ w[p + "transform.0.weight"].double().T + w[p + "transform.0.bias"].double())
        table = mid @ w[p + "transform.2.weight"].double().T + w[p + "transform.2.bias"].double()
    plen = table.shape[0]
    out = []
    for l in range(L):
        pair = []
        for half in (0, 1):
            cols = table[:, (2 * l + half) * H:(2 * l + half + 1) * H]       # (P, H)
            per_head = cols.reshape(plen, NH, D).permute(1, 0, 2)            # (heads, P, d)
            pair.append(per_head.unsqueeze(0).expand(batch, NH, plen, D))
        out.append(tuple(pair))
    return out


def forward(w, ids, types, mask, prefix, shifted, arch="bert", method="", opts=()):
    """w's tensors are float64 (the gradients are taken with respect to them)."""
    o = defaults(method, options(opts))
    b, t = ids.shape
    plen = prefix[0][0].shape[2] if prefix else 0
    start = plen if shifted else 0
    prompt = w.get("prompt-tuning.embedding.weight")
    elen = prompt.shape[0] if prompt is not None else 0
    ns = arch + "."
    emb = ns + "embeddings."
    x = w[emb + "word_embeddings.weight"][ids] + w[emb + "token_type_embeddings.weight"][types]
    if arch == "bert":
        x = x + w[emb + "position_embeddings.weight"][start + elen:start + elen + t].unsqueeze(0)
    x = layer_norm(x, w[emb + "LayerNorm.weight"], w[emb + "LayerNorm.bias"], EPS)
    if ns + "embeddings_project.weight" in w:
        x = x @ w[ns + "embeddings_project.weight"].T + w[ns + "embeddings_project.bias"]
    if elen:
        x = torch.cat([prompt.unsqueeze(0).expand(b, elen, H), x], 1)
        t += elen
    rel = nezha_relative(t, plen, MAX_REL, D) if arch == "nezha" else None
    # Keys a query may see: the whole prefix, the prompt, then the real tokens.
    seen = torch.cat([torch.ones(b, plen + elen, dtype=torch.bool), mask.bool()], 1)  # (B, P+T)
    bias = torch.zeros(b, plen + t, dtype=torch.float64).masked_fill(~seen, float("-inf"))

    def lin(y, name):
        return y @ w[name + ".weight"].T + w[name + ".bias"]

    def site(y, l, name, block_in):
        """Layer l's map name (as in SITES) on y, with the method's change."""
        full = ns + "encoder.layer.%d." % l + {"query": "attention.self.query", "key": "attention.self.key",
                                               "value": "attention.self.value"}.get(name, name)
        out = lin(y, full)
        lp = "lora.layer.%d.%s." % (l, name)
        if lp + "lora_A.weight" in w:
            r = o["r"]
            scale = o["alpha"] / (math.sqrt(r) if o["use_rslora"] else r)
            out = out + (y @ w[lp + "lora_A.weight"].T @ w[lp + "lora_B.weight"].T) * scale
        ia = "ia3.layer.%d.%s.ia3_l" % (l, name)
        if name in ("key", "value") and ia in w:
            out = out * w[ia]
        pa = "parallel-adapter.layer.%d." % l
        if name == "output.dense" and pa + "down.weight" in w:
            mid = act_fn(o["activation"])(lin(block_in, pa + "down"))
            out = out + o["scaling"] * lin(mid, pa + "up")
        return out

    def adapter(out, l, block):
        ap = "adapter.layer.%d.%s." % (l, block)
        if ap + "down.weight" not in w:
            return out
        return out + lin(act_fn(o["activation"])(lin(out, ap + "down")), ap + "up")

    for l in range(L):
        p = ns + "encoder.layer.%d." % l
        q, k, v = (site(x, l, n, x).reshape(b, t, NH, D) for n in ("query", "key", "value"))
        k, v = k.permute(0, 2, 1, 3), v.permute(0, 2, 1, 3)                  # (B, heads, T, d)
        if arch == "roformer":
            # Sines and cosines of the angles rounded to float32, as RoFormer stores them.
            sin, cos = rotary_angles(start, t, D)
            q = turn(q.permute(0, 2, 1, 3), sin, cos).permute(0, 2, 1, 3)
            k = turn(k, sin, cos)
            if arch_config(arch).get("rotary_value"):
                v = turn(v, sin, cos)
        if prefix:
            k = torch.cat([prefix[l][0], k], 2)
            v = torch.cat([prefix[l][1], v], 2)
        scores = torch.einsum("bqhd,bhkd->bhqk", q, k)
        if rel is not None:
            scores = scores + torch.einsum("bqhd,qkd->bhqk", q, rel)
        probs = torch.softmax(scores / math.sqrt(D) + bias[:, None, None, :], -1)
        ctx = torch.einsum("bhqk,bhkd->bqhd", probs, v)
        if rel is not None:
            ctx = ctx + torch.einsum("bhqk,qkd->bqhd", probs, rel)
        ctx = ctx.reshape(b, t, H)
        x = layer_norm(x + adapter(site(ctx, l, "attention.output.dense", x), l, "attention"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], EPS)
        mid = gelu(site(x, l, "intermediate.dense", x))
        if "ia3.layer.%d.output.dense.ia3_l" % l in w:
            mid = mid * w["ia3.layer.%d.output.dense.ia3_l" % l]
        ffn = site(mid, l, "output.dense", x)
        fl = "fl-tuning.layer.%d." % l
        if fl + "output.bias" in w:
            ffn = ffn + lin(gelu(lin(x, fl + "intermediate")), fl + "output")
        x = layer_norm(x + adapter(ffn, l, "output"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                       EPS)
    x = x[:, elen:]
    if ns + "pooler.dense.weight" not in w:
        return x, None
    pooled = torch.tanh(lin(x[:, 0], ns + "pooler.dense"))
    return x, pooled


def inputs(r, lengths):
    width = max(lengths)
    ids = torch.zeros(len(lengths), width, dtype=torch.int64)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(5, V, (n,), generator=r.g)
        ids[row, 0], ids[row, n - 1] = 2, 3
        types[row, n // 2:n] = 1
        mask[row, :n] = 1
    return ids, types, mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--arch", default="bert", choices=["bert", "nezha", "roformer"])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    r = Rand(args.seed)
    enc = encoder_weights(r, args.arch + ".", V, TV, H, I, L, emb=EMB if args.arch == "roformer" else H,
                          positions=POS if args.arch == "bert" else 0, pooler=args.arch != "roformer")
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(arch_config(args.arch), f, indent=2, sort_keys=True)
        f.write("\n")
    write_safetensors(os.path.join(args.out, "encoder.safetensors"), enc)
    ids, types, mask = inputs(r, [9, 6, 3])
    cases, cases_done = CASES, []
    if args.arch == "nezha":
        # Shifted positions have no meaning for relative positions.
        cases = [(n, m, [o for o in opts if o != "positions=shifted"]) for n, m, opts in CASES if n != "pt_shifted"]
    for name, method, opts in cases:
        mv = method_vars(r, method, opts)
        w = {k: v.double() for k, v in dict(enc, **mv).items()}
        shifted = "positions=shifted" in opts
        hidden, pooled = forward(w, ids, types, mask, prefix_kv(w, method, opts, len(ids)), shifted, args.arch, method, opts)
        out = dict(mv, input_ids=ids, token_type_ids=types, attention_mask=mask, hidden=hidden.float())
        if pooled is not None:
            out["pooled"] = pooled.float()
        write_safetensors(os.path.join(args.out, name + ".safetensors"), out)
        cases_done.append((name, method, opts))
    # Gradients, with a generator of their own so that the outputs above keep their draws.
    g = Rand(args.seed + 1)
    for name, method, opts in cases_done:
        mv = method_vars(Rand(0), method, opts)  # shapes only; values come from the case file
        saved = read_safetensors(os.path.join(args.out, name + ".safetensors"))
        w = {k: (saved[k] if k in mv else v).double() for k, v in dict(enc, **mv).items()}
        train = trained(method, opts, sorted(w))
        for k in train:
            w[k].requires_grad_(True)
        hidden, pooled = forward(w, ids, types, mask, prefix_kv(w, method, opts, len(ids)), "positions=shifted" in opts, args.arch, method, opts)
        wh = g.normal(*hidden.shape) * mask.unsqueeze(-1).float()
        loss = (hidden * wh.double()).sum()
        out = {"loss.w_hidden": wh}
        if pooled is not None:
            wp = g.normal(*pooled.shape)
            loss = loss + (pooled * wp.double()).sum()
            out["loss.w_pooled"] = wp
        loss.backward()
        for k in train:
            out["grad." + k] = w[k].grad.float()
        write_safetensors(os.path.join(args.out, "grads-" + name + ".safetensors"), out)
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump([{"name": n, "method": m, "set": o} for n, m, o in cases], f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
