package scenarios

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/valid-*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := LoadFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, s.Stages)
		})
	}
}

// invalidCases are the problems each invalid file must report, in order,
// as "LINE:COL: message".
var invalidCases = map[string][]string{
	"invalid-check-fields.yaml": {
		`13:5: stages[0].checks[0]: check "no-path": snapshotFile.path is required`,
		`15:5: stages[0].checks[1]: check "relative": restoredDataDir.path is "etcd-new"; it must be an absolute path on the node`,
		`17:5: stages[0].checks[2]: check "negative": points is -1; it must be 0 (meaning 1) or more`,
	},
	"invalid-check-order.yaml": {
		`10:5: stages[0].checks[0]: objects check "objects-restored" comes before any apiServerReady check: checks run in order and an objects check without a timeout does not wait for the API server, so put an apiServerReady check first or give it a timeout`,
	},
	"invalid-check-types.yaml": {
		`10:5: stages[0].checks[0]: check "none" has no type: set one of snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServers, etcdServing, apiServerReady, objects`,
		`11:5: stages[0].checks[1]: check "both" sets snapshotFile and manifestPresent: a check tests exactly one thing`,
		`14:5: stages[0].checks[2]: check "typo" has no type: set one of snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServers, etcdServing, apiServerReady, objects`,
		`15:5: stages[0].checks[2]: unknown field "snapshotFiel" (known: name, points, hint, snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServers, etcdServing, apiServerReady, objects, requires)`,
		`17:31: stages[0].checks[3].apiServerReady.timeout: want a duration such as "90s", got "later"`,
	},
	"invalid-duplicates.yaml": {
		`9:3: params[1]: duplicate parameter name "word"`,
		`17:5: stages[0].checks[1]: duplicate check name "snap" in stage "only"`,
		`20:3: stages[1]: duplicate stage name "only"`,
		`30:3: mistakes[1]: duplicate mistake name "oops"`,
	},
	"invalid-missing-required.yaml": {
		`4:3: metadata: missing required field "name"`,
		`6:3: params[0]: missing required field "name"`,
		`8:3: stages[0]: missing required field "task"`,
	},
	"invalid-mistakes.yaml": {
		`10:5: stages[0].checks[0]: requires "ready", which is not a check of stage "first"`,
		`10:5: stages[0].checks[0]: check "snap" requires itself`,
		`14:3: stages[1]: the last stage has next steps, but no stage follows`,
		`23:3: mistakes[0]: fails names check "snap", which is not a check of stage "second"`,
		`23:3: mistakes[0]: fails names check "missing", which is not a check of stage "second"`,
		`26:3: mistakes[1]: stage "third" does not exist`,
		`30:3: mistakes[2]: before names stage "second", which is not a stage before "first"`,
		`38:3: alternatives[1]: duplicate alternative name "twice"`,
		`40:3: alternatives[2]: stage "third" does not exist`,
		`43:3: alternatives[3]: before names stage "second", which is not a stage before "first"`,
	},
	"invalid-params.yaml": {
		`4:9: metadata.name "Bad_Name" cannot name a lab: use 1 to 32 lowercase letters, digits and '-'`,
		`7:22: lab.controlPlaneNodes is 3; ckat labs have exactly 1`,
		`8:15: lab.kindConfig "no-such-config" is not a kind configuration ckat has (control-plane-and-two-workers, single-control-plane, three-control-planes)`,
		`9:15: lab.components: component "kube-apiserver" is missing: every lab runs etcd and kube-apiserver`,
		`11:1: params: parameter templates refer to each other in a cycle: a -> b -> a`,
		`15:3: params[2]: parameter "both" sets word and value: set exactly one generator`,
		`18:3: params[3]: parameter "nothing" has no generator: set one of word, randomString, oneOf, value, template`,
		`19:3: params[4]: parameter name "9lives" must be letters, digits and '_', starting with a letter (it is used as {{.params.9lives}})`,
		`19:3: params[4]: randomString.length is 0; use 1 to 64`,
		`21:3: params[5]: oneOf needs at least one value`,
		`23:11: cleanup[0]: "/etc/kubernetes" is a system path; cleanup removes only what a learner creates`,
		`23:28: cleanup[1]: "relative/path" is not a clean absolute path`,
	},
	"invalid-references.yaml": {
		`7:3: params[0]: template refers to parameter "wrod", which is not declared (declared: labby, path, word)`,
		`11:3: params[2]: a parameter template cannot use lab facts ({{.lab...}}): parameters are drawn before the lab exists`,
		`15:9: template refers to unknown lab fact "certs.cacert" (known: ca, cert, key)`,
		`15:9: template refers to unknown lab fact "nodename" (known: apiServerManifest, certs, dataDir, etcdEndpoint, etcdManifest, kubeletConfig, manifestDir, name, node, nodeIP, provider)`,
		`18:26: template refers to parameter "backupPath", which is not declared (declared: labby, path, word)`,
		`19:11: template refers to .paramz: only .params.NAME and .lab.FACT exist`,
		`19:31: template: unclosed action`,
	},
	"invalid-step-types.yaml": {
		`7:3: setup[0]: step has no type: set one of namespace, configMap, secret, deployment, service, snapshot, delete, command, waitFor`,
		`8:3: setup[1]: step sets namespace and command: a step does exactly one thing`,
		`10:3: setup[2]: unknown field "restart" (known: namespace, configMap, secret, deployment, service, snapshot, delete, command, waitFor)`,
		`10:3: setup[2]: step has no type: set one of namespace, configMap, secret, deployment, service, snapshot, delete, command, waitFor`,
		`11:3: setup[3]: delete.kind "Pod" is not one of Namespace, ConfigMap, Secret, Deployment, Service`,
		`12:3: setup[4]: waitFor.condition "forever" is not one of apiServerReady, apiServerNotReady, etcdHealthy`,
		`12:3: setup[4]: waitFor.timeout "soon" is not a positive duration like 2m`,
	},
	"invalid-templated-int.yaml": {
		`1:1: rendering with sample parameters: :20:69: stages[0].checks[0].objects.present[1].replicas: expected an integer, got "three"`,
	},
	"invalid-unknown-field.yaml": {
		`6:3: metadata: unknown field "autor" (known: name, title, description)`,
		`12:33: stages[0].checks[0].snapshotFile: unknown field "size" (known: path)`,
		`14:3: stages[0]: unknown field "hint" (known: name, task, checks, hints, solution, next)`,
		`15:3: stages[0]: duplicate field "task"`,
	},
	"invalid-wrong-types.yaml": {
		`1:13: apiVersion is "ckat.dev/v2"; want "ckat.dev/v1alpha1"`,
		`2:7: kind is "Lab"; want "Scenario"`,
		`3:11: metadata: expected a mapping, got "just-a-string"`,
		`5:22: lab.controlPlaneNodes: expected an integer, got "one"`,
		`8:9: stages[0].task: expected a string, got a list`,
		`9:11: stages[0].checks: expected a list, got a mapping`,
	},
	"invalid-yaml-syntax.yaml": {
		`4:1: YAML syntax error: did not find expected ',' or ']'`,
	},
}

func TestInvalidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(invalidCases), "every invalid file has its expected problems listed")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := invalidCases[name]
			require.True(t, ok, "no expected problems for %s", name)
			_, err := LoadFile(f)
			var ps Problems
			require.True(t, errors.As(err, &ps), "want Problems, got %v", err)
			var got []string
			for _, p := range ps {
				require.Equal(t, f, p.File)
				got = append(got, strings.TrimPrefix(p.String(), f+":"))
			}
			require.Equal(t, want, got)
		})
	}
}

func TestParseEmptyAndMultiDocument(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "x.yaml:1:1: the file is empty"},
		{"two documents", "kind: Scenario\n---\nkind: Scenario\n", "x.yaml:2:1: a scenario file holds one YAML document; found another"},
		{"not a mapping", "- a\n", "x.yaml:1:1: expected a mapping, got a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.data))
			require.EqualError(t, err, tc.want)
		})
	}
}
