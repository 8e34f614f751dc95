package torchrt

import (
	"os"
)

// reexecMarker is set in the environment of the re-executed process, so that a failed or
// ignored setting can never loop.
const reexecMarker = "CLUE_BENCH_REEXEC"

// EnsureEnv makes the process run with the settings libraries read only when they are loaded:
// OMP_WAIT_POLICY=DefaultWaitPolicy unless the variable is set, and a better OpenBLAS kernel
// (OPENBLAS_CORETYPE, see CoreUpgrade) when OpenBLAS fell back to a generic one and the variable
// is unset. Both are read before main runs, so setting them means replacing the process image:
// EnsureEnv re-executes the program with the same arguments and the variables added. Call it
// first thing in main, after ServeBLASProbe. It returns, doing nothing, when there is nothing to
// add, in the re-executed process, or when re-executing fails. An interrupt (SIGINT, SIGTERM)
// that arrives while the new image starts is held for it and sent again when the re-executed
// process calls EnsureEnv: install the program's signal handling before calling it.
func EnsureEnv() {
	if _, again := os.LookupEnv(reexecMarker); again {
		resendStartSignal()
		return
	}
	var add []string
	if _, set := os.LookupEnv("OMP_WAIT_POLICY"); !set {
		add = append(add, "OMP_WAIT_POLICY="+DefaultWaitPolicy)
	}
	// A probe child that did not answer (a program whose main does not call ServeBLASProbe,
	// e.g. a test binary running its tests) must not probe again: that would recurse.
	if _, set := os.LookupEnv(CoreEnv); !set && os.Getenv(probeEnv) == "" {
		if core, why := upgradeCore(); core != "" {
			add = append(add, CoreEnv+"="+core, coreChoiceEnv+"="+why)
		}
	}
	if len(add) == 0 {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(append(os.Environ(), add...), reexecMarker+"=1")
	_ = execHoldingSignals(exe, os.Args, env) // returns only on failure: run on as we are
}
