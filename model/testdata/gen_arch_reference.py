#!/usr/bin/python3
"""Write tiny random NEZHA and RoFormer models in Hugging Face layouts, plus reference outputs.

Usage: /usr/bin/python3 gen_arch_reference.py --out DIR [--seed N]

Needs only torch. The forward passes are written here from the two architectures' descriptions,
independently of transformers and of the Go code, and run in float64:

  NEZHA     BERT without absolute position embeddings. In every layer, for a query at i and a
            key at j, the row clip(j - i, -M, M) + M of a fixed sinusoid table (2M+1 rows x d;
            row r: sin(r w_c) at 2c, cos(r w_c) at 2c+1, w_c = 10000^(-2c/d), built in float32
            as the NEZHA code builds it) is added to the key inside the score and to the value
            inside the context. Prefix keys/values get no relative term.
  RoFormer  word + token type embeddings of width E, LayerNorm, then Linear(E, H) when E != H;
            queries and keys (values too with rotary_value) of the token at position p have
            each pair (2c, 2c+1) turned by the angle p w_c (angles computed in float64, stored
            as float32); no pooler. Prefix keys/values are not turned.

DIR gets one directory per model, each an HF model directory (config.json, vocab.txt, weights)
with reference.safetensors beside them:
  nezha/            model.safetensors, "nezha." names, with the relative-position buffer
  nezha-legacy/     the same weights as pytorch_model.bin with "bert." names and LayerNorm gamma/beta
  roformer/         model.safetensors, no prefix, E = H, with encoder.embed_positions.weight
  roformer-project/ pytorch_model.bin, "roformer." names, E < H (embeddings_project), rotary_value
reference.safetensors holds "nopad.*" (2x6) and "pad.*" (3x8, rows of 8, 5 and 3 real tokens,
sentence pairs) inputs and outputs; "pad.prefix_shift.*"/"pad.prefix_noshift.*" with per-layer
prefixes "prefix.keys"/"prefix.values" (L, B, heads, P, d) (NEZHA: unshifted only); "pad.branch.*"
with an extra FFN branch per layer "branch.N.{w1,b1,w2,b2}"; "embed_single.*" and "embed_pair.*" for
the token ids of "你好世界" and of the pair ("你好", "世界"); "*.pooled" only where there is a pooler.
"""
import argparse
import collections
import math
import os

import torch

from tinyref import (VOCAB_WORDS, Rand, batch, embed_inputs, encoder_weights, gelu, layer_norm,
                     nezha_relative, nezha_table, rotary_angles, rotary_phases, turn, write_model_dir,
                     write_safetensors)

H, LAYERS, HEADS, INTER, VOCAB, TYPES, MAXPOS = 32, 2, 4, 64, 64, 2, 40
D = H // HEADS
MAX_REL = 3  # small, so that the 8-token rows reach the clipping
PREFIX_LEN, BRANCH_UNITS = 3, 6
assert len(VOCAB_WORDS) == VOCAB


def weights(r, arch, emb):
    """Encoder state dict relative to the base model, float32."""
    return encoder_weights(r, "", VOCAB, TYPES, H, INTER, LAYERS, emb=emb, pooler=arch == "nezha")


