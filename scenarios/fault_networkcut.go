package scenarios

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// networkCut takes the app off the run's network as the runbook starts, so the app cannot
// reach the database (and nobody can reach the app), and puts it back after For, or when the
// runbook ends if that comes first. Every tenant is down while the network is cut.
type networkCut struct {
	For time.Duration
}

func (networkCut) Name() string { return "network-cut" }

func (n networkCut) Description() string {
	return fmt.Sprintf("cuts the network between app and database as the runbook starts, restored after %s or at the runbook's end", n.For)
}

func (n networkCut) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	if at.Hook != HookStart {
		return false, nil
	}
	if env.Stack.AppURL() == "" {
		env.findingf("fault network-cut: the stack has no app: nothing to cut")
		return true, nil
	}
	if err := env.Stack.Disconnect(ctx, stack.App); err != nil {
		return true, err
	}
	cut := time.Now()
	env.progressf("fault network-cut: app disconnected at %s for %s", env.sinceT0(), n.For)
	var (
		once   sync.Once
		healed time.Time
		err    error
	)
	heal := func(ctx context.Context) {
		once.Do(func() {
			err = env.Stack.Connect(ctx, stack.App)
			healed = time.Now()
		})
	}
	// The fault's duration is its own parameter, not a wait for something to happen.
	timer := time.AfterFunc(n.For, func() { heal(context.WithoutCancel(ctx)) })
	env.onEnd(func(ctx context.Context) error {
		// If the runbook ended first this heals now; otherwise sync.Once waits for the
		// timer's healing in flight.
		timer.Stop()
		heal(ctx)
		if err != nil {
			return fmt.Errorf("fault network-cut: reconnect app: %w", err)
		}
		env.findingf("fault network-cut: the app was cut off from the database for %.1fs, from T0%+.1fs to T0%+.1fs",
			healed.Sub(cut).Seconds(), cut.Sub(env.T0).Seconds(), healed.Sub(env.T0).Seconds())
		return nil
	})
	return true, nil
}
