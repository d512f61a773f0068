// Command legacy-cleanup is the faulty maintenance script of the reference incident: it removes
// a deprecated app from sites, and, like the original, takes every ID in its file for whatever it
// is, so a site ID removes the whole site. See package legacycleanup.
//
// Exit codes (legacycleanup.Exit*): 0 done (or dry run), 1 runtime error (database), 2 bad usage or
// bad input, 3 refused by a guardrail, 4 not the drill run's database (nothing changed).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

const usage = `usage: legacy-cleanup --run-id RUN --mode mark|purge|corrupt --ids FILE --dsn-file FILE [flags]
       legacy-cleanup --run-id RUN --mode truncate --table TABLE --dsn-file FILE [flags]

Removes the deprecated app (--app-key, default "insight") from sites. Each line of FILE is one
id; blank lines and '#' comments are allowed. FILE may be "-" (stdin) or "env:NAME" (the value
of environment variable NAME, same format), for containers that cannot mount a file. Every id is removed as what it is: an app id
removes that app installation, a SITE ID REMOVES THE WHOLE SITE with its products, users, apps
(and, in purge mode, records). Other ids are skipped.

  mark   sets deleted_at (reversible: clear deleted_at to undo)
  purge  deletes rows; foreign keys cascade from sites to everything they hold
  corrupt  rewrites every record of each listed site with garbage, leaving updated_at as it
         was (the rows look untouched); app ids hold no records and are skipped
  truncate  empties --table (products, users, apps or records) for every tenant at once, as
         a migration run against the wrong database would; takes no ids

Safety (not the original's): the script acts only on a database that a drdrill run made and
marked with its run id (table drdrill_meta); --run-id must name that run, or it changes nothing
and exits 4. There is no default database (DATABASE_URL is ignored): --dsn-file names a file
holding the PostgreSQL URL (keeps the password out of the command line); --dsn takes it inline.

Guardrails:
  --dry-run       print the blast radius per kind of id, change nothing
  --check-kind    refuse unless every id is an installation of --app-key
  --max-scope N   refuse if more than N sites would be affected; a site is affected when it is
                  removed (a site id) or loses an app (an app id). 0 (default): no limit

Exit codes: 0 done, 1 runtime error, 2 bad usage or input, 3 refused by a guardrail,
4 not the drill run's database.

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// readIDs reads the ID list from a file, stdin ("-") or an environment variable ("env:NAME").
func readIDs(src string, stdin io.Reader) ([]byte, error) {
	switch {
	case src == "-":
		return io.ReadAll(stdin)
	case strings.HasPrefix(src, "env:"):
		v, ok := os.LookupEnv(strings.TrimPrefix(src, "env:"))
		if !ok {
			return nil, fmt.Errorf("%s: environment variable %s is not set", src, strings.TrimPrefix(src, "env:"))
		}
		return []byte(v), nil
	default:
		return os.ReadFile(src)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("legacy-cleanup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	mode := fs.String("mode", "", "mark, purge, corrupt or truncate (required)")
	table := fs.String("table", "", "the table truncate mode empties")
	idsFile := fs.String("ids", "", "file of ids, one per line; - for stdin, env:NAME for a variable (required)")
	runID := fs.String("run-id", "", "the drill run whose database this must be (required; see drdrill_meta)")
	dsnFile := fs.String("dsn-file", "", "file holding the PostgreSQL URL (one of --dsn-file, --dsn is required)")
	dsn := fs.String("dsn", "", "PostgreSQL URL (visible in ps: prefer --dsn-file)")
	appKey := fs.String("app-key", legacycleanup.DefaultAppKey, "app_key of the deprecated app")
	var guards legacycleanup.Guardrails
	guards.Flags(fs)
	batch := fs.Int("batch", legacycleanup.DefaultBatch, "ids per transaction")
	pause := fs.Duration("pause", 0, "wait between batches (paces the run)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return legacycleanup.ExitDone
		}
		return legacycleanup.ExitBadInput
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "legacy-cleanup: "+format+"\n", a...)
		return legacycleanup.ExitBadInput
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	truncate := *mode == string(legacycleanup.ModeTruncate)
	if !slices.Contains(legacycleanup.Modes, legacycleanup.Mode(*mode)) {
		return bad("--mode %q: want mark, purge, corrupt or truncate", *mode)
	}
	switch {
	case truncate && *idsFile != "":
		return bad("--ids: truncate mode takes no ids (it empties --table for every tenant)")
	case truncate && !slices.Contains(legacycleanup.TruncatableTables, *table):
		return bad("--table %q: truncate mode empties one of %s", *table, strings.Join(legacycleanup.TruncatableTables, ", "))
	case !truncate && *table != "":
		return bad("--table is for truncate mode only")
	case !truncate && *idsFile == "":
		return bad("--ids FILE is required")
	}
	if err := guards.Validate(); err != nil {
		return bad("%v", err)
	}
	if *batch < 1 {
		return bad("--batch %d: want 1 or more", *batch)
	}
	if *runID == "" {
		return bad("--run-id RUN is required: the script acts only on the database of that drill run")
	}
	switch {
	case *dsn != "" && *dsnFile != "":
		return bad("--dsn and --dsn-file: give one")
	case *dsnFile != "":
		b, err := os.ReadFile(*dsnFile)
		if err != nil {
			return bad("--dsn-file: %v", err)
		}
		*dsn = strings.TrimSpace(string(b))
	case *dsn == "":
		return bad("no database: give --dsn-file FILE (there is no default, DATABASE_URL is ignored)")
	}
	var ids []int64
	if !truncate {
		src, err := readIDs(*idsFile, stdin)
		if err != nil {
			return bad("read ids file: %v", err)
		}
		if ids, err = legacycleanup.ParseIDs(src); err != nil {
			var pe *legacycleanup.ParseError
			if errors.As(err, &pe) {
				return bad("%s:%d: %q: %s", *idsFile, pe.Line, pe.Text, pe.Reason)
			}
			return bad("%s: %v", *idsFile, err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	cfg, err := pgx.ParseConfig(*dsn)
	if err != nil {
		// pgx's parse errors quote the URL, password included: say where, not what.
		return bad("bad database URL (from %s): not a PostgreSQL URL or key=value string", dsnSource(*dsnFile))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "legacy-cleanup: connect to %s:%d/%s: %v\n", cfg.Host, cfg.Port, cfg.Database, err)
		return legacycleanup.ExitRuntime
	}
	defer conn.Close(context.WithoutCancel(ctx))

	_, err = legacycleanup.Run(ctx, conn, ids, legacycleanup.Options{
		RunID: *runID, Mode: legacycleanup.Mode(*mode), AppKey: *appKey, Guardrails: guards,
		Batch: *batch, Pause: *pause, Log: stdout, Table: *table,
	})
	if err != nil {
		fmt.Fprintf(stderr, "legacy-cleanup: %v\n", err)
	}
	return legacycleanup.ExitCode(err)
}

// dsnSource names where the URL came from, for errors that must not print it.
func dsnSource(file string) string {
	if file != "" {
		return "--dsn-file " + file
	}
	return "--dsn"
}
