#!/usr/bin/python3
"""Write a tiny random BERT in three Hugging Face layouts, plus reference outputs.

Usage: /usr/bin/python3 gen_reference.py --out DIR [--seed N]

Needs only torch. The forward pass here is written from the BERT description (post-LN layers,
erf GELU, tanh pooler), independently of transformers and of the Go code, and runs in float64 so
that the references carry no float32 rounding of their own.

DIR gets:
  bin/          pytorch_model.bin (zip format), names with "bert." plus cls.* heads whose decoder
                weight shares storage with the word embeddings, an int64 position_ids buffer,
                _metadata on the dict, and one BF16 and one F16 tensor
  safetensors/  model.safetensors written by hand (tinyref.py), names without "bert.", mixed dtypes
                (embeddings F16, layers BF16, pooler F32)
  legacy/       pytorch_model.bin in torch's legacy (non-zip) format, "bert." names with
                LayerNorm.gamma/beta, and an old-style config.json without optional fields
  reference.safetensors
                inputs and expected outputs: "nopad.*" (2x6, no padding) and "pad.*" (3x8, rows of
                8, 5 and 3 real tokens); "pad.prefix_shift.*"/"pad.prefix_noshift.*" with per-layer
                key/value prefixes "prefix.keys"/"prefix.values" (L, B, heads, P, d); "pad.branch.*"
                with an extra FFN branch per layer "branch.N.{w1,b1,w2,b2}"; "embed_single.*" and
                "embed_pair.*" for the token ids of "你好世界" and of the pair ("你好", "世界")
Every weight is exactly representable in F16 and BF16, so all three layouts hold the same model.
"""
import argparse
import collections
import math
import os

import torch
import torch.nn.functional as F

from tinyref import VOCAB_WORDS, batch, embed_inputs, write_model_dir, write_safetensors

H, LAYERS, HEADS, INTER, VOCAB, TYPES, MAXPOS = 32, 2, 4, 64, 64, 2, 40
PREFIX_LEN, BRANCH_UNITS = 3, 6
assert len(VOCAB_WORDS) == VOCAB, len(VOCAB_WORDS)


def config(full):
    c = collections.OrderedDict(
        attention_probs_dropout_prob=0.1, hidden_act="gelu", hidden_dropout_prob=0.1,
        hidden_size=H, initializer_range=0.02, intermediate_size=INTER,
        max_position_embeddings=MAXPOS, num_attention_heads=HEADS, num_hidden_layers=LAYERS,
        type_vocab_size=TYPES, vocab_size=VOCAB)
    if full:
        c.update(architectures=["BertForPreTraining"], model_type="bert", layer_norm_eps=1e-12,
                 pad_token_id=0, position_embedding_type="absolute", torch_dtype="float32",
                 transformers_version="4.30.0")
    return c


def exact(t):
    """Round to BF16, then drop magnitudes F16 cannot hold exactly, so F32/F16/BF16 agree."""
    t = t.to(torch.bfloat16).to(torch.float32)
    t[t.abs() < 2.0 ** -14] = 0.0
    assert torch.equal(t.half().float(), t) and torch.equal(t.bfloat16().float(), t)
    return t


