"""PyTorch eager reference for `bench perf`.

Trains the same encoder (BERT, NEZHA or RoFormer, by the config's model_type) with the same
tuning methods as the Go harness, on the same
libtorch (Debian's python3-torch), with the same shapes, thread count, dtype, dropout, loss,
clipping and AdamW, so that the two step rates can be compared. It is a plain eager PyTorch
program written the way one would write it by hand: nn.Linear/nn.LayerNorm modules,
torch.optim.AdamW over the trainable parameters (weight decay on weights only), and
clip_grad_norm_.

NEZHA and RoFormer follow transformers' NezhaModel and RoFormerModel (and
model/testdata/gen_arch_reference.py): NEZHA has no absolute position embeddings and adds a fixed
sinusoid row per query and key, clip(j - i, -M, M) + M, to the key in the scores and to the value
in the context (zero over prefix keys), computed per query by batched matmuls as NezhaSelfAttention
does; RoFormer has no position embeddings either, projects E to H when embedding_size differs,
turns each pair of query and key dimensions (values too with rotary_value) by the angle p w_c
before the prefix is put in front, and has no pooler.

With "device": "cuda[:N]" in the workload it trains on that GPU, uploads each batch inside the
timed step (as the harness does) and synchronises the device before every clock read.

Usage: /usr/bin/python3 perf/reference.py '<workload JSON>'   (the JSON that bench perf passes)
Prints one JSON object on stdout: the measurement, in the layout of perf.Measurement.
"""

import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


ACTS = {"relu": torch.relu, "swish": lambda x: x * torch.sigmoid(x), "tanh": torch.tanh, "gelu": F.gelu}

# The methods' defaults, as the Go code has them (methods/*.go).
DEFAULTS = {
    "lora": {"r": "8", "alpha": "8", "target_modules": '["query","value"]', "use_rslora": "false", "dropout": "0"},
    "adapter": {"bottleneck": "64", "activation": "swish"},
    "parallel-adapter": {"bottleneck": "512", "scaling": "4.0", "activation": "relu"},
    "prompt-tuning": {"num_virtual_tokens": "20"},
    "prefix-tuning": {"prefix_len": "20", "projection": "true", "projection_hidden": "512"},
    "p-tuning-v2": {"prefix_len": "160", "projection": "false", "projection_hidden": "512"},
}


def method_options(method, opts):
    """opts (key=value strings) over the method's defaults, values decoded as JSON where they parse."""
    out = {}
    for k, v in dict(DEFAULTS.get(method, {}), **opts).items():
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    return out


