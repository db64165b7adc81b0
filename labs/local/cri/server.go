package cri

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Options configure a server.
type Options struct {
	// Version is the runtime version Version reports.
	Version string
}

// server implements RuntimeService and ImageService over rt.
type server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer
	rt   Runtime
	opts Options
}

// Serve serves the CRI on the unix socket at path until ctx is cancelled.
// A stale socket at path is replaced.
func Serve(ctx context.Context, path string, rt Runtime, opts Options) error {
	ln, err := Listen(path)
	if err != nil {
		return err
	}
	g := NewServer(rt, opts)
	go func() {
		<-ctx.Done()
		g.Stop()
	}()
	if err := g.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serving the CRI on %s: %w", path, err)
	}
	return nil
}

// Listen listens on the unix socket at path, replacing a stale one.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o711); err != nil {
		return nil, fmt.Errorf("creating the CRI socket's directory: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing the old CRI socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening for the CRI: %w", err)
	}
	return ln, nil
}

// NewServer returns a gRPC server with both CRI services registered.
func NewServer(rt Runtime, opts Options) *grpc.Server {
	g := grpc.NewServer(grpc.UnaryInterceptor(explainUnary), grpc.StreamInterceptor(explainStream))
	s := &server{rt: rt, opts: opts}
	runtimeapi.RegisterRuntimeServiceServer(g, s)
	runtimeapi.RegisterImageServiceServer(g, s)
	return g
}

// notImplemented is the error of every call ckat's runtime does not
// serve.
func notImplemented(what, instead string) error {
	return status.Errorf(codes.Unimplemented, "%s: ckat's node runs the kubelet's static pods as plain processes, without images or a container runtime of its own, so this is not supported; %s", what, instead)
}

// answers is what the runtime does serve, for the messages.
const answers = "crictl answers version, info, ps, pods, inspect, inspectp, logs, stop, rm and images"

// explainUnary gives the calls the generated code leaves unimplemented
// ("method X not implemented") ckat's message.
func explainUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	return resp, explain(info.FullMethod, err)
}

func explainStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return explain(info.FullMethod, handler(srv, ss))
}

func explain(method string, err error) error {
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unimplemented && strings.HasPrefix(st.Message(), "method ") {
		return notImplemented(method[strings.LastIndex(method, "/")+1:], answers)
	}
	return err
}

// Version answers as containerd does, with ckat's version.
func (s *server) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{
		Version:           "0.1.0",
		RuntimeName:       RuntimeName,
		RuntimeVersion:    s.opts.Version,
		RuntimeApiVersion: RuntimeAPIVersion,
	}, nil
}

// Status says the runtime and its network are ready: the pods are on the
// node's network.
func (s *server) Status(context.Context, *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: true},
	}}}, nil
}

// The calls that would make ckat run something the kubelet did not ask
// for, or reach into a process, say what to do instead.

func (s *server) RunPodSandbox(context.Context, *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	return nil, notImplemented("creating a pod sandbox", "to run a pod on this node, put its manifest in /etc/kubernetes/manifests and the kubelet runs it")
}

func (s *server) StopPodSandbox(context.Context, *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	return nil, notImplemented("stopping a pod sandbox", "the kubelet stops a static pod when its manifest leaves /etc/kubernetes/manifests; crictl stop stops one container")
}

func (s *server) RemovePodSandbox(context.Context, *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	return nil, notImplemented("removing a pod sandbox", "the kubelet stops a static pod when its manifest leaves /etc/kubernetes/manifests; crictl rm removes one container")
}

func (s *server) CreateContainer(context.Context, *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	return nil, notImplemented("creating a container", "to run a container on this node, put a pod manifest in /etc/kubernetes/manifests and the kubelet runs it")
}

func (s *server) StartContainer(context.Context, *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	return nil, notImplemented("starting a container", "the kubelet starts a static pod's containers again by itself after they exit")
}

const execInstead = "a container here has no image and no shell of its own: run the command on the node, where the container's volumes are its manifest's hostPaths (crictl inspect ID lists its mounts)"

func (s *server) ExecSync(context.Context, *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	return nil, notImplemented("exec in a container", execInstead)
}

func (s *server) Exec(context.Context, *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return nil, notImplemented("exec in a container", execInstead)
}

func (s *server) Attach(context.Context, *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return nil, notImplemented("attaching to a container", "its output is in its log: crictl logs -f ID")
}