def random_weights(g):
    """State dict in transformers naming, relative to the bert module."""
    def mat(out, inp):
        return exact(torch.randn(out, inp, generator=g) / math.sqrt(inp))

    def vec(n, scale=0.1, base=0.0):
        return exact(base + scale * torch.randn(n, generator=g))

    sd = collections.OrderedDict()
    sd["embeddings.word_embeddings.weight"] = exact(0.5 * torch.randn(VOCAB, H, generator=g))
    sd["embeddings.position_embeddings.weight"] = exact(0.5 * torch.randn(MAXPOS, H, generator=g))
    sd["embeddings.token_type_embeddings.weight"] = exact(0.5 * torch.randn(TYPES, H, generator=g))
    sd["embeddings.LayerNorm.weight"] = vec(H, base=1.0)
    sd["embeddings.LayerNorm.bias"] = vec(H)
    for i in range(LAYERS):
        p = "encoder.layer.%d." % i
        for name in ("query", "key", "value"):
            sd[p + "attention.self.%s.weight" % name] = mat(H, H)
            sd[p + "attention.self.%s.bias" % name] = vec(H)
        sd[p + "attention.output.dense.weight"] = mat(H, H)
        sd[p + "attention.output.dense.bias"] = vec(H)
        sd[p + "attention.output.LayerNorm.weight"] = vec(H, base=1.0)
        sd[p + "attention.output.LayerNorm.bias"] = vec(H)
        sd[p + "intermediate.dense.weight"] = mat(INTER, H)
        sd[p + "intermediate.dense.bias"] = vec(INTER)
        sd[p + "output.dense.weight"] = mat(H, INTER)
        sd[p + "output.dense.bias"] = vec(H)
        sd[p + "output.LayerNorm.weight"] = vec(H, base=1.0)
        sd[p + "output.LayerNorm.bias"] = vec(H)
    sd["pooler.dense.weight"] = mat(H, H)
    sd["pooler.dense.bias"] = vec(H)
    return sd


