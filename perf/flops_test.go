package perf

import (
	"maps"
	"slices"
	"testing"

	"github.com/clue-bench/clue-bench/model"
)

// TestCountStepFLOPs checks the counter against numbers worked out by hand for a tiny model:
// batch 2 × seq 3 (6 token rows), hidden 4, 2 heads of 2, FFN 8, 2 layers, 2 labels.
//
// Products, 2·m·n·k each:
//
//	Q/K/V/attention-out projection  2·6·4·4        = 192
//	FFN in, FFN out                 2·6·4·8        = 384 each
//	scores, context (per example and head, 4 of them), T keys: 2·4·3·3·2 = 144 each;
//	                                with 1 prefix position, 4 keys: 2·4·3·4·2 = 192 each
//	FL branch with 2 units          2·6·4·2        = 96 each of its two products
//	pooler on [CLS]                 2·2·4·4        = 64
//	classifier on [CLS]             2·2·4·2        = 32
func TestCountStepFLOPs(t *testing.T) {
	cfg := model.Config{HiddenSize: 4, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 8,
		MaxPositionEmbeddings: 16, TypeVocabSize: 2, VocabSize: 10, HiddenAct: "gelu"}
	for _, c := range []struct {
		name     string
		method   string
		options  []string
		fwd, bwd int64
	}{
		// Per layer 4·192 + 2·144 + 2·384 = 1824; forward 2·1824 + 64 + 32 = 3744. Backward:
		// every layer product twice (2·2·1824 = 7296), the classifier twice (64), the pooler
		// never (it is not in the loss).
		{"fine-tuning", "fine-tuning", nil, 3744, 7296 + 64},
		// Per layer 4·192 + 2·192 + 2·384 = 1920; forward 2·1920 + 96 = 3936. Backward,
		// input gradients only: layer 0 has no Q/K/V gradients and no query gradient:
		// 192 (keys) + 2·192 (context) + 192 (attention out) + 2·384 (FFN) = 1536; layer 1
		// 3·192 + 2·192 + 2·192 + 192 + 2·384 = 2304; the classifier 64.
		{"p-tuning-v2", "p-tuning-v2", []string{"prefix_len=1"}, 3936, 1536 + 2304 + 64},
		// The projection Embedding(1, 4) → Linear(4, 3) → Linear(3, 2·2·4): 2·1·4·3 = 24 and
		// 2·1·3·16 = 96 forward, each with both gradients.
		{"p-tuning-v2 with projection", "p-tuning-v2", []string{"prefix_len=1", "projection=true", "projection_hidden=3"},
			3936 + 24 + 96, 1536 + 2304 + 64 + 2*24 + 2*96},
		// Per layer 1824 + 2·96 = 2016; forward 2·2016 + 96 = 4128. Backward: layer 0 only the
		// branch: 96 (first weight) + 2·96 (second: input and weight) = 288; layer 1 input
		// gradients 3·192 + 2·144 + 2·144 + 192 + 2·384 = 2112 plus the branch's 4·96 = 384;
		// the classifier 64.
		{"fl-tuning", "fl-tuning", []string{"units=2"}, 4128, 288 + 2112 + 384 + 64},
		// A branch in layer 1 only: nothing below it has a gradient, and in layer 1 only the
		// branch (288); forward 2·1824 + 2·96 + 96 = 3936.
		{"fl-tuning on the top layer", "fl-tuning", []string{"units=2", "layers=[1]"}, 3936, 288 + 64},
	} {
		w := Workload{Method: c.method, Options: c.options, Config: cfg, Labels: 2, Batch: 2, Seq: 3}
		got, err := CountStepFLOPs(w)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Forward != c.fwd || got.Backward != c.bwd || got.Total != c.fwd+c.bwd {
			t.Errorf("%s: forward %d backward %d, want forward %d backward %d", c.name, got.Forward, got.Backward, c.fwd, c.bwd)
		}
		checkGEMMsAddUp(t, c.name, got)
	}
	nezha, roformer, projected := cfg, cfg, cfg
	nezha.ModelType, nezha.MaxRelativePosition = model.ArchNEZHA, 2
	roformer.ModelType = model.ArchRoFormer
	projected.ModelType, projected.EmbeddingSize = model.ArchRoFormer, 3
	for _, c := range []struct {
		name     string
		cfg      model.Config
		method   string
		options  []string
		fwd, bwd int64
	}{
		// NEZHA adds q·aᵀ and probs·a per layer, per query (3 of them) a (4×2)·(2×3) and a
		// (4×3)·(3×2) product: 144 each, with one gradient each (q's, the probabilities').
		// Forward 2·(1824 + 288) + 64 + 32 = 4320; backward 7296 + 2·288 + 64.
		{"nezha fine-tuning", nezha, "fine-tuning", nil, 4320, 7296 + 576 + 64},
		// With 1 prefix position both run over 4 keys: 192 each. Forward 2·(1920 + 384) + 96.
		// Backward: layer 0 has no query gradient, so only probs·a's (192) joins the 1536;
		// layer 1 2304 + 2·192; the classifier 64.
		{"nezha p-tuning-v2", nezha, "p-tuning-v2", []string{"prefix_len=1"}, 4704, 1536 + 192 + 2304 + 384 + 64},
		// FL-tuning with a branch in layer 1 only: its attention lies below the branch, so
		// neither relative product has backward work.
		{"nezha fl-tuning", nezha, "fl-tuning", []string{"units=2", "layers=[1]"}, 2*(1824+288) + 2*96 + 96, 288 + 64},
		// RoFormer: the rotations are elementwise, and there is no pooler (64 less forward).
		{"roformer fine-tuning", roformer, "fine-tuning", nil, 3744 - 64, 7296 + 64},
		{"roformer fl-tuning", roformer, "fl-tuning", []string{"units=2"}, 4128 - 64, 288 + 2112 + 384 + 64},
		// embeddings_project Linear(3, 4) over 6 rows: 2·6·3·4 = 144 forward, and under
		// fine-tuning both gradients (the embeddings below it train).
		{"roformer fine-tuning with embeddings_project", projected, "fine-tuning", nil, 3744 - 64 + 144, 7296 + 64 + 288},
		// Under FL-tuning nothing below the branches trains: the projection has no backward.
		{"roformer fl-tuning with embeddings_project", projected, "fl-tuning", []string{"units=2"}, 4128 - 64 + 144, 288 + 2112 + 384 + 64},
	} {
		w := Workload{Method: c.method, Options: c.options, Config: c.cfg, Labels: 2, Batch: 2, Seq: 3}
		got, err := CountStepFLOPs(w)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Forward != c.fwd || got.Backward != c.bwd || got.Total != c.fwd+c.bwd {
			t.Errorf("%s: forward %d backward %d, want forward %d backward %d", c.name, got.Forward, got.Backward, c.fwd, c.bwd)
		}
		checkGEMMsAddUp(t, c.name, got)
	}
	if _, err := CountStepFLOPs(Workload{Method: "no-such-method", Config: cfg, Labels: 2, Batch: 2, Seq: 3}); err == nil {
		t.Error("an unknown method was counted")
	}
}

