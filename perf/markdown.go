package perf

import (
	"fmt"
	"strings"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/model"
)

// The report as Markdown: results.md and what bench perf prints.

func passMiss(ok bool) string {
	if ok {
		return "pass"
	}
	return "**miss**"
}

// Markdown renders the report as tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	wp := m.WaitPolicy
	if wp == "" {
		wp = "inherited"
	}
	b.WriteString("# bench perf\n\n")
	if m.GPU != "" {
		fmt.Fprintf(&b, "Trained on %s (%s; clocks read after synchronising the device), host ", m.Device, m.GPU)
	}
	blas := torchrt.BLASKind(m.BLAS)
	if c := m.BLASCore; c.Core != "" {
		blas += " " + c.Core + " kernel (" + c.Choice + ")"
	}
	fmt.Fprintf(&b, "%s, %d threads (OMP_WAIT_POLICY %s), BLAS %s, libtorch %s, %s; %s – %s; load average %.1f → %.1f\n",
		m.CPU, m.Threads, wp, blas, m.Libtorch, m.Go, m.Started, m.Finished, m.Load1, m.Load1End)
	if len(r.Throughput) > 0 {
		b.WriteString("\n## Training throughput: ours vs PyTorch eager (same libtorch)\n\n")
		b.WriteString("| size | method | batch×seq | steps × reps | ours steps/s | reference steps/s | ours/ref | ≥1.2 | step time vs fine-tuning (ours) | ≤0.75 | ours peak RSS MiB | reference peak RSS MiB |\n")
		b.WriteString("|---|---|---|---:|---:|---:|---:|---|---:|---|---:|---:|\n")
		ft := map[string]float64{}
		for _, p := range r.Throughput {
			if p.Method == "fine-tuning" {
				ft[p.Size] = p.Summary.OursStepsPerS
			}
		}
		for _, p := range r.Throughput {
			s := p.Summary
			rel, relOK := "", ""
			if f := ft[p.Size]; f > 0 && p.Method != "fine-tuning" {
				x := f / s.OursStepsPerS
				rel, relOK = fmt.Sprintf("%.2f", x), passMiss(x <= TargetTunedShare)
			}
			fmt.Fprintf(&b, "| %s | %s | %d×%d | %d+%d × %d | %.2f | %.2f | %.2f | %s | %s | %s | %.0f | %.0f |\n",
				p.Size, p.Method, p.Workload.Batch, p.Workload.Seq, p.Workload.Warmup, p.Workload.Steps, len(p.Ours), s.OursStepsPerS, s.RefStepsPerS, s.Ratio,
				passMiss(s.Ratio >= TargetRatio), rel, relOK, s.OursRSSMiB, s.RefRSSMiB)
		}
		b.WriteString("\nSteps × reps: untimed warm-up steps + timed steps per process, × processes per side. " +
			"Medians over repetitions; each repetition is a fresh process per side, the sides alternating (ABBA). " +
			"Peak RSS is each process's VmHWM (model, optimiser state, activations; the Python interpreter and torch import on the reference side).\n\n")
		b.WriteString("| size | method | ours ms/step fwd / bwd / opt | reference ms/step fwd / bwd / opt | ours CPU ms/step | reference CPU ms/step |\n|---|---|---|---|---:|---:|\n")
		for _, p := range r.Throughput {
			s := p.Summary
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %.0f | %.0f |\n", p.Size, p.Method, phases(s.OursPhaseMS), phases(s.RefPhaseMS), s.OursCPUMS, s.RefCPUMS)
		}
		b.WriteString("\nfwd includes the batch upload and the loss read back; opt is clipping, AdamW and releasing the gradients (both sides keep no gradient between steps). " +
			"CPU ms/step is the process's user + system time over all threads: less sensitive than wall time to other load on the machine.\n")
		r.backboneMarkdown(&b)
		r.rooflineMarkdown(&b)
	}
	if r.hasBF16() {
		b.WriteString("\n## Optional: frozen backbone in bf16 (ours only; off by default)\n\n")
		b.WriteString("| size | method | float32 steps/s | bf16 steps/s | speed-up | final loss float32 | final loss bf16 |\n|---|---|---:|---:|---:|---:|---:|\n")
		for _, p := range r.Throughput {
			if s := p.Summary; len(p.OursBF16) > 0 {
				fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | %.2f× | %.4f | %.4f |\n", p.Size, p.Method, s.OursStepsPerS, s.BF16StepsPerS,
					s.BF16Speedup, s.FP32FinalLoss, s.BF16FinalLoss)
			}
		}
		b.WriteString("\nThe frozen linear layers and the attention products run in bf16, everything else in float32; " +
			"the final losses are after the same steps, batches and dropout masks, so they differ by rounding only.\n")
	}
	if ov := r.Overhead; ov != nil {
		fmt.Fprintf(&b, "\n## Runner overhead: `bench run -c %s --only %s`\n\n", ov.Config, strings.Join(ov.Only, " --only "))
		b.WriteString("| cell | steps | wall s | train s | eval s | setup s | other s | outside training | runner |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range append(append([]CellOverhead{}, ov.Cells...), ov.Total) {
			fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f%% | %.1f%% |\n", c.Cell, c.Steps, c.WallS, c.TrainS, c.EvalS, c.SetupS, c.OtherS, 100*c.Share, 100*c.RunnerShare)
		}
		b.WriteString("\nOutside training = 1 − train_s/wall_s of each cell's result file: dev evaluations (during training and once more " +
			"at the end), test predictions, set-up (data reading, tokenisation, model building and loading), saving and logging. " +
			"train_s covers the steps themselves: batch upload, forward, backward, clipping, AdamW. " +
			"Runner = (wall_s − train_s − eval_s)/wall_s: what is left once the evaluations the config asks for (eval_every) are taken out.\n")
	}
	if mem := r.Memory; mem != nil {
		fmt.Fprintf(&b, "\n## Memory: RSS of `bench run` over %d steps per cell (tiny backbone), after %d warm-up steps\n\n", mem.Steps, mem.WarmupTo)
		b.WriteString("| cell | RSS after warm-up MiB | min | max | last | max deviation | slope MiB/1k steps | flat (±5%) |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
		for _, c := range mem.Cells {
			fmt.Fprintf(&b, "| %s | %.1f (step %d) | %.1f | %.1f | %.1f | %.2f%% | %+.2f | %s |\n", c.Cell, c.Baseline.RSSMiB, c.Baseline.Step,
				c.MinMiB, c.MaxMiB, c.LastMiB, 100*c.MaxDev, c.SlopeMiBPer1k, passMiss(c.Flat))
		}
	}
	if r.Memory != nil {
		b.WriteString("\nRSS after warm-up is the median of the first three samples after it; the check fails when any later sample " +
			"is more than 5% away from it. The slope is a least-squares fit over the samples after warm-up.\n")
	}
	if len(r.Targets) > 0 {
		b.WriteString("\n## Targets\n\n| target | value | result |\n|---|---:|---|\n")
		for _, t := range r.Targets {
			fmt.Fprintf(&b, "| %s | %.3f | %s |\n", t.Name, t.Value, passMiss(t.Pass))
		}
	}
	return b.String()
}

