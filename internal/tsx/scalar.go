package tsx

import (
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// WithScalar passes fn a libtorch scalar holding x and frees the scalar when fn returns. gotch's
// ts.FloatScalar leaves its scalar to a finalizer (its Drop does nothing), so the C scalar
// lives until some later garbage collection; the functions below take plain floats instead.
func WithScalar(x float64, fn func(libtch.Cscalar) error) error {
	s := libtch.AtsFloat(x)
	defer libtch.AtsFree(s)
	return fn(s)
}

// scalarOp returns the new tensor a libtch call writes, given a scalar holding x.
func scalarOp(x float64, call func(out *libtch.Ctensor, s libtch.Cscalar)) (t *ts.Tensor, err error) {
	err = WithScalar(x, func(s libtch.Cscalar) error {
		t, err = New(func(out *libtch.Ctensor) { call(out, s) })
		return err
	})
	return t, err
}

// Scaled returns t·x as a new tensor (torch.mul with a scalar).
func Scaled(t *ts.Tensor, x float64) (*ts.Tensor, error) {
	return scalarOp(x, func(out *libtch.Ctensor, s libtch.Cscalar) { libtch.AtgMulScalar(out, Handle(t), s) })
}

// Shifted returns t + x as a new tensor (torch.add with a scalar).
func Shifted(t *ts.Tensor, x float64) (*ts.Tensor, error) {
	return scalarOp(x, func(out *libtch.Ctensor, s libtch.Cscalar) { libtch.AtgAddScalar(out, Handle(t), s) })
}

// EqScalar returns the boolean tensor t == x.
func EqScalar(t *ts.Tensor, x float64) (*ts.Tensor, error) {
	return scalarOp(x, func(out *libtch.Ctensor, s libtch.Cscalar) { libtch.AtgEq(out, Handle(t), s) })
}

// GtScalar returns the boolean tensor t > x.
func GtScalar(t *ts.Tensor, x float64) (*ts.Tensor, error) {
	return scalarOp(x, func(out *libtch.Ctensor, s libtch.Cscalar) { libtch.AtgGt(out, Handle(t), s) })
}

// MaskedFill returns a copy of t with x wherever mask is true (torch.masked_fill).
func MaskedFill(t, mask *ts.Tensor, x float64) (*ts.Tensor, error) {
	return scalarOp(x, func(out *libtch.Ctensor, s libtch.Cscalar) {
		libtch.AtgMaskedFill(out, Handle(t), Handle(mask), s)
	})
}

// IndexFill returns a copy of t with x at the given indices along dim (torch.index_fill).
func IndexFill(t *ts.Tensor, dim int64, index *ts.Tensor, x float64) (*ts.Tensor, error) {
	return scalarOp(x, func(out *libtch.Ctensor, s libtch.Cscalar) {
		libtch.AtgIndexFill(out, Handle(t), dim, Handle(index), s)
	})
}

// Clamped returns t clamped to [lo, hi] as a new tensor (torch.clamp).
func Clamped(t *ts.Tensor, lo, hi float64) (c *ts.Tensor, err error) {
	err = WithScalar(lo, func(l libtch.Cscalar) error {
		return WithScalar(hi, func(h libtch.Cscalar) error {
			c, err = New(func(out *libtch.Ctensor) { libtch.AtgClamp(out, Handle(t), l, h) })
			return err
		})
	})
	return c, err
}
