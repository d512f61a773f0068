package main

import (
	"context"
	"errors"
)

// cmdReport is a placeholder until its owner writes it.
func cmdReport(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
