#include <stdint.h>

// One AdamW step as torch.optim.AdamW takes it, in a single pass, on the gradient g·gscale
// (clipping's factor; rounded to float32 first, as an in-place multiply would leave it):
//   m ← lerp(m, g, w1); v ← lerp(v, g², w2); p ← p·decay + m / (sqrt(v)·c + e)
// with decay = 1 − lr·wd (1 without decay), w1 = 1 − β1, w2 = 1 − β2,
// c = −bc1/(lr·√bc2), e = −eps·bc1/lr; update = 0 moves the moments only.
struct fused_adamw_args {
	float decay, w1, w2, c, e, gscale;
	int update;
};

void fused_adamw(float *p, const float *g, float *m, float *v, int64_t n, const struct fused_adamw_args *a);

// Writes elements start … start+n−1 of a dropout mask: scale where the element's 32 random
// bits are ≥ threshold, else 0.
void fused_dropout_mask(float *out, int64_t start, int64_t n, uint64_t seed, uint32_t threshold, float scale);