// rooflineMarkdown renders the GEMM rates and each step's share of them.
func (r *Report) rooflineMarkdown(b *strings.Builder) {
	if len(r.Roofline) > 0 {
		b.WriteString("\n## Roofline: this libtorch's GEMM rate at the step's shapes\n\n")
		b.WriteString("| size | shapes | dtype | fine-tuning layer GFLOP/s | Q/K/V/out H→H | FFN in H→I | FFN out I→H | attention scores | attention context |\n")
		b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, rl := range r.Roofline {
			shapes := fmt.Sprintf("%d rows, H %d, I %d, %d heads × %d keys", rl.Rows, rl.Hidden, rl.Intermediate, rl.Heads, rl.Seq)
			for _, bf16 := range []bool{false, true} {
				dtype := "float32"
				if bf16 {
					dtype = "bf16"
				}
				fmt.Fprintf(b, "| %s | %s | %s | %.1f |", rl.Size, shapes, dtype, rl.Rate("", bf16))
				for _, k := range GEMMKinds {
					fmt.Fprintf(b, " %.1f |", rl.Rate(k, bf16))
				}
				b.WriteString("\n")
			}
		}
		b.WriteString("\nEach product a step runs (forward, and the input and weight gradients, transposed operands passed as views as autograd does) " +
			"timed through libtorch's matmul in a child process with the sides' environment, thread count and device: after a warm-up call, three " +
			"rounds over all the products of back-to-back calls, at least 0.1 s per product, dtype and round, and the fastest round's median; float32 " +
			"is timed again the same way after the size's steps, and each product keeps its faster pass (a slow stretch of a shared machine would " +
			"otherwise lower the roofline and flatter every share of it). A column pools its products' FLOPs over their times; the fine-tuning layer rate " +
			"counts each product as often as one fine-tuning layer runs it (four projections) and is the roofline below. " +
			"bf16 is faster than float32 only on CPUs with bf16 instructions (AVX512-BF16, AMX); elsewhere it is slower.\n")
	}
	b.WriteString("\n## Training step FLOPs against the float32 roofline\n\n")
	fmt.Fprintf(b, "| size | method | GFLOP/step fwd + bwd | ours ms/step | ours GFLOP/s | reference ms/step | reference GFLOP/s | "+
		"size roofline: ours / reference share | ours ≥ reference | step's roofline GFLOP/s | step's roofline: ours / reference share | "+
		"products beside the step: ours / reference share | ≥%.0f%% (%s) |\n",
		100*TargetRooflineShare, RooflineTargetSize)
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|\n")
	for _, p := range r.Throughput {
		s := p.Summary
		if p.StepFLOPs.Total == 0 {
			continue // a method without a FLOP count (CountStepFLOPs)
		}
		shares := func(ours, ref float64) string {
			if ours == 0 {
				return ""
			}
			return fmt.Sprintf("%.1f%% / %.1f%%", 100*ours, 100*ref)
		}
		vsRef, stepRate, vsTarget := "", "", ""
		if s.OursRooflineShare > 0 {
			vsRef = passMiss(s.OursRooflineShare >= s.RefRooflineShare)
		}
		if s.StepRooflineGFLOPS > 0 {
			stepRate = fmt.Sprintf("%.1f", s.StepRooflineGFLOPS)
		}
		if _, v := rooflineTarget(s); v > 0 && p.Size == RooflineTargetSize {
			vsTarget = passMiss(v >= TargetRooflineShare)
		}
		f := p.StepFLOPs
		fmt.Fprintf(b, "| %s | %s | %.2f + %.2f | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %s | %s | %s |\n", p.Size, p.Method,
			float64(f.Forward)/1e9, float64(f.Backward)/1e9, s.OursStepMS, s.OursGFLOPS, s.RefStepMS, s.RefGFLOPS,
			shares(s.OursRooflineShare, s.RefRooflineShare), vsRef, stepRate,
			shares(s.OursStepRooflineShare, s.RefStepRooflineShare), shares(s.OursPairedShare, s.RefPairedShare), vsTarget)
	}
	fmt.Fprintf(b, "\nFLOPs are the matrix products of one step counted from the shapes (2·m·n·k; perf/flops.go), forward and backward as autograd "+
		"runs them for the method: frozen weights get no gradient, and the backward stops where nothing below trains. Softmax, LayerNorm, GELU, "+
		"dropout, bias and embedding gradients and the optimiser are left out. ms/step is the median over every timed step of every repetition. "+
		"The size roofline is the size's float32 fine-tuning layer rate (above); the step's roofline times the method's own products, each "+
		"distinct shape measured like the layer's and weighted by how often the step runs it (P-tuning v2's attention over P+T keys, no "+
		"weight gradients for frozen layers, FL-tuning's branch products): the rate of a step that did nothing but its products. "+
		"Products beside the step: each side times the step's products in its own process right after every timed step (each distinct "+
		"shape three times, the median weighted by the step's count of it), and the column is the median over the steps of that time over "+
		"the step's: the share of the step's roofline with the roofline taken at the step's own moment, which a machine whose speed drifts "+
		"moves on both sides of the ratio alike. Where it was measured it is the share the %.0f%% target judges; the roofline child's "+
		"shares compare each step with the machine's fastest pass.\n", 100*TargetRooflineShare)
}

