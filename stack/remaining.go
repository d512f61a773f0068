package stack

import (
	"context"
	"slices"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/images"
)

// Remaining counts the containers, networks and volumes on the engine still labelled with
// run: zero once the run's Close (or Clean) has done its job. Tests and `drdrill run` use it
// to prove that nothing was left behind.
func Remaining(ctx context.Context, run string) (int, error) {
	_, runs, err := engineRuns(ctx)
	if err != nil {
		return 0, err
	}
	if r := runs[run]; r != nil {
		return r.containers + r.networks + r.volumes, nil
	}
	return 0, nil
}

// GroupRuns lists the run IDs on the engine labelled with group (LabelGroup), sorted: the
// runs of one `drdrill run`, whose run IDs carry a suffix no one knows in advance.
func GroupRuns(ctx context.Context, group string) ([]string, error) {
	_, runs, err := engineRuns(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, r := range runs {
		if r.labels[LabelGroup] == group {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// engineRuns connects to the Docker engine and lists the labelled resources on it by run.
func engineRuns(ctx context.Context) (*dc.Client, map[string]*run, error) {
	docker, err := images.Connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	runs, err := listRuns(ctx, docker)
	return docker, runs, err
}
