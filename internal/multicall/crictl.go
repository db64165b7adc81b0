package multicall

import (
	"runtime/debug"

	"sigs.k8s.io/cri-tools/pkg/version"

	"github.com/ckat/ckat/internal/crictl"
)

// criToolsModule is the module crictl comes from.
const criToolsModule = "sigs.k8s.io/cri-tools"

// runCrictl is crictl's main. Upstream stamps the version at link time;
// here it is the cri-tools module version ckat was built with.
func runCrictl() {
	if version.Version == "unknown" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, dep := range bi.Deps {
				if dep.Path == criToolsModule {
					version.Version = dep.Version
				}
			}
		}
	}
	crictl.Main()
}
