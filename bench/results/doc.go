// Package results says what ran: the result schema, the results directory that holds one
// file per cell, and a cell's status in it. The runner (package bench) writes results; the
// reports, the regression gate, `bench status` and `bench plan` read them and nothing else.
// It is pure Go with no cgo, so reading results needs no libtorch. It lives in bench/results,
// beside the runner rather than at the top of the module, because results/ is where `bench
// run` writes by default; importing it does not import package bench.
//
// # The schema
//
// A Result holds the cell it ran (a plan.Cell, with its ID), its status (ResultOK or
// ResultFailed with the error), the metrics with their direction (the first is the
// headline), the dev curve (EvalPoints) and best dev values, Convergence (ConvergenceOf),
// parameter counts (Params), timings, peak memory, data sizes and Provenance, and where
// they exist the test metrics of the best-dev weights (Test, a labelled test split only) and
// the file of per-example dev statistics (DevStats); both are optional, so results written
// before them read as they did. ResultSchema
// is bumped when Result changes incompatibly, and readers refuse other versions.
//
// # The store
//
// A Store is a results directory. Under cells/ it holds <key>.json (the Result), <key>.log,
// and <key>.claim while the cell runs, and <key>.dev.json, the best dev evaluation's
// per-example statistics of the headline (DevStats, for a bootstrap over examples; results
// name it in DevStats, and Keys never takes it for a result). Under predictions/<key>/ it
// holds the test submission file. Write replaces a result atomically, so a reader sees the old file or the
// new one; All reads every result back. A result file that does not parse is a CorruptError,
// never taken for a missing result; SetAside renames it to <key>.json.corrupt-<time> so that
// the cell can run again without losing it. Files are written 0644 (under the umask) for a
// group sharing the directory. CleanTemps removes the temporary files of writers that were
// killed, and never one a live writer owns (package atomicfile names them for their writer).
//
// Claims let several processes share one directory without training a cell twice. Claim
// writes the claim (host, pid, time) to a temporary file and hard-links it to <key>.claim,
// which fails if the claim exists: exclusive like an O_EXCL create, but the claim never
// appears half-written, and one whose write fails never appears at all. The worker Touches
// it while the cell runs and Releases it afterwards. A claim whose process is gone (same
// host), that has not been touched for ClaimTTL or that cannot be read is stale, and another
// worker takes it over, saying so through Store.Warnf.
//
// # Status
//
// CellStatus looks a plan.Cell up in a Store: pending (no result), done, failed, stale (a
// result for the cell's Key from another config, so its ID differs), corrupt (a result file
// that does not parse) or running (a live claim). The runner decides what to run from it;
// status commands print it, and Counts sums it up.
package results