def forward(sd, ids, types, mask, prefix=None, shift=False, branch=None):
    """BERT encoder in float64. prefix: (keys, values), each (L, B, heads, P, d)."""
    w = {k: v.double() for k, v in sd.items()}
    b, t = ids.shape
    d = H // HEADS
    plen = prefix[0].shape[3] if prefix is not None else 0
    start = plen if shift else 0

    def ln(x, name):
        return F.layer_norm(x, (H,), w[name + ".weight"], w[name + ".bias"], eps=1e-12)

    def dense(x, name):
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.token_type_embeddings.weight"][types]
         + w["embeddings.position_embeddings.weight"][torch.arange(start, start + t)][None])
    x = ln(x, "embeddings.LayerNorm")
    visible = torch.cat([torch.ones(b, plen, dtype=torch.bool), mask.bool()], dim=1)
    for i in range(LAYERS):
        p = "encoder.layer.%d." % i

        def split(y):
            return y.view(b, t, HEADS, d).transpose(1, 2)

        q = split(dense(x, p + "attention.self.query"))
        k = split(dense(x, p + "attention.self.key"))
        v = split(dense(x, p + "attention.self.value"))
        if prefix is not None:
            k = torch.cat([prefix[0][i].double(), k], dim=2)
            v = torch.cat([prefix[1][i].double(), v], dim=2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)
        scores = scores.masked_fill(~visible[:, None, None, :], float("-inf"))
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, H)
        x = ln(x + dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = dense(F.gelu(dense(x, p + "intermediate.dense")), p + "output.dense")
        if branch is not None:
            w1, b1, w2, b2 = (branch["branch.%d.%s" % (i, n)].double() for n in ("w1", "b1", "w2", "b2"))
            h = h + F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2)
        x = ln(x + h, p + "output.LayerNorm")
    pooled = torch.tanh(dense(x[:, 0], "pooler.dense"))
    return x.float(), pooled.float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    g = torch.Generator().manual_seed(args.seed)
    sd = random_weights(g)

    # bin: "bert." names, pre-training heads (decoder tied to the word embeddings), position_ids.
    full = collections.OrderedDict(("bert." + k, v) for k, v in sd.items())
    full["bert.embeddings.position_ids"] = torch.arange(MAXPOS).expand(1, -1)
    cls_bias = exact(0.1 * torch.randn(VOCAB, generator=g))
    full["cls.predictions.bias"] = cls_bias
    full["cls.predictions.transform.dense.weight"] = exact(torch.randn(H, H, generator=g) / math.sqrt(H))
    full["cls.predictions.transform.dense.bias"] = exact(0.1 * torch.randn(H, generator=g))
    full["cls.predictions.transform.LayerNorm.weight"] = torch.ones(H)
    full["cls.predictions.transform.LayerNorm.bias"] = torch.zeros(H)
    full["cls.predictions.decoder.weight"] = full["bert.embeddings.word_embeddings.weight"]
    full["cls.predictions.decoder.bias"] = cls_bias
    full["cls.seq_relationship.weight"] = exact(torch.randn(2, H, generator=g) / math.sqrt(H))
    full["cls.seq_relationship.bias"] = torch.zeros(2)
    # As in a module's state_dict(): an OrderedDict carrying _metadata, and a few non-F32 storages.
    full._metadata = collections.OrderedDict([("", {"version": 1}), ("bert", {"version": 1})])
    full["bert.pooler.dense.weight"] = full["bert.pooler.dense.weight"].to(torch.bfloat16)
    full["bert.encoder.layer.0.intermediate.dense.weight"] = full["bert.encoder.layer.0.intermediate.dense.weight"].half()
    write_model_dir(os.path.join(args.out, "bin"), config(True),
                    lambda d: torch.save(full, os.path.join(d, "pytorch_model.bin")))

    # safetensors: no prefix, mixed dtypes.
    def st_dtype(name):
        if name.startswith("embeddings."):
            return torch.float16
        if name.startswith("encoder."):
            return torch.bfloat16
        return torch.float32
    st = {k: v.to(st_dtype(k)) for k, v in sd.items()}
    write_model_dir(os.path.join(args.out, "safetensors"), config(True),
                    lambda d: write_safetensors(os.path.join(d, "model.safetensors"), st, metadata={"format": "pt"}))

    # legacy: TF-era LayerNorm names, legacy torch.save format, minimal config.
    def legacy_name(k):
        if "LayerNorm." in k:
            k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        return "bert." + k
    old = collections.OrderedDict((legacy_name(k), v) for k, v in sd.items())
    old._metadata = collections.OrderedDict([("", {"version": 1})])
    write_model_dir(os.path.join(args.out, "legacy"), config(False),
                    lambda d: torch.save(old, os.path.join(d, "pytorch_model.bin"),
                                         _use_new_zipfile_serialization=False))

    ref = {}
    for tag, lengths, width in (("nopad", [6, 6], 6), ("pad", [8, 5, 3], 8)):
        ids, types, mask = batch(g, lengths, width)
        ref[tag + ".input_ids"], ref[tag + ".token_type_ids"], ref[tag + ".attention_mask"] = ids, types, mask
        ref[tag + ".hidden"], ref[tag + ".pooled"] = forward(sd, ids, types, mask)
    ids, types, mask = ref["pad.input_ids"], ref["pad.token_type_ids"], ref["pad.attention_mask"]
    d = H // HEADS
    keys = torch.randn(LAYERS, len(ids), HEADS, PREFIX_LEN, d, generator=g)
    values = torch.randn(LAYERS, len(ids), HEADS, PREFIX_LEN, d, generator=g)
    ref["prefix.keys"], ref["prefix.values"] = keys, values
    for tag, shift in (("prefix_shift", True), ("prefix_noshift", False)):
        ref["pad.%s.hidden" % tag], ref["pad.%s.pooled" % tag] = forward(
            sd, ids, types, mask, prefix=(keys, values), shift=shift)
    branch = {}
    for i in range(LAYERS):
        branch["branch.%d.w1" % i] = 0.3 * torch.randn(BRANCH_UNITS, H, generator=g)
        branch["branch.%d.b1" % i] = 0.1 * torch.randn(BRANCH_UNITS, generator=g)
        branch["branch.%d.w2" % i] = 0.3 * torch.randn(H, BRANCH_UNITS, generator=g)
        branch["branch.%d.b2" % i] = 0.1 * torch.randn(H, generator=g)
    ref.update(branch)
    ref["pad.branch.hidden"], ref["pad.branch.pooled"] = forward(sd, ids, types, mask, branch=branch)
    # Fixed token sequences for the `bench embed` test.
    for tag, ids, types in embed_inputs():
        ref[tag + ".input_ids"], ref[tag + ".token_type_ids"] = ids, types
        ref[tag + ".hidden"], ref[tag + ".pooled"] = forward(sd, ids, types, torch.ones_like(ids))
    write_safetensors(os.path.join(args.out, "reference.safetensors"), ref, metadata={"format": "pt"})


if __name__ == "__main__":
    main()
