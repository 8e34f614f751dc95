// Element-wise loops that libtorch 1.13 runs as several eager passes (AdamW) or serially
// (dropout's random numbers). Each function handles one chunk; the Go side splits a tensor over
// workers. Built as ISO C (-std=c11, which implies -ffp-contract=off), so a*b+c is never fused
// into an FMA: results depend neither on the chunking nor on the vector width picked at run
// time.

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "fused.h"

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// lerp is torch's scalar lerp for a weight below 0.5 (AdamW's 1-β are 0.1 and 0.001).
static inline float lerp(float self, float end, float w) {
	return self + w * (end - self);
}

// adamw_scalar is the reference loop, and the tail of the vector ones.
static void adamw_scalar(float *p, const float *g, float *m, float *v, int64_t n, const struct fused_adamw_args *a) {
	const float decay = a->decay, w1 = a->w1, w2 = a->w2, c = a->c, e = a->e, gscale = a->gscale;
	for (int64_t i = 0; i < n; i++) {
		float gi = g[i] * gscale;
		float mi = lerp(m[i], gi, w1);
		float vi = lerp(v[i], gi * gi, w2);
		m[i] = mi;
		v[i] = vi;
		if (a->update) p[i] = p[i] * decay + mi / (sqrtf(vi) * c + e);
	}
}

// The vector loops do the scalar loop's operations in its order, each correctly rounded (sqrt
// and division included), so they give its bits. They are written with intrinsics because GCC
// does not vectorise sqrtf while it may set errno, and cgo accepts no -fno-math-errno.
#define ADAMW_VECTOR(NAME, TARGET, VEC, W, SET1, LOAD, STORE, ADD, SUB, MUL, DIV, SQRT)             \
	__attribute__((target(TARGET))) static void NAME(float *p, const float *g, float *m, float *v,  \
	                                                 int64_t n, const struct fused_adamw_args *a) {  \
		const VEC decay = SET1(a->decay), w1 = SET1(a->w1), w2 = SET1(a->w2), c = SET1(a->c),         \
		          e = SET1(a->e), gscale = SET1(a->gscale);                                          \
		int64_t i = 0;                                                                               \
		if (a->update) {                                                                             \
			for (; i + W <= n; i += W) {                                                             \
				VEC gi = MUL(LOAD(g + i), gscale), mi = LOAD(m + i), vi = LOAD(v + i);               \
				mi = ADD(mi, MUL(w1, SUB(gi, mi)));                                                  \
				vi = ADD(vi, MUL(w2, SUB(MUL(gi, gi), vi)));                                         \
				STORE(m + i, mi);                                                                    \
				STORE(v + i, vi);                                                                    \
				VEC d = ADD(MUL(SQRT(vi), c), e);                                                    \
				STORE(p + i, ADD(MUL(LOAD(p + i), decay), DIV(mi, d)));                              \
			}                                                                                        \
		}                                                                                            \
		adamw_scalar(p + i, g + i, m + i, v + i, n - i, a);                                          \
	}

ADAMW_VECTOR(adamw_avx512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps,
             _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps)
ADAMW_VECTOR(adamw_avx, "avx", __m256, 8, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps,
             _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps)

void fused_adamw(float *p, const float *g, float *m, float *v, int64_t n, const struct fused_adamw_args *a) {
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		adamw_avx512(p, g, m, v, n, a);
	else if (__builtin_cpu_supports("avx"))
		adamw_avx(p, g, m, v, n, a);
	else
		adamw_scalar(p, g, m, v, n, a);
}

// splitmix64's output function over the counter seed + (k+1)·γ: the generator behind Java's
// SplittableRandom, whose outputs for consecutive k pass BigCrush. Element i takes the low
// (even i) or high (odd i) 32 bits of output i/2, so any chunking gives the same mask.
// always_inline: each target clone needs its own inlined copy to vectorise the loop.
static inline __attribute__((always_inline)) uint64_t mix(uint64_t z) {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

#define GAMMA 0x9E3779B97F4A7C15ULL

CLONES void fused_dropout_mask(float *out, int64_t start, int64_t n, uint64_t seed, uint32_t threshold,
                               float scale) {
	int64_t i = start, end = start + n;
	if (i < end && (i & 1)) { // odd start: the high half of a pair
		uint64_t z = mix(seed + (uint64_t)(i / 2 + 1) * GAMMA);
		out[0] = (uint32_t)(z >> 32) >= threshold ? scale : 0.0f;
		i++;
	}
	float *o = out + (i - start);
	int64_t pairs = (end - i) / 2;
	uint64_t base = (uint64_t)(i / 2);
	for (int64_t k = 0; k < pairs; k++) {
		uint64_t z = mix(seed + (base + (uint64_t)k + 1) * GAMMA);
		o[2 * k] = (uint32_t)z >= threshold ? scale : 0.0f;
		o[2 * k + 1] = (uint32_t)(z >> 32) >= threshold ? scale : 0.0f;
	}
	i += 2 * pairs;
	if (i < end) { // a last even index: the low half of its pair
		uint64_t z = mix(seed + (uint64_t)(i / 2 + 1) * GAMMA);
		out[i - start] = (uint32_t)z >= threshold ? scale : 0.0f;
	}
}
