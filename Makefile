# ckat's build. Everything a fresh machine with Go and gcc needs is done here.
SHELL := /usr/bin/env bash
GO ?= go
BIN := $(CURDIR)/bin
GOFLAGS_BUILD := -trimpath
# The Kubernetes version the API server and kubectl report (their modules'
# own version stamps are empty when built with go build).
KUBE_VERSION := v1.37.2
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
	-X k8s.io/component-base/version.gitTreeState=clean
export CGO_ENABLED := 1

.PHONY: all build ckat kube-apiserver lab test test-unit bench fuzz lint clean inotify

all: build

## build: bin/ckat, bin/ckat-shim and bin/kube-apiserver (with
## bin/kube-controller-manager and bin/kube-scheduler linked to it)
build: ckat kube-apiserver

# ckat-shim is the small executable the node agent runs beside each
# container; ckat stands in for it when it is missing.
ckat:
	$(GO) build $(GOFLAGS_BUILD) -ldflags '$(KUBE_LDFLAGS)' -o $(BIN)/ckat ./cmd/ckat
	$(GO) build $(GOFLAGS_BUILD) -ldflags '-s -w' -o $(BIN)/ckat-shim ./cmd/ckat-shim

# The control plane (kube-apiserver, kube-controller-manager and
# kube-scheduler) is built from k8s.io/kubernetes by a nested module, so the
# main module needs no replace directives. It is one executable that runs
# as the component its name says; the other two names are hard links to it.
KUBE_COMPONENTS := kube-controller-manager kube-scheduler
kube-apiserver: $(BIN)/kube-apiserver
$(BIN)/kube-apiserver: tools/kube/go.mod tools/kube/go.sum tools/kube/main.go Makefile
	cd tools/kube && $(GO) build $(GOFLAGS_BUILD) -ldflags '-s -w $(KUBE_LDFLAGS)' -o $(BIN)/kube-apiserver .
	for c in $(KUBE_COMPONENTS); do ln -f $(BIN)/kube-apiserver $(BIN)/$$c; done

## lab: build, then start a practice lab on the local provider and print its
## task; run again, it starts the same lab if stopped and prints the task again
LAB_SCENARIO ?= etcd-backup-restore
lab: build
	@$(BIN)/ckat start $(LAB_SCENARIO)

## test: every test, integration tests included (they use bin/)
# The selftest of the built-in scenarios runs first, alone: it keeps up to
# four labs a core busy, and its time is a figure of its own (README). The
# other packages run after it, whether it passed or not.
SELFTEST_PKG := github.com/ckat/ckat/scenarios/selftest
test: build inotify
	@export CKAT_BIN_DIR=$(BIN); \
	$(GO) test -count=1 -timeout 45m $(SELFTEST_PKG); selftest=$$?; \
	$(GO) test -count=1 -timeout 45m $$($(GO) list ./... | grep -vx '$(SELFTEST_PKG)'); rest=$$?; \
	exit $$(( selftest || rest ))

# Every lab's kubelet, kube-apiserver and kube-controller-manager hold 9
# inotify instances together, and the default limit of 128 per user holds
# about 14 labs: fewer than the tests may run at once, or a class. As root,
# raise it to 1024; otherwise say how.
INOTIFY_INSTANCES := 1024
inotify:
	@limit=$$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo $(INOTIFY_INSTANCES)); \
	if [ "$$limit" -lt $(INOTIFY_INSTANCES) ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then sysctl -q -w fs.inotify.max_user_instances=$(INOTIFY_INSTANCES); \
	  else echo "warning: fs.inotify.max_user_instances is $$limit: labs past the 14th see a moved manifest only 20 s later; raise it as root: sysctl -w fs.inotify.max_user_instances=$(INOTIFY_INSTANCES)"; fi; \
	fi

## test-unit: the fast tests only
test-unit:
	$(GO) test -short ./...

## bench: the benchmarks behind the README's figures
bench: build
	CKAT_BIN_DIR=$(BIN) $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 45m ./...

## lint: gofmt, go vet and golangci-lint (configured in .golangci.yml; the
## first run builds golangci-lint, which takes a few minutes)
GOLANGCI_LINT_VERSION := v2.15.0
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run ./...

clean:
	rm -rf $(BIN)
