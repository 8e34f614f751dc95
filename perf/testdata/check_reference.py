"""Check reference.py's NEZHA and RoFormer forward passes against model/testdata/arch.

Usage: /usr/bin/python3 perf/testdata/check_reference.py MODEL_TESTDATA_ARCH_DIR

model/testdata/gen_arch_reference.py wrote tiny NEZHA and RoFormer models with float64 outputs
of an independent implementation. This loads each model's weights into reference.py's Model and
compares its hidden states (eval mode, float32) on the padded batch, with and without a P-tuning
v2 prefix (the fixture's per-layer keys and values in place of the prefix table), and with
shifted positions where the fixture has them. Exits 1 on a mismatch, printing each comparison.
"""
import json
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, os.path.join(here, "..", "..", "model", "testdata"))
import reference  # noqa: E402
from tinyref import read_safetensors  # noqa: E402

TOLERANCE = 1e-4

NAMES = {  # transformers' names (after the namespace) -> reference.py's
    "embeddings.word_embeddings.": "word.",
    "embeddings.token_type_embeddings.": "typ.",
    "embeddings.LayerNorm.": "emb_ln.",
    "embeddings_project.": "emb_proj.",
    "attention.self.query.": "query.",
    "attention.self.key.": "key.",
    "attention.self.value.": "value.",
    "attention.output.dense.": "attn_out.",
    "attention.output.LayerNorm.": "attn_ln.",
    "intermediate.dense.": "inter.",
    "output.dense.": "out.",
    "output.LayerNorm.": "out_ln.",
    "pooler.dense.": "pooler.",
}


def state_dict(model_dir, arch):
    st = os.path.join(model_dir, "model.safetensors")
    raw = read_safetensors(st) if os.path.exists(st) else torch.load(os.path.join(model_dir, "pytorch_model.bin"))
    out = {}
    for name, t in raw.items():
        if name.startswith(arch + "."):
            name = name[len(arch) + 1:]
        if "relative_positions" in name or "embed_positions" in name:
            continue  # buffers reference.py computes
        if name.startswith("encoder.layer."):
            parts = name.split(".", 3)
            prefix, name = "layers.%s." % parts[2], parts[3]
        else:
            prefix = ""
        for hf, ours in NAMES.items():
            if name.startswith(hf):
                name = ours + name[len(hf):]
                break
        else:
            raise KeyError("unmapped weight " + name)
        out[prefix + name] = t
    return out


def main():
    root = sys.argv[1]
    failed = False
    for sub in ("nezha", "roformer", "roformer-project"):
        d = os.path.join(root, sub)
        with open(os.path.join(d, "config.json")) as f:
            c = json.load(f)
        ref = read_safetensors(os.path.join(d, "reference.safetensors"))
        model = reference.Model(c, 2, "fine-tuning", {})
        sd = state_dict(d, c["model_type"])
        missing, unexpected = model.load_state_dict(sd, strict=False)
        missing = [m for m in missing if not m.startswith("classifier.")]
        if missing or unexpected:
            print("%s: missing %s, unexpected %s" % (sub, missing, unexpected))
            failed = True
            continue
        model.eval()
        cases = [("nopad", 0, False), ("pad", 0, False), ("pad.prefix_noshift", 3, False)]
        if "pad.prefix_shift.hidden" in ref:
            cases.append(("pad.prefix_shift", 3, True))
        keys, values = ref["prefix.keys"], ref["prefix.values"]
        for tag, plen, shift in cases:
            inputs = tag.split(".")[0]
            model.plen, model.start = plen, plen if shift else 0
            model.prefix_kv = lambda layer, b: (keys[layer], values[layer])
            with torch.no_grad():
                got = model.encode(ref[inputs + ".input_ids"], ref[inputs + ".token_type_ids"], ref[inputs + ".attention_mask"])
            mask = ref[inputs + ".attention_mask"].bool()
            diff = (got - ref[tag + ".hidden"])[mask].abs().max().item()
            ok = diff <= TOLERANCE
            failed |= not ok
            print("%s %s: max |difference| over real tokens %.2e (%s)" % (sub, tag, diff, "ok" if ok else "MISMATCH"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