def forward(arch, cfg, w, ids, types, mask, prefix=None, shift=False, branch=None):
    w = {k: v.double() for k, v in w.items()}
    b, t = ids.shape
    plen = prefix[0].shape[3] if prefix is not None else 0
    start = plen if shift else 0

    def lin(y, name):
        return y @ w[name + ".weight"].T + w[name + ".bias"]

    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    if "embeddings_project.weight" in w:
        x = lin(x, "embeddings_project")
    seen = torch.cat([torch.ones(b, plen, dtype=torch.bool), mask.bool()], 1)
    bias = torch.zeros(b, plen + t, dtype=torch.float64).masked_fill(~seen, float("-inf"))
    rel = nezha_relative(t, plen, MAX_REL, D) if arch == "nezha" else None
    sin, cos = rotary_angles(start, t, D) if arch == "roformer" else (None, None)
    for l in range(LAYERS):
        p = "encoder.layer.%d." % l
        q, k, v = (lin(x, p + "attention.self." + n).reshape(b, t, HEADS, D).permute(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        if arch == "roformer":
            q, k = turn(q, sin, cos), turn(k, sin, cos)
            if cfg.get("rotary_value"):
                v = turn(v, sin, cos)
        if prefix is not None:
            k = torch.cat([prefix[0][l].double(), k], 2)
            v = torch.cat([prefix[1][l].double(), v], 2)
        scores = torch.einsum("bhid,bhjd->bhij", q, k)
        if rel is not None:
            scores = scores + torch.einsum("bhid,ijd->bhij", q, rel)
        probs = torch.softmax(scores / math.sqrt(D) + bias[:, None, None, :], -1)
        ctx = torch.einsum("bhij,bhjd->bhid", probs, v)
        if rel is not None:
            ctx = ctx + torch.einsum("bhij,ijd->bhid", probs, rel)
        ctx = ctx.permute(0, 2, 1, 3).reshape(b, t, H)
        x = layer_norm(x + lin(ctx, p + "attention.output.dense"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        ffn = lin(gelu(lin(x, p + "intermediate.dense")), p + "output.dense")
        if branch is not None:
            bw = {n: branch["branch.%d.%s" % (l, n)].double() for n in ("w1", "b1", "w2", "b2")}
            ffn = ffn + gelu(x @ bw["w1"].T + bw["b1"]) @ bw["w2"].T + bw["b2"]
        x = layer_norm(x + ffn, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = torch.tanh(lin(x[:, 0], "pooler.dense")) if "pooler.dense.weight" in w else None
    return x.float(), (pooled.float() if pooled is not None else None)


def config(arch, extra):
    c = collections.OrderedDict(
        architectures=["NezhaModel" if arch == "nezha" else "RoFormerModel"], model_type=arch,
        attention_probs_dropout_prob=0.1, hidden_act="gelu", hidden_dropout_prob=0.1,
        hidden_size=H, initializer_range=0.02, intermediate_size=INTER, layer_norm_eps=1e-12,
        max_position_embeddings=MAXPOS, num_attention_heads=HEADS, num_hidden_layers=LAYERS,
        pad_token_id=0, type_vocab_size=TYPES, vocab_size=VOCAB)
    c.update(extra)
    return c


def references(r, arch, cfg, w):
    ref = {}
    for tag, lengths, width in (("nopad", [6, 6], 6), ("pad", [8, 5, 3], 8)):
        ids, types, mask = batch(r.g, lengths, width)
        ref[tag + ".input_ids"], ref[tag + ".token_type_ids"], ref[tag + ".attention_mask"] = ids, types, mask
        hidden, pooled = forward(arch, cfg, w, ids, types, mask)
        ref[tag + ".hidden"] = hidden
        if pooled is not None:
            ref[tag + ".pooled"] = pooled
    ids, types, mask = ref["pad.input_ids"], ref["pad.token_type_ids"], ref["pad.attention_mask"]
    keys = r.normal(LAYERS, len(ids), HEADS, PREFIX_LEN, D)
    values = r.normal(LAYERS, len(ids), HEADS, PREFIX_LEN, D)
    ref["prefix.keys"], ref["prefix.values"] = keys, values
    shifts = [("prefix_noshift", False)] + ([("prefix_shift", True)] if arch == "roformer" else [])
    for tag, shift in shifts:
        hidden, pooled = forward(arch, cfg, w, ids, types, mask, prefix=(keys, values), shift=shift)
        ref["pad.%s.hidden" % tag] = hidden
        if pooled is not None:
            ref["pad.%s.pooled" % tag] = pooled
    branch = {}
    for l in range(LAYERS):
        branch["branch.%d.w1" % l] = r.normal(BRANCH_UNITS, H, std=0.3)
        branch["branch.%d.b1" % l] = r.normal(BRANCH_UNITS, std=0.1)
        branch["branch.%d.w2" % l] = r.normal(H, BRANCH_UNITS, std=0.3)
        branch["branch.%d.b2" % l] = r.normal(H, std=0.1)
    ref.update(branch)
    hidden, pooled = forward(arch, cfg, w, ids, types, mask, branch=branch)
    ref["pad.branch.hidden"] = hidden
    if pooled is not None:
        ref["pad.branch.pooled"] = pooled
    # Fixed token sequences for the `bench embed` test.
    for tag, ids, types in embed_inputs():
        ref[tag + ".input_ids"], ref[tag + ".token_type_ids"] = ids, types
        hidden, pooled = forward(arch, cfg, w, ids, types, torch.ones_like(ids))
        ref[tag + ".hidden"] = hidden
        if pooled is not None:
            ref[tag + ".pooled"] = pooled
    return ref


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = Rand(args.seed)

    # NEZHA: the HF layout with its relative-position buffer (T x T x d per layer, as saved by
    # NezhaModel), and a legacy layout with "bert." names and TF-era LayerNorm names.
    cfg = config("nezha", {"max_relative_position": MAX_REL})
    w = weights(r, "nezha", H)
    ref = references(r, "nezha", cfg, w)
    table = nezha_table(MAX_REL, D)
    dist = torch.arange(MAXPOS)[None, :] - torch.arange(MAXPOS)[:, None]
    buffer = table[dist.clamp(-MAX_REL, MAX_REL) + MAX_REL]
    hf = collections.OrderedDict(("nezha." + k, v) for k, v in w.items())
    for l in range(LAYERS):
        hf["nezha.encoder.layer.%d.attention.self.relative_positions_encoding.positions_encoding" % l] = buffer
    out = os.path.join(args.out, "nezha")
    write_model_dir(out, cfg, lambda d: write_safetensors(os.path.join(d, "model.safetensors"), hf))
    write_safetensors(os.path.join(out, "reference.safetensors"), ref)

    def legacy(k):
        return "bert." + k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
    old = collections.OrderedDict((legacy(k), v) for k, v in w.items())
    out = os.path.join(args.out, "nezha-legacy")
    write_model_dir(out, cfg, lambda d: torch.save(old, os.path.join(d, "pytorch_model.bin")))
    write_safetensors(os.path.join(out, "reference.safetensors"), ref)

    # RoFormer, E = H: no prefix on the names, the sinusoid table as HF saves it.
    cfg = config("roformer", {"rotary_value": False})
    w = weights(r, "roformer", H)
    ref = references(r, "roformer", cfg, w)
    sd = collections.OrderedDict(w)
    ang = rotary_phases(0, MAXPOS, D)
    sd["encoder.embed_positions.weight"] = torch.cat([torch.sin(ang), torch.cos(ang)], 1).float()
    out = os.path.join(args.out, "roformer")
    write_model_dir(out, cfg, lambda d: write_safetensors(os.path.join(d, "model.safetensors"), sd))
    write_safetensors(os.path.join(out, "reference.safetensors"), ref)

    # RoFormer, E < H and rotary values.
    cfg = config("roformer", {"embedding_size": 24, "rotary_value": True})
    w = weights(r, "roformer", 24)
    ref = references(r, "roformer", cfg, w)
    sd = collections.OrderedDict(("roformer." + k, v) for k, v in w.items())
    out = os.path.join(args.out, "roformer-project")
    write_model_dir(out, cfg, lambda d: torch.save(sd, os.path.join(d, "pytorch_model.bin")))
    write_safetensors(os.path.join(out, "reference.safetensors"), ref)


if __name__ == "__main__":
    main()
