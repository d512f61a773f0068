package saas

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// NewPool opens a connection pool that outlives its database: it does not connect before the
// first query, so the service starts while Postgres is still down, and broken connections are
// dropped and redialled, so it comes back by itself after Postgres is restarted, killed or
// replaced by a restored server at the same address. DSN settings (pool_max_conns,
// connect_timeout, ...) win over the defaults chosen here.
func NewPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN, password included: say what is wrong without it.
		return nil, fmt.Errorf("parse database URL: %w", redact(err))
	}
	if !hasParam(dsn, "pool_max_conns") {
		// The default (NumCPU, at least 4) is too small for hundreds of writes/s plus a probe of
		// every site 4 times a second, with each query waiting a network round trip.
		cfg.MaxConns = 24
	}
	if !hasParam(dsn, "connect_timeout") {
		// A paused or unreachable server must turn into a quick 503, not a hung request.
		cfg.ConnConfig.ConnectTimeout = 3 * time.Second
	}
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.MaxConnIdleTime = time.Minute
	if _, ok := cfg.ConnConfig.RuntimeParams["synchronous_commit"]; !ok {
		// An acknowledged write must be durable whatever the server's default says.
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "saasd"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	return pool, nil
}
