"""Pieces shared by the float64 reference scripts of tiny random encoders.

Imported by gen_reference.py and gen_arch_reference.py (beside this file), by
methods/testdata/ref_methods.py and by perf/testdata/check_reference.py (which put this
directory on sys.path). Like those scripts it needs only torch, and is written from the
architectures' descriptions, independently of transformers and of the Go code.
"""
import json
import math
import os
import struct
import sys

import torch

# The tiny models' vocabulary: the special tokens, then words for the random ids.
VOCAB_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(
    "你好世界中国人我们是的一不了在有大上这个来到说和天气很北京语") + [
    chr(c) for c in range(ord("a"), ord("z") + 1)] + ["，", "。", "！"]
CLS, SEP, PAD, FIRST_WORD = 2, 3, 0, 5


class Rand:
    """Draws in float64 from one seeded generator, rounded to float32."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=1.0, mean=0.0):
        return (mean + std * torch.randn(*shape, generator=self.g, dtype=torch.float64)).float()

    def matrix(self, rows, cols):
        # Linear weight (out, in), scaled so activations stay O(1).
        return self.normal(rows, cols, std=1.0 / math.sqrt(cols))


def encoder_weights(r, prefix, vocab, types, hidden, inter, layers, emb=None, positions=0, pooler=True):
    """A random encoder's float32 state dict, transformers' names behind prefix: embeddings of
    width emb (default hidden; projected to hidden where it differs), absolute position
    embeddings where positions > 0, post-LN layers, and a pooler if asked for."""
    emb = emb or hidden
    w = {}
    e = prefix + "embeddings."
    w[e + "word_embeddings.weight"] = r.normal(vocab, emb, std=0.5)
    if positions:
        w[e + "position_embeddings.weight"] = r.normal(positions, emb, std=0.5)
    w[e + "token_type_embeddings.weight"] = r.normal(types, emb, std=0.5)
    w[e + "LayerNorm.weight"] = r.normal(emb, std=0.1, mean=1.0)
    w[e + "LayerNorm.bias"] = r.normal(emb, std=0.1)
    if emb != hidden:
        w[prefix + "embeddings_project.weight"] = r.matrix(hidden, emb)
        w[prefix + "embeddings_project.bias"] = r.normal(hidden, std=0.1)
    for l in range(layers):
        p = prefix + "encoder.layer.%d." % l
        for name, out, inp in [("attention.self.query", hidden, hidden), ("attention.self.key", hidden, hidden),
                               ("attention.self.value", hidden, hidden), ("attention.output.dense", hidden, hidden),
                               ("intermediate.dense", inter, hidden), ("output.dense", hidden, inter)]:
            w[p + name + ".weight"] = r.matrix(out, inp)
            w[p + name + ".bias"] = r.normal(out, std=0.1)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"] = r.normal(hidden, std=0.1, mean=1.0)
            w[p + ln + ".bias"] = r.normal(hidden, std=0.1)
    if pooler:
        w[prefix + "pooler.dense.weight"] = r.matrix(hidden, hidden)
        w[prefix + "pooler.dense.bias"] = r.normal(hidden, std=0.1)
    return w


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def layer_norm(x, g, b, eps=1e-12):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * g + b


def nezha_table(max_rel, d):
    """NEZHA's (2M+1, d) sinusoid rows, row r: sin(r w_c) at 2c, cos(r w_c) at 2c+1,
    w_c = 10000^(-2c/d), in float32 arithmetic as the NEZHA code computes them."""
    rows = 2 * max_rel + 1
    pos = torch.arange(rows, dtype=torch.float32)[:, None]
    omega = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    t = torch.zeros(rows, d)
    t[:, 0::2] = torch.sin(pos * omega)
    t[:, 1::2] = torch.cos(pos * omega)
    return t


def nezha_relative(t, plen, max_rel, d):
    """(T, P+T, d) float64: zero for prefix keys, table[clip(j - i, -M, M) + M] for real key j."""
    table = nezha_table(max_rel, d).double()
    rel = torch.zeros(t, plen + t, d, dtype=torch.float64)
    for i in range(t):
        for j in range(t):
            rel[i, plen + j] = table[max(-max_rel, min(max_rel, j - i)) + max_rel]
    return rel


def rotary_phases(start, t, d):
    """(T, d/2) angles p w_c, w_c = 10000^(-2c/d), for p = start..start+T-1, in float64."""
    return torch.tensor([[p / 10000.0 ** (2.0 * c / d) for c in range(d // 2)]
                         for p in range(start, start + t)], dtype=torch.float64)


def rotary_angles(start, t, d):
    """The sines and cosines of rotary_phases, rounded to float32 as RoFormer stores them."""
    ang = rotary_phases(start, t, d)
    return torch.sin(ang).float().double(), torch.cos(ang).float().double()


def turn(x, sin, cos):
    """Rotate each pair (x[2c], x[2c+1]) of x (B, heads, T, d) by the angle with sin, cos (T, d/2)."""
    a, b = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = b * cos + a * sin
    return out


def batch(g, lengths, width):
    """[CLS] a… [SEP] b… [SEP] rows of the given real lengths (rows under 5 tokens: one
    segment), random words of VOCAB_WORDS, padded to width."""
    ids = torch.full((len(lengths), width), PAD, dtype=torch.int64)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(FIRST_WORD, len(VOCAB_WORDS), (n,), generator=g)
        ids[row, 0], ids[row, n - 1] = CLS, SEP
        if n >= 5:
            cut = n // 2
            ids[row, cut] = SEP
            types[row, cut + 1:n] = 1
        mask[row, :n] = 1
    return ids, types, mask


def embed_inputs():
    """(tag, input_ids, token_type_ids) of the fixed sequences of the `bench embed` test: the
    token ids of "你好世界", and of the pair ("你好", "世界")."""
    w = [VOCAB_WORDS.index(c) for c in "你好世界"]
    return [(tag, torch.tensor([ids]), torch.tensor([types])) for tag, ids, types in (
        ("embed_single", [CLS] + w + [SEP], [0] * 6),
        ("embed_pair", [CLS] + w[:2] + [SEP] + w[2:] + [SEP], [0, 0, 0, 0, 1, 1, 1]))]


def write_model_dir(path, cfg, save):
    """An HF model directory: config.json, vocab.txt (VOCAB_WORDS), and the weights save(path) writes."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(path, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB_WORDS) + "\n")
    save(path)


ST_DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
             torch.bfloat16: "BF16", torch.int64: "I64"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what matter
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    """tensors by sorted name, then the header's __metadata__ where given."""
    assert sys.byteorder == "little"
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        raw = tensor_bytes(tensors[name])
        header[name] = {"dtype": ST_DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


ST_BACK = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        raw = bytearray(data[8 + n + a:8 + n + b])
        out[name] = torch.frombuffer(raw, dtype=ST_BACK[h["dtype"]]).reshape(h["shape"]).clone()
    return out