// backboneMarkdown sets the backbones' ratios side by side, per size's shapes and method,
// when sizes of more than BERT were measured (sizes such as "builtin-nezha": Size.WithBackbone).
func (r *Report) backboneMarkdown(b *strings.Builder) {
	type row struct{ shape, method string }
	var rows []row
	cells := map[row]map[string]PairSummary{}
	present := map[string]bool{}
	for _, p := range r.Throughput {
		arch := p.Workload.Config.Arch()
		k := row{sizeShape(p.Size, arch), p.Method}
		if cells[k] == nil {
			cells[k] = map[string]PairSummary{}
			rows = append(rows, k)
		}
		cells[k][arch] = p.Summary
		present[arch] = true
	}
	var archs []string
	for _, a := range model.Architectures {
		if present[a] {
			archs = append(archs, a)
		}
	}
	if len(archs) == 0 || len(archs) == 1 && archs[0] == model.ArchBERT {
		return // BERT alone: the tables above say it all
	}
	b.WriteString("\n## Backbones side by side: ours/ref (ours steps/s / reference steps/s)\n\n| size | method |")
	for _, a := range archs {
		fmt.Fprintf(b, " %s |", a)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", len(archs)) + "\n")
	for _, k := range rows {
		fmt.Fprintf(b, "| %s | %s |", k.shape, k.method)
		for _, a := range archs {
			if s, ok := cells[k][a]; ok {
				fmt.Fprintf(b, " %.2f (%.2f / %.2f) |", s.Ratio, s.OursStepsPerS, s.RefStepsPerS)
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nThe same shapes, batch, method budgets and repetitions per row; the reference implements NEZHA's relative positions " +
		"and RoFormer's rotary positions as transformers' NezhaModel and RoFormerModel do. The rows above give each size's details " +
		"(size \"builtin-nezha\" is the built-in shapes with a NEZHA encoder).\n")
}

func (r *Report) hasBF16() bool {
	for _, p := range r.Throughput {
		if len(p.OursBF16) > 0 {
			return true
		}
	}
	return false
}

func phases(ph map[string]float64) string {
	return fmt.Sprintf("%.1f / %.1f / %.1f", ph["forward"], ph["backward"], ph["optimizer"])
}
