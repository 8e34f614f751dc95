// Package reports turns a results directory into the comparisons the benchmark exists for.
//
// The pipeline reads only result files (results.Store), never the runner's state:
//
//   - Load splits the cells by status. Failed cells are counted and listed, never averaged.
//     It also reads the per-example dev statistics (cells/<key>.dev.json) that ok results
//     name, checking that each recomputes its result's best dev score.
//   - Aggregate groups ok cells by (setting, task, method), and by backbone where the matrix
//     named several; a Group's Summary is the mean, sample std and count over seeds of a
//     metric's best dev value.
//   - Blocks lays the groups out as the paper does: a table per regime (full data, few-shot;
//     a split "few:…" or "kshot:…" is few-shot), methods as rows with their trainable share,
//     tasks as columns (headline metric), an Avg over the tasks every method ran, and the best
//     mean per column in bold by the metric's own direction (higher_is_better). Results of
//     several backbones get a table per backbone and regime, as the paper has, a backbone
//     column in results.csv, the convergence tables and the gate's table, and plots per
//     backbone; results of one backbone read exactly as before.
//   - Convergence and ConvergenceRatios measure steps to the best dev score per cell
//     (CellConvergence, one definition used by the tables, the plots' report and the claims);
//     a ratio is the baseline's steps over the method's, so > 1 means the method is faster, and
//     ratios combine by geometric mean.
//   - A Reference (reference.yaml) adds published numbers as "paper" rows and typed Claims,
//     which CheckClaims marks as holding, not holding or not run.
//   - Where the config's hyper-parameters were lists, Select (select.go) keeps each (backbone,
//     setting, task, method) at its grid point with the best mean dev headline over seeds,
//     reading dev scores only, before anything above; a report of results without grid points
//     is unchanged. The chosen point's labelled test score (Result.Test), where results have
//     one, is shown beside its dev score.
//   - PairDiffs and PairedInterval (significance.go) give every method-vs-method difference a
//     paired 95% interval over seeds and few-shot folds, and where every paired run has
//     per-example dev statistics on one dev set, a paired bootstrap interval over dev examples
//     (bootstrap.go). "~" when either interval includes 0; a warning and no verdict below
//     MinPairs pairs. Delta claims are judged by the same rule: rejected only when every
//     interval they have lies outside the claimed band. Results without dev statistics give
//     the report they always gave.
//   - Report.Write writes index.md, tables.md, results.csv, tables.tex, comparisons.md (grid
//     selection, differences with intervals, compute per method),
//     plots/[<backbone>_]<setting>_<task>.{png,svg}, sensitivity plots of grid reports and,
//     with a Reference, claims.json.
//
// Baseline and Compare form a regression gate in the style of benchstat: a change counts only
// when it exceeds both an absolute floor and z pooled seed standard deviations, "~" marks
// changes within that noise, and too few seeds produce a warning rather than a verdict from
// a spread that was never measured. Entries are keyed by backbone and grid point too, so the
// same cell on two backbones, or at two grid points, is two entries.
package reports
