package scenarios

import (
	"gopkg.in/yaml.v3"

	"github.com/ckat/ckat/grader"
)

// APIVersion and Kind head every scenario file.
const (
	APIVersion = "ckat.dev/v1alpha1"
	Kind       = "Scenario"
)

// Pos is where an element starts in its file (1-based).
type Pos struct {
	Line   int
	Column int
}

// Scenario is one practice task: the lab it needs, the parameters drawn
// for each lab, how the lab is seeded, the stages the learner works
// through, and known wrong solutions that selftest checks are caught.
type Scenario struct {
	APIVersion string   `yaml:"apiVersion" ckat:"required"`
	Kind       string   `yaml:"kind" ckat:"required"`
	Metadata   Metadata `yaml:"metadata" ckat:"required"`
	Lab        LabNeeds `yaml:"lab"`
	Params     []Param  `yaml:"params,omitempty"`
	Setup      []Step   `yaml:"setup,omitempty"`
	// Cleanup lists the node paths a learner may create while working
	// (snapshots, restored data directories); `ckat reset` removes them.
	Cleanup []string `yaml:"cleanup,omitempty"`
	Stages  []Stage  `yaml:"stages" ckat:"required"`
	// Alternatives are other correct solutions; each must score full
	// marks as the reference solution does.
	Alternatives []Alternative `yaml:"alternatives,omitempty"`
	Mistakes     []Mistake     `yaml:"mistakes,omitempty"`

	doc    *yaml.Node // the parsed file, rendered per lab
	source []byte     // the file's bytes, saved with a lab
	file   string     // where it was read from
}

// Metadata names and describes a scenario.
type Metadata struct {
	Name        string `yaml:"name" ckat:"required"`
	Title       string `yaml:"title" ckat:"required"`
	Description string `yaml:"description,omitempty"`
}

// LabNeeds says what lab a scenario needs, in provider-neutral terms.
type LabNeeds struct {
	// ControlPlaneNodes is the number of control-plane nodes; 1 today.
	ControlPlaneNodes int `yaml:"controlPlaneNodes,omitempty"`
	// KindConfig names the kindconfigs entry the kind provider uses.
	KindConfig string `yaml:"kindConfig,omitempty"`
	// Components are the control-plane static pods the lab runs, from
	// etcd, kube-apiserver, kube-controller-manager and kube-scheduler;
	// etcd and kube-apiserver are required. Default all four, as kubeadm
	// init runs them. A task that needs less starts faster with less. The
	// other components' kubeconfigs and certificates are in place all the
	// same. On the kind provider all four run whatever this says.
	Components []string `yaml:"components,omitempty"`
}

// Param is a value drawn once per lab (reproducibly from the lab's seed)
// by exactly one generator.
type Param struct {
	Pos  `yaml:"-"`
	Name string `yaml:"name" ckat:"required"`
	// Word is a random lowercase word, distinct from the scenario's other
	// words.
	Word *WordGenerator `yaml:"word,omitempty"`
	// RandomString is random lowercase letters and digits.
	RandomString *RandomStringGenerator `yaml:"randomString,omitempty"`
	// OneOf picks one of the listed values.
	OneOf []string `yaml:"oneOf,omitempty"`
	// Value is a fixed value.
	Value *string `yaml:"value,omitempty"`
	// Template is a Go template over the other parameters
	// ({{.params.word}}).
	Template *string `yaml:"template,omitempty"`
}

// WordGenerator draws a word from ckat's word list.
type WordGenerator struct{}

// RandomStringGenerator draws Length characters from [a-z0-9].
type RandomStringGenerator struct {
	Length int `yaml:"length" ckat:"required"`
}

// Step is one action on a lab: exactly one of its fields is set. Strings
// are templates rendered with the lab's parameters before use.
type Step struct {
	Pos        `yaml:"-"`
	Namespace  *NamespaceStep  `yaml:"namespace,omitempty"`
	ConfigMap  *ConfigMapStep  `yaml:"configMap,omitempty"`
	Secret     *SecretStep     `yaml:"secret,omitempty"`
	Deployment *DeploymentStep `yaml:"deployment,omitempty"`
	Service    *ServiceStep    `yaml:"service,omitempty"`
	Snapshot   *SnapshotStep   `yaml:"snapshot,omitempty"`
	Delete     *DeleteStep     `yaml:"delete,omitempty"`
	Command    *CommandStep    `yaml:"command,omitempty"`
	WaitFor    *WaitForStep    `yaml:"waitFor,omitempty"`
}

// NamespaceStep creates a namespace through the API server.
type NamespaceStep struct {
	Name string `yaml:"name" ckat:"required"`
}

