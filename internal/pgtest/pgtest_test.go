package pgtest

import (
	"context"
	"testing"
	"time"
)

func TestStartStopStartKeepsDSN(t *testing.T) {
	db := Start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db.Migrate(t)
	if err := db.Container.Stop(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Container.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	// A restart on tmpfs comes back as a fresh, empty cluster: the schema is gone.
	var reg *string
	if err := db.Pool(t).QueryRow(ctx, "SELECT to_regclass('public.sites')::text").Scan(&reg); err != nil {
		t.Fatal(err)
	}
	if reg != nil {
		t.Fatalf("sites table survived a restart on tmpfs: %v", *reg)
	}
}

func TestVolumeKeepsDataAcrossRestart(t *testing.T) {
	db := Start(t, Options{Volume: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db.Migrate(t)
	if err := db.Container.Stop(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Container.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	var reg *string
	if err := db.Pool(t).QueryRow(ctx, "SELECT to_regclass('public.sites')::text").Scan(&reg); err != nil {
		t.Fatal(err)
	}
	if reg == nil {
		t.Fatal("sites table lost across a restart on a volume")
	}
}
