// Package codecheck holds source checks that go vet does not make. It has no code of its own:
// its tests read the module's sources.
package codecheck
