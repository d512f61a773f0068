package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// networkCut takes the app off the run's network as the runbook starts, so the app cannot
// reach the database (and nobody can reach the app), and puts it back after For, whether or
// not the runbook has ended by then: a network does not heal because a runbook finished.
// Every tenant is down while the network is cut; the drill's RTO shows what it cost.
type networkCut struct {
	For time.Duration
}

func (networkCut) Name() string { return "network-cut" }

func (n networkCut) Description() string {
	return fmt.Sprintf("cuts the network between app and database as the runbook starts, for %s", n.For)
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
	env.findingf("fault network-cut: the app was cut off from the database for %s, from T0%+.1fs to T0%+.1fs",
		n.For, cut.Sub(env.T0).Seconds(), cut.Add(n.For).Sub(env.T0).Seconds())
	// The fault's duration is its own parameter, not a wait for something to happen. The
	// stack may be closed by then (the drill over): Connect then fails and nothing is left.
	bg := context.WithoutCancel(ctx)
	time.AfterFunc(n.For, func() {
		if err := env.Stack.Connect(bg, stack.App); err != nil {
			env.progressf("fault network-cut: reconnect app: %v", err)
			return
		}
		env.progressf("fault network-cut: app reconnected after %.1fs", time.Since(cut).Seconds())
	})
	return true, nil
}