// TestCountStepFLOPsBase pins the count at BERT-base shapes for fine-tuning against the
// textbook count: per layer forward 2·tokens·(4H² + 2HI) for the weights plus 4·B·T²·H for
// scores and context, backward twice that; the classifier three times its forward, the pooler
// forward only.
func TestCountStepFLOPsBase(t *testing.T) {
	w := Sizes()["base"].Workload("fine-tuning", 1, "")
	got, err := CountStepFLOPs(w)
	if err != nil {
		t.Fatal(err)
	}
	const b, s, h, i, l = 8, 128, 768, 3072, 12
	layers := int64(l) * (2*b*s*(4*h*h+2*h*i) + 4*b*s*s*h)
	head := 3*int64(2*b*h*2) + 2*b*h*h // classifier forward and both gradients; pooler forward
	if want := 3*layers + head; got.Total != want {
		t.Errorf("base fine-tuning: %d FLOPs, want %d", got.Total, want)
	}
}

// TestCountStepFLOPsBackbones pins the backbone sizes against their BERT sizes: NEZHA adds two
// products of the attention's size per layer (4·B·T²·H forward, one gradient each under
// fine-tuning), RoFormer drops the pooler's forward.
func TestCountStepFLOPsBackbones(t *testing.T) {
	sizes := Sizes()
	for _, shape := range []string{"builtin", "base"} {
		bert, err := CountStepFLOPs(sizes[shape].Workload("fine-tuning", 1, ""))
		if err != nil {
			t.Fatal(err)
		}
		s := sizes[shape]
		b, seq, h, l := int64(s.Batch), int64(s.Seq), s.Config.HiddenSize, s.Config.NumHiddenLayers
		for arch, want := range map[string]int64{
			model.ArchNEZHA:    bert.Total + l*2*(4*b*seq*seq*h),
			model.ArchRoFormer: bert.Total - 2*b*h*h,
		} {
			name := shape + "-" + arch
			bs, ok := sizes[name]
			if !ok || bs.Config.Arch() != arch || bs.Backbone() != arch || bs.Shape() != shape || bs.Batch != s.Batch || bs.Seq != s.Seq {
				t.Fatalf("size %s: %+v", name, bs)
			}
			if err := bs.Config.Validate(); err != nil {
				t.Errorf("size %s: %v", name, err)
			}
			got, err := CountStepFLOPs(bs.Workload("fine-tuning", 1, ""))
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want {
				t.Errorf("%s fine-tuning: %d FLOPs, want %d", name, got.Total, want)
			}
		}
	}
}