class Layer(nn.Module):
    """One post-LN transformer layer with P-tuning v2 prefixes and an FL-tuning FFN branch."""

    def __init__(self, c, fl_units, method="", o=None):
        super().__init__()
        o = o or {}
        h, i = c["hidden_size"], c["intermediate_size"]
        self.nh = c["num_attention_heads"]
        self.d = h // self.nh
        self.arch = c.get("model_type") or "bert"
        self.rotary_value = bool(c.get("rotary_value"))
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attn_out = nn.Linear(h, h)
        self.attn_ln = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.inter, self.out = nn.Linear(h, i), nn.Linear(i, h)
        self.out_ln = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.p_hidden = c["hidden_dropout_prob"]
        self.p_attn = c["attention_probs_dropout_prob"]
        self.fl = None
        if fl_units:
            self.fl = nn.Sequential(nn.Linear(h, fl_units), nn.GELU(), nn.Linear(fl_units, h))
        # The other methods' additions, as methods/testdata/ref_methods.py writes them.
        self.lora, self.lora_scale, self.lora_p = None, 0.0, 0.0
        if method == "lora":
            r = int(o["r"])
            dims = {"intermediate.dense": (h, i), "output.dense": (i, h)}
            self.lora = nn.ModuleDict()
            for site in o["target_modules"]:
                fi, fo = dims.get(site, (h, h))
                self.lora[site.replace(".", "_")] = nn.Sequential(nn.Linear(fi, r, bias=False), nn.Linear(r, fo, bias=False))
            self.lora_scale = float(o["alpha"]) / (math.sqrt(r) if o["use_rslora"] else r)
            self.lora_p = float(o.get("dropout", 0.0))
        self.ia3 = None
        if method == "ia3":
            self.ia3 = nn.ParameterDict({"key": nn.Parameter(torch.ones(h)), "value": nn.Parameter(torch.ones(h)),
                                         "ffn": nn.Parameter(torch.ones(i))})
        self.adapters, self.par_adapter, self.act = None, None, None
        if method in ("adapter", "parallel-adapter"):
            m = int(o["bottleneck"])
            self.act = ACTS[o["activation"]]
            pair = lambda: nn.ModuleDict({"down": nn.Linear(h, m), "up": nn.Linear(m, h)})
            if method == "adapter":
                self.adapters = nn.ModuleDict({"attention": pair(), "output": pair()})
            else:
                self.par_adapter, self.par_scale = pair(), float(o["scaling"])

    def site(self, y, name, lin):
        """lin(y), the layer's map name (as the methods name it), with LoRA's update."""
        out = lin(y)
        if self.lora is not None and name.replace(".", "_") in self.lora:
            out = out + self.lora[name.replace(".", "_")](F.dropout(y, self.lora_p, self.training)) * self.lora_scale
        return out

    def adapter(self, out, block):
        if self.adapters is None:
            return out
        a = self.adapters[block]
        return out + a["up"](self.act(a["down"](out)))

    def heads(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.nh, self.d).permute(0, 2, 1, 3)

    def per_query(self, x, m):
        """x (B, heads, T, n) times a per-query matrix m (T, n, k): (B, heads, T, k)."""
        b, nh, t, n = x.shape
        y = x.permute(2, 0, 1, 3).reshape(t, b * nh, n).matmul(m)
        return y.view(t, b, nh, -1).permute(1, 2, 0, 3)

    def forward(self, x, mask, prefix, pos):
        b, t, h = x.shape
        q = self.site(x, "query", self.query)
        k, v = self.site(x, "key", self.key), self.site(x, "value", self.value)
        if self.ia3 is not None:
            k, v = k * self.ia3["key"], v * self.ia3["value"]
        q, k, v = self.heads(q), self.heads(k), self.heads(v)
        if self.arch == "roformer":
            sin, cos = pos
            q, k = rotate(q, sin, cos), rotate(k, sin, cos)
            if self.rotary_value:
                v = rotate(v, sin, cos)
        if prefix is not None:
            k = torch.cat([prefix[0], k], dim=2)
            v = torch.cat([prefix[1], v], dim=2)
        scores = q.matmul(k.transpose(-1, -2))
        if self.arch == "nezha":
            scores = scores + self.per_query(q, pos[1])
        scores = scores / math.sqrt(self.d) + mask
        probs = F.dropout(scores.softmax(-1), self.p_attn, self.training)
        ctx = probs.matmul(v)
        if self.arch == "nezha":
            ctx = ctx + self.per_query(probs, pos[0])
        ctx = ctx.permute(0, 2, 1, 3).reshape(b, t, h)
        att = F.dropout(self.site(ctx, "attention.output.dense", self.attn_out), self.p_hidden, self.training)
        a = self.attn_ln(x + self.adapter(att, "attention"))
        mid = F.gelu(self.site(a, "intermediate.dense", self.inter))
        if self.ia3 is not None:
            mid = mid * self.ia3["ffn"]
        o = self.site(mid, "output.dense", self.out)
        if self.fl is not None:
            o = o + self.fl(a)
        if self.par_adapter is not None:
            o = o + self.par_scale * self.par_adapter["up"](self.act(self.par_adapter["down"](a)))
        return self.out_ln(a + self.adapter(F.dropout(o, self.p_hidden, self.training), "output"))


def rotate(x, sin, cos):
    """RoFormer's rotary turn of x (B, heads, T, d): pairs (2c, 2c+1) by the angles with sin, cos (T, d)."""
    rot = torch.stack([-x[..., 1::2], x[..., 0::2]], dim=-1).reshape_as(x)
    return x * cos + rot * sin


def nezha_table(m, d):
    """NEZHA's (2M+1, d) sinusoid rows, in float32 as NezhaRelativePositionsEncoding builds them."""
    pos = torch.arange(2 * m + 1, dtype=torch.float32)[:, None]
    omega = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    t = torch.zeros(2 * m + 1, d)
    t[:, 0::2] = torch.sin(pos * omega)
    t[:, 1::2] = torch.cos(pos * omega)
    return t


def rotary_tables(n, d):
    """RoFormer's (n, d) sines and cosines of p w_c, each repeated for both of a pair; float64, stored as float32."""
    p = torch.arange(n, dtype=torch.float64)[:, None]
    ang = p / torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float64) / d)
    return (torch.sin(ang).float().repeat_interleave(2, dim=-1),
            torch.cos(ang).float().repeat_interleave(2, dim=-1))


