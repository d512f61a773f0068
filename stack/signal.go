package stack

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// CloseOnSignal makes SIGINT and SIGTERM close the stack. It returns a context that is
// cancelled at the first signal (so the caller's work stops) while Close runs in the
// background; a deferred s.Close then waits for that Close to finish. A second signal exits
// at once with status 130, leaving the rest to `drdrill clean`. Call stop when the stack is
// closed to restore the default signal handling.
//
//	s, err := stack.Start(ctx, cfg)
//	if err != nil { return err }
//	defer s.Close(ctx)
//	ctx, stop := s.CloseOnSignal(ctx)
//	defer stop()
func (s *Stack) CloseOnSignal(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			s.logf("%v: removing run %s (again to quit now)", sig, s.RunID())
			cancel()
			go func() {
				select {
				case <-sigs:
					fmt.Fprintf(os.Stderr, "stack: second signal: quitting; run `drdrill clean` to remove what is left of run %s\n", s.RunID())
					os.Exit(130)
				case <-done:
				}
			}()
			_ = s.Close(context.Background())
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}
