package fused

/*
#cgo CFLAGS: -std=c11 -O3
#cgo LDFLAGS: -lm
#include "fused.h"
*/
import "C"

import (
	"fmt"
	"math"
	"sync"
)

// minChunk is the fewest elements worth handing to another worker: below it a goroutine's
// start and the cache traffic cost more than the loop.
const minChunk = 1 << 15

// split runs fn over [0, n) in at most workers contiguous chunks, each a multiple of 16
// elements (64 bytes, so that no two workers write one cache line) except the last.
func split(n int64, workers int, fn func(start, count int64)) {
	if workers > int(n/minChunk) {
		workers = int(n / minChunk)
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	per := (n/int64(workers) + 15) &^ 15
	var wg sync.WaitGroup
	for start := int64(0); start < n; start += per {
		count := min(per, n-start)
		if start+count == n {
			fn(start, count) // the caller's goroutine takes the last chunk
			break
		}
		wg.Add(1)
		go func(start, count int64) {
			defer wg.Done()
			fn(start, count)
		}(start, count)
	}
	wg.Wait()
}

// AdamWStep holds one step's scalars, as torch.optim.AdamW computes them (float32, as libtorch
// casts a Python float for a float32 tensor):
//
//	g ← g·GradScale;  m ← m + W1·(g − m);  v ← v + W2·(g² − v);  p ← p·Decay + m / (√v·C + E)
//
// with Decay = 1 − lr·weight_decay (1 without decay), W1 = 1 − β1, W2 = 1 − β2,
// C = −bc1/(lr·√bc2), E = −ε·bc1/lr. Update false (learning rate 0) moves the moments only.
// GradScale is gradient clipping's factor, taken here instead of in a pass of its own over
// the gradient, with the rounding that pass would give; 0 means none (1).
type AdamWStep struct {
	Decay, W1, W2, C, E, GradScale float32
	Update                         bool
}

// AdamW applies one step to parameter p with gradient g and moments m, v (all the same
// length) over up to workers goroutines.
func AdamW(p, g, m, v []float32, s AdamWStep, workers int) error {
	n := len(p)
	if len(g) != n || len(m) != n || len(v) != n {
		return fmt.Errorf("fused adamw: lengths p %d, g %d, m %d, v %d differ", n, len(g), len(m), len(v))
	}
	if n == 0 {
		return nil
	}
	gscale := s.GradScale
	if gscale == 0 {
		gscale = 1
	}
	args := C.struct_fused_adamw_args{decay: C.float(s.Decay), w1: C.float(s.W1), w2: C.float(s.W2),
		c: C.float(s.C), e: C.float(s.E), gscale: C.float(gscale)}
	if s.Update {
		args.update = 1
	}
	split(int64(n), workers, func(start, count int64) {
		C.fused_adamw((*C.float)(&p[start]), (*C.float)(&g[start]), (*C.float)(&m[start]), (*C.float)(&v[start]),
			C.int64_t(count), &args)
	})
	return nil
}

// DropoutMask fills out with an inverted-dropout mask for drop probability p in [0, 1): each
// element is 1/(1−p) with probability 1−p, else 0, from 32 random bits per element (p is
// rounded to a multiple of 2⁻³²). The mask is a function of seed and each element's index alone.
func DropoutMask(out []float32, seed uint64, p float64, workers int) error {
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("fused dropout: drop probability %v outside [0, 1)", p)
	}
	if len(out) == 0 {
		return nil
	}
	// Keep an element when its bits are ≥ threshold: probability 1 − threshold/2³².
	var threshold uint32
	switch t := math.Round(p * (1 << 32)); {
	case t >= 1<<32:
		threshold = math.MaxUint32
	case t == 0 && p > 0:
		threshold = 1
	default:
		threshold = uint32(t)
	}
	scale := float32(1 / (1 - p))
	split(int64(len(out)), workers, func(start, count int64) {
		fillMask(out[start:start+count], start, seed, threshold, scale)
	})
	return nil
}

// fillMask writes elements start … start+len(out)−1 of the mask into out.
func fillMask(out []float32, start int64, seed uint64, threshold uint32, scale float32) {
	C.fused_dropout_mask((*C.float)(&out[0]), C.int64_t(start), C.int64_t(len(out)), C.uint64_t(seed),
		C.uint32_t(threshold), C.float(scale))
}
