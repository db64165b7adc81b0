package labs

// Finding statuses. A problem stops a lab from working; a warning may.
const (
	FindingOK      = "ok"
	FindingWarning = "warning"
	FindingProblem = "problem"
)

// Finding is the outcome of one preflight check: what a provider needs
// on this machine, and how to fix it when it is missing.
type Finding struct {
	// Check names what was checked ("container engine", "kube-apiserver").
	Check string `json:"check"`
	// Status is FindingOK, FindingWarning or FindingProblem.
	Status string `json:"status"`
	// Message says what the check found, in one line.
	Message string `json:"message"`
	// Fix says how to fix a warning or a problem.
	Fix string `json:"fix,omitempty"`
}

// Ready reports whether no finding is a problem: a lab can run.
func Ready(findings []Finding) bool {
	for _, f := range findings {
		if f.Status == FindingProblem {
			return false
		}
	}
	return true
}
