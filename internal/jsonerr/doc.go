// Package jsonerr puts line numbers on encoding/json's errors. json reports a syntax or type
// error by byte offset, which says little to someone editing a results file, a frozen plan or
// a baseline by hand; the line does.
package jsonerr
