// Package kubectli18n keeps kubectl's message catalogue out of every
// process of ckat's executable that is not kubectl.
//
// kubectl's command packages translate their help texts in package-level
// variables, so the first i18n.T call comes while the program is still
// being initialised, and it loads the catalogue of the user's language:
// about 4 MB allocated and 17 ms in each process, whatever it runs as.
// ckat's node init, the node agent and etcd are that executable too, and
// live as long as a lab. kubectl's own remedy is
// i18n.SetLoadTranslationsFunc, called from an init that runs before
// any i18n.T; Go initialises the packages ready to run in the order of
// their import paths, so this package, imported by package multicall,
// runs before kubectl's k8s.io/kubectl/pkg/cmd/... packages. Run as
// kubectl, ckat loads the catalogue as kubectl does.
package kubectli18n

import (
	"os"
	"path/filepath"

	"k8s.io/kubectl/pkg/util/i18n"
)

func init() {
	if filepath.Base(os.Args[0]) == "kubectl" {
		return
	}
	// No catalogue: i18n.T returns kubectl's English text as written.
	_ = i18n.SetLoadTranslationsFunc(func() error { return nil }) // fails only once loaded
}
