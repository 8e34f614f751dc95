package tsx

import "github.com/sugarme/gotch/ts"

// Scope owns the intermediate tensors of one computation and frees them when it ends,
// whichever path the computation leaves by:
//
//	var s tsx.Scope
//	defer s.Drop()
//	y, err := s.Track(x.Matmul(w, false))
//
// A chain of steps may instead check one error at its end: Do skips every step after the
// first failure (a later step's receiver would be nil) and Err reports that failure. Keep
// hands a result over to the caller.
type Scope struct {
	held []*ts.Tensor
	err  error
}

// Track records t for freeing and passes (t, err) through, with err shortened by Err. The
// first error is also remembered for Err.
func (s *Scope) Track(t *ts.Tensor, err error) (*ts.Tensor, error) {
	if err != nil {
		err = Err(err)
		if s.err == nil {
			s.err = err
		}
		return nil, err
	}
	s.held = append(s.held, t)
	return t, nil
}

// Do runs step and tracks its result, unless an earlier step failed; it then returns nil.
func (s *Scope) Do(step func() (*ts.Tensor, error)) *ts.Tensor {
	if s.err != nil {
		return nil
	}
	t, _ := s.Track(step())
	return t
}

// Err is the first error Track or Do saw.
func (s *Scope) Err() error { return s.err }

// Keep stops tracking t, which the caller now owns, and returns it.
func (s *Scope) Keep(t *ts.Tensor) *ts.Tensor {
	for i, x := range s.held {
		if x == t {
			s.held[i] = nil
		}
	}
	return t
}

// Drop frees every tracked tensor.
func (s *Scope) Drop() {
	Drop(s.held...)
	s.held = nil
}