// checkGEMMsAddUp checks that a count's products, each counted Weight times, are its FLOPs,
// the forward ones its forward FLOPs, and that no shape is listed twice for one kind and pass.
func checkGEMMsAddUp(t *testing.T, name string, f StepFLOPs) {
	t.Helper()
	var fwd, all int64
	seen := map[GEMM]bool{}
	for _, g := range f.GEMMs {
		if g.Weight < 1 {
			t.Errorf("%s: %+v has weight %d", name, g, g.Weight)
		}
		all += int64(g.Weight) * g.FLOPs()
		if g.Pass == "forward" {
			fwd += int64(g.Weight) * g.FLOPs()
		}
		g.Weight = 0
		if seen[g] {
			t.Errorf("%s: %+v listed twice", name, g)
		}
		seen[g] = true
	}
	if fwd != f.Forward || all != f.Total {
		t.Errorf("%s: products add up to forward %d, total %d; counted %d, %d", name, fwd, all, f.Forward, f.Total)
	}
}

// TestCountedLayerIsStepGEMMs checks the counter's products, transposed views included,
// against the roofline's hand-written fine-tuning layer: under fine-tuning every layer runs
// exactly StepGEMMs (projections four times), so the counter's products of those kinds are
// StepGEMMs with each weight multiplied by the number of layers. Every size and method's
// products add up to its FLOPs.
func TestCountedLayerIsStepGEMMs(t *testing.T) {
	for _, name := range SizeNames() {
		s := Sizes()[name]
		for _, m := range []string{"fine-tuning", "p-tuning-v2", "fl-tuning"} {
			f, err := CountStepFLOPs(s.Workload(m, 1, ""))
			if err != nil {
				t.Fatal(err)
			}
			checkGEMMsAddUp(t, name+"/"+m, f)
			if m != "fine-tuning" {
				continue
			}
			got := map[GEMM]int{}
			for _, g := range f.GEMMs {
				if slices.Contains(GEMMKinds, g.Kind) {
					w := g.Weight
					g.Weight = 0
					got[g] = w
				}
			}
			want := map[GEMM]int{}
			for _, g := range StepGEMMs(s) {
				w := g.Weight * int(s.Config.NumHiddenLayers)
				g.Weight = 0
				want[g] = w
			}
			if !maps.Equal(got, want) {
				t.Errorf("%s: fine-tuning's layer products\n%v\nwant StepGEMMs × layers\n%v", name, got, want)
			}
		}
	}
}
