package torchrt

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary re-executes itself as a helper that calls EnsureEnv and prints the
// policy it ends up with.
func TestEnsureEnvWaitPolicy(t *testing.T) {
	if os.Getenv("TORCHRT_WAIT_HELPER") == "1" {
		EnsureEnv()
		fmt.Printf("policy=%q\n", WaitPolicy())
		os.Exit(0)
	}
	for _, tc := range []struct {
		name, env, want string
	}{
		{"unset", "", `policy="passive"`},
		{"set by the user", "OMP_WAIT_POLICY=active", `policy="active"`},
		{"set empty", "OMP_WAIT_POLICY=", `policy=""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestEnsureEnvWaitPolicy$")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "OMP_WAIT_POLICY=") && !strings.HasPrefix(kv, reexecMarker+"=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, "TORCHRT_WAIT_HELPER=1")
			if tc.env != "" {
				cmd.Env = append(cmd.Env, tc.env)
			}
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("helper: %v\n%s\nwant %s", err, out, tc.want)
			}
		})
	}
}
