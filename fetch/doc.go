// Package fetch downloads the CLUE and FewCLUE data into the layout package clue reads:
//
//	DIR/afqmc_public/train.json ...   a CLUE task zip, unpacked (one folder per task)
//	DIR/fewclue/tnews/train_0.json    a FewCLUE task folder
//	DIR/manifest.json                 size and sha256 of every zip and file fetched here
//
// FewCLUE's files are checked against sizes and sha256 sums recorded in this package
// (fewclue.json, taken from the FewCLUE repository at a fixed commit). CLUE's zips have no
// published checksums, so the first download of each records its size and sha256 in
// DIR/manifest.json, and every later use is checked against that record (trust on first
// use): a zip fetched again, and the unpacked files, each time they are fetched or used.
// A file that does not match is an error and is not left in place.
package fetch