class Model(nn.Module):
    """Encoder + P-tuning v2 prefix table + classifier on [CLS] (no pooler in the loss)."""

    def __init__(self, c, labels, method, opts):
        super().__init__()
        h = c["hidden_size"]
        self.c = c
        self.arch = c.get("model_type") or "bert"
        e = (c.get("embedding_size") or h) if self.arch == "roformer" else h
        self.word = nn.Embedding(c["vocab_size"], e, padding_idx=c.get("pad_token_id", 0))
        if self.arch == "bert":
            self.pos = nn.Embedding(c["max_position_embeddings"], h)
        self.typ = nn.Embedding(c["type_vocab_size"], e)
        self.emb_ln = nn.LayerNorm(e, eps=c["layer_norm_eps"])
        self.emb_proj = nn.Linear(e, h) if e != h else None
        fl_units = int(opts.get("units", 160)) if method == "fl-tuning" else 0
        o = method_options(method, opts)
        self.layers = nn.ModuleList(Layer(c, fl_units, method, o) for _ in range(c["num_hidden_layers"]))
        self.pooler = nn.Linear(h, h) if self.arch != "roformer" else None
        self.classifier = nn.Linear(h, labels)
        self.plen, self.prefix_proj = 0, None
        if method in ("p-tuning-v2", "prefix-tuning"):
            self.plen = int(o["prefix_len"])
            width = 2 * c["num_hidden_layers"] * h
            if o["projection"]:
                # Embedding(P, H) -> Linear -> tanh -> Linear(2*L*H), P-tuning v2's reparameterisation.
                self.prefix = nn.Parameter(torch.randn(self.plen, h))
                ph = int(o["projection_hidden"])
                self.prefix_proj = nn.Sequential(nn.Linear(h, ph), nn.Tanh(), nn.Linear(ph, width))
            else:
                self.prefix = nn.Parameter(torch.randn(self.plen, width) * 0.02)
        self.elen = 0
        if method == "prompt-tuning":
            self.elen = int(o["num_virtual_tokens"])
            self.prompt = nn.Parameter(torch.randn(self.elen, h))
        # Real tokens' first position: P when P-tuning v2 shifts them (BERT, RoFormer).
        self.start = self.plen if opts.get("positions") == "shifted" else 0
        d = h // c["num_attention_heads"]
        if self.arch == "nezha":
            self.register_buffer("rel_table", nezha_table(c["max_relative_position"], d), persistent=False)
        if self.arch == "roformer":
            sin, cos = rotary_tables(c["max_position_embeddings"], d)
            self.register_buffer("rot_sin", sin, persistent=False)
            self.register_buffer("rot_cos", cos, persistent=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=c["initializer_range"])
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def prefix_kv(self, layer, b):
        c = self.c
        h, nh = c["hidden_size"], c["num_attention_heads"]
        table = self.prefix if self.prefix_proj is None else self.prefix_table
        kv = table[:, 2 * layer * h:2 * (layer + 1) * h]
        kv = kv.reshape(self.plen, 2, nh, h // nh).permute(1, 2, 0, 3).unsqueeze(1)
        kv = kv.expand(2, b, nh, self.plen, h // nh)
        return F.dropout(kv, c["hidden_dropout_prob"], self.training)

    def forward(self, ids, types, mask):
        x = self.encode(ids, types, mask)
        if self.pooler is not None:
            self.pooled = torch.tanh(self.pooler(x[:, 0]))  # computed, as the Go encoder does
        cls = F.dropout(x[:, 0], self.head_dropout, self.training)
        return self.classifier(cls)

    def encode(self, ids, types, mask):
        """The last layer's hidden states (B, T, H)."""
        c = self.c
        b, t = ids.shape
        x = self.word(ids) + self.typ(types)
        if self.arch == "bert":
            # Prompt vectors take the first positions; real tokens follow them.
            x = x + self.pos(torch.arange(self.start + self.elen, self.start + self.elen + t, device=ids.device))
        x = F.dropout(self.emb_ln(x), c["hidden_dropout_prob"], self.training)
        if self.emb_proj is not None:
            x = self.emb_proj(x)
        if self.prefix_proj is not None:
            self.prefix_table = self.prefix_proj(self.prefix)  # once per forward, for every layer
        if self.elen:
            x = torch.cat([self.prompt.unsqueeze(0).expand(b, self.elen, x.shape[-1]), x], 1)
            mask = torch.cat([torch.ones(b, self.elen, dtype=mask.dtype, device=mask.device), mask], 1)
            t += self.elen
        pos = None
        if self.arch == "nezha":
            # a (T, P+T, d): the table row of clip(j - i) + M per query i and real key j, zero
            # over the prefix keys; and its transpose for the scores, once per forward.
            m = c["max_relative_position"]
            ar = torch.arange(t, device=ids.device)
            rel = self.rel_table[(ar[None, :] - ar[:, None]).clamp(-m, m) + m]
            if self.plen:
                rel = torch.cat([rel.new_zeros(t, self.plen, rel.shape[-1]), rel], dim=1)
            pos = (rel, rel.transpose(1, 2))
        elif self.arch == "roformer":
            pos = (self.rot_sin[self.start:self.start + t], self.rot_cos[self.start:self.start + t])
        vis = mask.to(x.dtype)
        if self.plen:
            vis = torch.cat([torch.ones(b, self.plen, dtype=x.dtype, device=x.device), vis], dim=1)
        add = ((vis - 1) * torch.finfo(x.dtype).max).view(b, 1, 1, -1)
        for i, layer in enumerate(self.layers):
            x = layer(x, add, self.prefix_kv(i, b) if self.plen else None, pos)
        return x[:, self.elen:]


def trains(method, name):
    """Which parameters train under each method; the classifier always does."""
    if name.startswith("classifier."):
        return True
    if method == "fine-tuning":
        return True
    if method in ("p-tuning-v2", "prefix-tuning"):
        return name == "prefix" or name.startswith("prefix_proj.")
    if method == "fl-tuning":
        return ".fl." in name
    if method == "lora":
        return ".lora." in name
    if method == "ia3":
        return ".ia3." in name
    if method == "adapter":
        return ".adapters." in name
    if method == "parallel-adapter":
        return ".par_adapter." in name
    if method == "prompt-tuning":
        return name == "prompt"
    if method == "bitfit":
        return name.endswith(".bias")  # every encoder bias, LayerNorms and the pooler included
    raise ValueError("unknown method " + method)


def openblas_core():
    """OpenBLAS's kernel name, as torchrt reports it ("" when no OpenBLAS is mapped)."""
    import ctypes
    for p in blas_libraries():
        try:
            f = ctypes.CDLL(p).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return ""


def blas_libraries():
    """The BLAS libraries mapped into this process, resolved, as torchrt.BLAS reports them."""
    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6:
                continue
            p = fields[-1]
            base = os.path.basename(p).lower()
            if not ("blas" in base or "mkl_" in base or "libmkl" in base) or p in libs:
                continue
            libs.append(p)
    out = []
    for p in libs:
        r = os.path.realpath(p)
        if r not in out:
            out.append(r)
    return out


def cpu_time():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return 0.0


def options(kv):
    out = {}
    for s in kv or []:
        k, _, v = s.partition("=")
        out[k] = v
    return out


class StepProducts:
    """The step's matrix products (the workload's "gemms"), timed after each step in this
    process: each distinct shape three times, the median weighted by the step's count of it, as
    perf/gemmtime.go's stepProducts does. Operands are views of two random buffers, transposed
    views where the step passes one."""

    CALLS = 3

    def __init__(self, gemms, device, sync):
        weights, self.shapes = {}, []
        for g in gemms:
            key = (g["batch"], g["m"], g["n"], g["k"], g.get("trans_a", False), g.get("trans_b", False))
            if key not in weights:
                self.shapes.append(key)
                weights[key] = 0
            weights[key] += g["weight"]
        self.weights = [weights[k] for k in self.shapes]
        na = max(b * m * k for b, m, n, k, _, _ in self.shapes)
        nb = max(b * k * n for b, m, n, k, _, _ in self.shapes)
        buf_a, buf_b = torch.randn(na, device=device), torch.randn(nb, device=device)

        def view(buf, batch, rows, cols, trans):
            shape = [cols, rows] if trans else [rows, cols]
            if batch > 1:
                shape = [batch] + shape
            x = buf[:batch * rows * cols].view(shape)
            return x.transpose(-1, -2) if trans else x

        self.operands = [(view(buf_a, b, m, k, ta), view(buf_b, b, k, n, tb)) for b, m, n, k, ta, tb in self.shapes]
        self.sync = sync

    def time(self):
        ms = 0.0
        for (a, b), weight in zip(self.operands, self.weights):
            times = []
            for _ in range(self.CALLS):
                self.sync()
                t0 = time.perf_counter()
                y = torch.matmul(a, b)
                self.sync()
                times.append(1000 * (time.perf_counter() - t0))
                del y
            times.sort()
            ms += weight * times[len(times) // 2]
        return ms


def main():
    w = json.loads(sys.argv[1])
    device = torch.device(w.get("device") or "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("reference: device %s: this torch sees no CUDA device" % device)
    if device.type == "cuda":
        # An index-less "cuda" means the current device, as on the harness side.
        device = torch.device("cuda", device.index if device.index is not None else torch.cuda.current_device())

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    torch.set_num_threads(w["threads"])
    torch.manual_seed(w["seed"])
    c = w["config"]
    opts = options(w.get("options"))
    t_setup = time.perf_counter()
    model = Model(c, w["labels"], w["method"], opts).to(device)
    model.head_dropout = w["head_dropout"]
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        on = trains(w["method"], name)
        p.requires_grad_(on)
        if on:
            (no_decay if name.endswith(".bias") or "_ln." in name or name.startswith("emb_ln") else decay).append(p)
    params = decay + no_decay
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": w["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=w["lr"])
    model.train()
    g = torch.Generator().manual_seed(w["seed"])
    b, t = w["batch"], w["seq"]
    batches = []
    for _ in range(4):
        ids = torch.randint(1, c["vocab_size"], (b, t), generator=g)
        batches.append((ids, torch.zeros(b, t, dtype=torch.long), torch.ones(b, t, dtype=torch.long),
                        torch.randint(0, w["labels"], (b,), generator=g)))
    setup_s = time.perf_counter() - t_setup

    prods = StepProducts(w["gemms"], device, sync) if w.get("gemms") else None
    if prods and w["warmup"] == 0:
        prods.time()

    phases = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    step_ms, gemm_ms, losses = [], [], []
    total = w["warmup"] + w["steps"]
    t_run, cpu0, cpu_prods = 0.0, 0.0, 0.0
    for step in range(total):
        if step == w["warmup"]:
            cpu0 = cpu_time()
        t0 = time.perf_counter()
        ids, types, mask, labels = (x.to(device) for x in batches[step % len(batches)])
        logits = model(ids, types, mask)
        loss = F.cross_entropy(logits, labels)
        losses.append(loss.item())
        t1 = time.perf_counter()
        loss.backward()
        sync()  # loss.item() above already waited for the forward
        t2 = time.perf_counter()
        if w["clip"] > 0:
            torch.nn.utils.clip_grad_norm_(params, w["clip"])
        for grp in opt.param_groups:
            grp["lr"] = w["lr"] * (1 - step / total)
        opt.step()
        # Gradients set to None rather than zeroed (torch 2's default): backward then hands its
        # tensors over instead of adding them into zeroed ones, as the harness's captured
        # gradients do (optim.Grads).
        opt.zero_grad(set_to_none=True)
        sync()
        t3 = time.perf_counter()
        if step >= w["warmup"]:
            phases["forward"] += t1 - t0
            phases["backward"] += t2 - t1
            phases["optimizer"] += t3 - t2
            step_ms.append(1000 * (t3 - t0))
            t_run += t3 - t0
        # The products after every step from the last warm-up one on (its pass allocates the
        # results' pages), their CPU time left out of the steps'.
        if prods and step >= w["warmup"] - 1:
            c0 = cpu_time()
            ms = prods.time()
            if step >= w["warmup"]:
                gemm_ms.append(ms)
                cpu_prods += cpu_time() - c0
    cpu = cpu_time() - cpu0 - cpu_prods
    n = w["steps"]
    trainable = sum(p.numel() for p in params)
    print(json.dumps({
        "side": "reference",
        "steps": n,
        "steps_per_s": n / t_run,
        "step_ms": step_ms,
        "gemm_ms": gemm_ms,
        "phase_ms": {k: 1000 * v / n for k, v in phases.items()},
        "cpu_ms": 1000 * cpu / n,
        "setup_s": setup_s,
        "peak_rss_mib": status_kb("VmHWM") / 1024,
        "final_loss": losses[-1],
        "trainable": trainable,
        "blas": blas_libraries(),
        "blas_core": openblas_core(),
        "threads": torch.get_num_threads(),
        "version": "torch " + torch.__version__,
        "device": str(device),
    }))


if __name__ == "__main__":
    main()
