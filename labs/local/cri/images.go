package cri

import (
	"context"
	"sort"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// images are the images the running pods' manifests name, by ID.
func (s *server) images() map[string]*runtimeapi.Image {
	out := map[string]*runtimeapi.Image{}
	for _, p := range s.rt.Pods() {
		for _, c := range p.Pod.Spec.Containers {
			if c.Image == "" {
				continue
			}
			id := ImageID(c.Image)
			out[id] = &runtimeapi.Image{Id: id, RepoTags: []string{NormalizeImage(c.Image)}, Spec: &runtimeapi.ImageSpec{Image: NormalizeImage(c.Image)}}
		}
	}
	return out
}

// ListImages lists the images the running static pods name: ckat keeps no
// image contents, so their size is 0.
func (s *server) ListImages(_ context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	resp := &runtimeapi.ListImagesResponse{Images: []*runtimeapi.Image{}}
	want := req.GetFilter().GetImage().GetImage()
	for _, img := range s.images() {
		if want == "" || img.Id == want || img.RepoTags[0] == NormalizeImage(want) {
			resp.Images = append(resp.Images, img)
		}
	}
	sort.Slice(resp.Images, func(i, j int) bool { return resp.Images[i].RepoTags[0] < resp.Images[j].RepoTags[0] })
	return resp, nil
}

// ImageStatus finds an image by name or ID; an unknown image is no image,
// not an error, as the CRI asks.
func (s *server) ImageStatus(_ context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	want := req.GetImage().GetImage()
	for _, img := range s.images() {
		if img.Id == want || img.RepoTags[0] == NormalizeImage(want) {
			return &runtimeapi.ImageStatusResponse{Image: img}, nil
		}
	}
	return &runtimeapi.ImageStatusResponse{}, nil
}

const imageInstead = "a static pod here runs its manifest's command with the binaries the node has, whatever image it names; crictl images lists the images the manifests name"

// PullImage pulls nothing.
func (s *server) PullImage(context.Context, *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	return nil, notImplemented("pulling an image", imageInstead)
}

// RemoveImage removes nothing.
func (s *server) RemoveImage(context.Context, *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	return nil, notImplemented("removing an image", imageInstead)
}

// imageFsMountpoint is where containerd's overlayfs snapshotter keeps
// image layers on a kubeadm node.
const imageFsMountpoint = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"

// ImageFsInfo reports an empty image filesystem: ckat keeps no image
// contents. crictl (through k8s.io/cri-client's NewRemoteImageService,
// validateServiceConnection) calls it before any image or container
// command, so it must answer.
func (s *server) ImageFsInfo(context.Context, *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	usage := &runtimeapi.FilesystemUsage{
		Timestamp:  time.Now().UnixNano(),
		FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: imageFsMountpoint},
		UsedBytes:  &runtimeapi.UInt64Value{Value: 0},
		InodesUsed: &runtimeapi.UInt64Value{Value: 0},
	}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{usage}}, nil
}
