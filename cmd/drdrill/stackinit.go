package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/internal/atomicfile"
	"github.com/drdrill/drdrill/tenancy"
)

// joinFlags collects repeated --join TABLE.COLUMN=TABLE.COLUMN flags.
type joinFlags []tenancy.Join

func (j *joinFlags) String() string { return fmt.Sprint(*j) }

func (j *joinFlags) Set(v string) error {
	from, to, ok := strings.Cut(v, "=")
	ft, fc, ok1 := strings.Cut(from, ".")
	tt, tc, ok2 := strings.Cut(to, ".")
	if !ok || !ok1 || !ok2 || ft == "" || fc == "" || tt == "" || tc == "" {
		return fmt.Errorf("join %q: write TABLE.COLUMN=TABLE.COLUMN, e.g. comments.page_ref=pages.id", v)
	}
	*j = append(*j, tenancy.Join{Table: ft, Column: fc, RefTable: tt, RefColumn: tc})
	return nil
}

// cmdStackInit (drdrill stack init) introspects a running PostgreSQL database and writes a
// commented stack file with the tenancy model it found: which tables each tenant owns and how
// (foreign keys, declared joins), the unit a faulty script deletes, shared tables, and columns
// that look like references but have none. The password comes through PGPASSWORD, ~/.pgpass
// or --dsn-file, not --dsn: argv is visible to every process on the machine.
func cmdStackInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stack init", "--dsn URL | --dsn-file FILE --tenant TABLE [--unit TABLE] [--join T.C=T.C]... [--out FILE]")
	fs.SetOutput(stderr)
	var (
		dsn, dsnFile, out string
		d                 tenancy.Declared
		joins             joinFlags
	)
	fs.StringVar(&dsn, "dsn", "", "the database to introspect (postgres://user@host:port/db)")
	fs.StringVar(&dsnFile, "dsn-file", "", "a file holding the DSN (its first line), instead of --dsn")
	fs.StringVar(&d.TenantTable, "tenant", "", "the tenant table (required)")
	fs.StringVar(&d.TenantKey, "tenant-key", "", "the tenant's key column (default: the table's primary key)")
	fs.StringVar(&d.UnitTable, "unit", "", "the table of the unit a faulty script deletes (a site, a workspace)")
	fs.StringVar(&d.UnitTenantColumn, "unit-tenant-column", "", "the unit's column holding the tenant key (default: found from its foreign key)")
	fs.StringVar(&d.Model, "model", tenancy.ForeignKeys, "tenancy model: foreign-keys or schema-per-tenant")
	fs.StringVar(&d.SchemaPattern, "schema-pattern", "", "schema-per-tenant: the tenant schemas' names, e.g. tenant_{tenant}")
	fs.StringVar(&d.Schema, "schema", "public", "the schema holding the tables")
	fs.Var(&joins, "join", "a relation with no foreign key, TABLE.COLUMN=TABLE.COLUMN (repeatable)")
	fs.StringVar(&out, "out", "", "write the stack file here (default: standard output); an existing file is not overwritten")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("stack init takes no arguments (got %q)", fs.Args())
	}
	d.Joins = joins
	switch {
	case (dsn == "") == (dsnFile == ""):
		return usagef("stack init: give one of --dsn URL or --dsn-file FILE")
	case d.TenantTable == "" && d.Model != tenancy.SchemaPerTenant:
		return usagef("stack init: --tenant TABLE is required (the table with one row per customer)")
	}
	if dsnFile != "" {
		b, err := os.ReadFile(dsnFile)
		if err != nil {
			return usagef("stack init: --dsn-file: %v", err)
		}
		dsn, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx quotes the DSN in some parse errors: never print it.
		return usagef("stack init: the DSN does not parse as a PostgreSQL URL or key=value string")
	}
	if dsnFile == "" && cfg.Password != "" {
		fmt.Fprintln(stderr, "stack init: warning: --dsn carries a password, visible in the process list; use PGPASSWORD, ~/.pgpass or --dsn-file")
	}
	if out != "" {
		if _, err := os.Stat(out); err == nil {
			return usagef("stack init: --out %s exists: choose another name or remove it", out)
		}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("stack init: connect to %s: %w", redactedDSN(cfg), redactErr(err, cfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m, err := tenancy.Discover(ctx, conn, d)
	if err != nil {
		if tenancyInputError(err) {
			return usagef("stack init: %v", err)
		}
		return fmt.Errorf("stack init: %w", err)
	}
	var buf bytes.Buffer
	if err := tenancy.Render(&buf, m, redactedDSN(cfg)); err != nil {
		return fmt.Errorf("stack init: %w", err)
	}
	if out == "" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := atomicfile.Write(out, 0o644, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return fmt.Errorf("stack init: %w", err)
	}
	fmt.Fprintf(stderr, "stack init: wrote %s: %d tables owned by tenants, %d shared; check it with `drdrill stack check %s`\n", out, len(m.Tables), len(m.Shared), out)
	return nil
}

// tenancyInputError says whether a Discover error comes from what the user declared (exit 2)
// rather than from the database.
func tenancyInputError(err error) bool {
	for _, e := range []error{tenancy.ErrTenantTable, tenancy.ErrTenantKey, tenancy.ErrUnitTable, tenancy.ErrUnitNotOwned,
		tenancy.ErrJoin, tenancy.ErrJoinCycle, tenancy.ErrCycle, tenancy.ErrSoftDelete, tenancy.ErrNoSchemas,
		tenancy.ErrSchemaDiffers, tenancy.ErrModel} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// redactedDSN names a database without its password.
func redactedDSN(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// redactErr rewrites an error's text without the password (a server may echo parts of it).
func redactErr(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "[redacted]"))
}
