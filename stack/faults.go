package stack

import (
	"context"
	"fmt"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// Faults act on one service (DB, App, or a side database's alias). Those that bring a service
// back (Start, Restart) return once it is ready again, by the same wait as at Start; the others
// return once the engine has applied them.

// stopTimeout is how long Stop lets a service shut down before the engine kills it.
const stopTimeout = 10 * time.Second

// Stop stops a service gracefully (Postgres: fast shutdown; it checkpoints, then exits).
func (s *Stack) Stop(ctx context.Context, name Service) error {
	svc, err := s.service(name)
	if err != nil {
		return err
	}
	d := stopTimeout
	if err := svc.c.Stop(ctx, &d); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// Start starts a stopped or killed service and waits until it is ready. Its host port and
// network alias are the same as before.
func (s *Stack) Start(ctx context.Context, name Service) error {
	svc, err := s.service(name)
	if err != nil {
		return err
	}
	t := time.Now()
	if err := svc.c.Start(ctx); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	s.logf("%s ready again in %.1fs", name, time.Since(t).Seconds())
	return nil
}

// Kill sends SIGKILL to a service (Postgres then needs crash recovery at the next Start) and
// returns once its process has exited.
func (s *Stack) Kill(ctx context.Context, name Service) error {
	svc, err := s.service(name)
	if err != nil {
		return err
	}
	id := svc.c.GetContainerID()
	before, err := s.docker.InspectContainerWithContext(id, ctx)
	if err != nil {
		return fmt.Errorf("kill %s: inspect: %w", name, err)
	}
	if err := s.docker.KillContainer(dc.KillContainerOptions{ID: id, Signal: dc.SIGKILL, Context: ctx}); err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	// Exited, or already started again by someone recovering from it (a runbook's retry can
	// restart it between the kill and this check): a wait for "not running" would then wait
	// for the next run to end.
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		c, err := s.docker.InspectContainerWithContext(id, ctx)
		if err != nil {
			return fmt.Errorf("kill %s: wait for exit: %w", name, err)
		}
		if !c.State.Running || !c.State.StartedAt.Equal(before.State.StartedAt) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kill %s: wait for exit: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// Restart stops and starts a service and waits until it is ready.
func (s *Stack) Restart(ctx context.Context, name Service) error {
	if err := s.Stop(ctx, name); err != nil {
		return err
	}
	return s.Start(ctx, name)
}

// Pause freezes every process of a service (cgroup freezer): connections stay open and hang.
func (s *Stack) Pause(ctx context.Context, name Service) error {
	return s.raw(name, "pause", s.docker.PauseContainer)
}

// Unpause thaws a paused service.
func (s *Stack) Unpause(ctx context.Context, name Service) error {
	return s.raw(name, "unpause", s.docker.UnpauseContainer)
}

// Disconnect takes a service off the run's network: other containers cannot resolve or reach
// it, and neither can the harness (its published port goes with the network).
func (s *Stack) Disconnect(ctx context.Context, name Service) error {
	return s.raw(name, "disconnect", func(id string) error {
		return s.docker.DisconnectNetwork(s.netID, dc.NetworkConnectionOptions{Container: id, Force: true, Context: ctx})
	})
}

// Connect puts a disconnected service back on the run's network under its alias.
func (s *Stack) Connect(ctx context.Context, name Service) error {
	return s.raw(name, "connect", func(id string) error {
		return s.docker.ConnectNetwork(s.netID, dc.NetworkConnectionOptions{
			Container:      id,
			EndpointConfig: &dc.EndpointConfig{Aliases: []string{string(name)}},
			Context:        ctx,
		})
	})
}

func (s *Stack) raw(name Service, what string, f func(id string) error) error {
	svc, err := s.service(name)
	if err != nil {
		return err
	}
	if err := f(svc.c.GetContainerID()); err != nil {
		return fmt.Errorf("%s %s: %w", what, name, err)
	}
	return nil
}
