package stack

import (
	"context"

	"github.com/drdrill/drdrill/images"
)

// Remaining counts the containers, networks and volumes on the engine still labelled with
// run: zero once the run's Close (or Clean) has done its job. Tests and `drdrill run` use it
// to prove that nothing was left behind.
func Remaining(ctx context.Context, run string) (int, error) {
	docker, err := images.Connect(ctx)
	if err != nil {
		return 0, err
	}
	runs, err := listRuns(ctx, docker)
	if err != nil {
		return 0, err
	}
	if r := runs[run]; r != nil {
		return r.containers + r.networks + r.volumes, nil
	}
	return 0, nil
}
