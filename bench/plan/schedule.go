package plan

import "math"

// Schedule returns a cell's optimiser steps per epoch, total steps and steps between dev
// evaluations on nTrain training units; limit > 0 caps the total (smoke runs). The runner
// trains by it and EstimateSteps reports it, so a plan's step counts are the ones that run.
func Schedule(h Hyper, nTrain, limit int) (perEpoch, total, evalEvery int) {
	micro := (nTrain + h.BatchSize - 1) / h.BatchSize
	perEpoch = (micro + h.Accumulate - 1) / h.Accumulate
	if perEpoch < 1 {
		perEpoch = 1
	}
	total = h.MaxSteps
	if total == 0 {
		total = int(math.Ceil(h.Epochs * float64(perEpoch)))
	}
	if limit > 0 && limit < total {
		total = limit
	}
	evalEvery = h.EvalEvery
	if evalEvery == 0 {
		evalEvery = perEpoch
	}
	return perEpoch, total, evalEvery
}

// EstimateSteps is the number of optimiser steps a cell will take on nTrain training units.
// Units are examples, except for span extraction, whose sliding windows outnumber the
// questions: an estimate from the question count is low there.
func EstimateSteps(h Hyper, nTrain int) int {
	_, total, _ := Schedule(h, nTrain, 0)
	return total
}