// ConfigMapStep creates a ConfigMap through the API server.
type ConfigMapStep struct {
	Namespace string            `yaml:"namespace" ckat:"required"`
	Name      string            `yaml:"name" ckat:"required"`
	Data      map[string]string `yaml:"data,omitempty"`
}

// SecretStep creates an Opaque Secret; Data values are plain text.
type SecretStep struct {
	Namespace string            `yaml:"namespace" ckat:"required"`
	Name      string            `yaml:"name" ckat:"required"`
	Data      map[string]string `yaml:"data,omitempty"`
}

// DeploymentStep creates a Deployment with one container.
type DeploymentStep struct {
	Namespace string `yaml:"namespace" ckat:"required"`
	Name      string `yaml:"name" ckat:"required"`
	Image     string `yaml:"image" ckat:"required"`
	Replicas  int    `yaml:"replicas,omitempty"`
}

// ServiceStep creates a ClusterIP Service with one TCP port, selecting the
// pods labelled app=Name (a deployment step's pods, when they share the
// name).
type ServiceStep struct {
	Namespace string `yaml:"namespace" ckat:"required"`
	Name      string `yaml:"name" ckat:"required"`
	Port      int    `yaml:"port" ckat:"required"`
}

// SnapshotStep saves a snapshot of the lab's etcd to Path on the node by
// running etcdctl there.
type SnapshotStep struct {
	Path string `yaml:"path" ckat:"required"`
}

// DeleteStep deletes an object through the API server.
type DeleteStep struct {
	// Kind is Namespace, ConfigMap, Secret, Deployment or Service.
	Kind      string `yaml:"kind" ckat:"required"`
	Namespace string `yaml:"namespace,omitempty"`
	Name      string `yaml:"name" ckat:"required"`
}

// CommandStep runs Script with `bash -c` on the node as root.
type CommandStep struct {
	Script string `yaml:"script" ckat:"required"`
}

// WaitForStep waits for a condition: apiServerReady, apiServerNotReady
// (after a setup step breaks the control plane on purpose) or etcdHealthy.
type WaitForStep struct {
	Condition string `yaml:"condition" ckat:"required"`
	// Timeout is a Go duration ("2m"); default 2m.
	Timeout string `yaml:"timeout,omitempty"`
}

// Wait conditions.
const (
	ConditionAPIServerReady    = "apiServerReady"
	ConditionAPIServerNotReady = "apiServerNotReady"
	ConditionEtcdHealthy       = "etcdHealthy"
)

// Stage is one part of a scenario's task.
type Stage struct {
	Pos  `yaml:"-"`
	Name string `yaml:"name" ckat:"required"`
	// Task is what the learner reads, worded like the exam.
	Task string `yaml:"task" ckat:"required"`
	// Checks grade the stage.
	Checks []Check `yaml:"checks" ckat:"required"`
	// Hints are shown one at a time by `ckat hint`.
	Hints []string `yaml:"hints,omitempty"`
	// Solution is a reference solution run with `bash -c` on the node.
	Solution string `yaml:"solution" ckat:"required"`
	// Next are the steps `ckat next` applies before the following stage.
	Next []Step `yaml:"next,omitempty"`
}

// Check is a grader check with the scenario's own extras.
type Check struct {
	Pos              `yaml:"-"`
	grader.CheckSpec `yaml:",inline"`
	// Requires names checks of the same stage that must pass for this
	// one to count: a point for "the API server is back" means nothing
	// until etcd runs on the restored data.
	Requires []string `yaml:"requires,omitempty"`
}

// Attempt is what an alternative and a mistake share: a named script that
// selftest runs in place of a stage's reference solution before grading.
type Attempt struct {
	Pos         `yaml:"-"`
	Name        string `yaml:"name" ckat:"required"`
	Description string `yaml:"description,omitempty"`
	// Stage is the stage graded after Script runs; default the last.
	Stage string `yaml:"stage,omitempty"`
	// Script replaces the stage's reference solution.
	Script string `yaml:"script" ckat:"required"`
	// Before replaces the reference solutions of earlier stages, by
	// stage name; earlier stages not listed run their reference solution.
	Before map[string]string `yaml:"before,omitempty"`
}

// Alternative is another correct way to do a stage: selftest runs it in
// place of the stage's reference solution and expects full marks at the
// first grade, so the grader accepts every right answer, not just one.
type Alternative struct {
	Attempt `yaml:",inline"`
}

// Mistake is a known wrong solution: selftest runs it and expects exactly
// the checks in Fails to fail (status fail, not error) and the others to
// pass.
type Mistake struct {
	Attempt `yaml:",inline"`
	// Fails names the checks that must fail.
	Fails []string `yaml:"fails" ckat:"required"`
}
