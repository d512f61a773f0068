package scenarios

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

// DefaultScriptImage holds the faulty maintenance script at ScriptPath. Its exit codes are
// legacycleanup.Exit*.
const (
	DefaultScriptImage = images.App
	ScriptPath         = "/legacy-cleanup"
	idFilePath         = "/incident-ids.txt"
	// dsnFilePath holds the database URL inside the script's container: uploaded through the
	// Docker API like the ID file, so the password is in neither its command line nor its
	// environment (both are shown by `docker inspect`, the command line also by ps).
	dsnFilePath    = "/run/drdrill/dsn"
	logTailLines   = 40
	incidentPrefix = "incident"
)

// IncidentSpec is one run of the faulty script: what it was told to do and with which IDs.
type IncidentSpec struct {
	Mode string  // mark | purge | corrupt | truncate (passed as is: the script itself judges bad input, exit 2)
	IDs  []int64 // written one per line into the ID file the script reads
	// Table is the table truncate mode empties; that mode takes no IDs.
	Table string
	// Guardrails the scenario switched on (legacycleanup.ParseGuardrails reads them as a drill
	// writes them).
	legacycleanup.Guardrails
	Batch int           // IDs per transaction; 0 = the script's default
	Pause time.Duration // wait between batches (makes the incident last); 0 = none
	// Image overrides DefaultScriptImage.
	Image string
	// IDFile, if not nil, is uploaded as the ID file instead of IDs (to drill bad input).
	IDFile []byte
	// Own, if set, is the stack's own faulty script, run instead of the built-in one.
	Own *OwnScript
}

// OwnScript is a user's own faulty script (a stack file's incident.script): run as a one-shot
// container of Image on the drill's network with Command. It gets the ID list one per line in
// the file IDsFile, or comma-separated in the environment variable IDsEnv; the drill's live
// database in libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) and LIVE_DSN;
// the mode in DRDRILL_MODE (mark or purge), the guardrails as the drill writes them in
// DRDRILL_GUARDRAILS (comma-separated: dry-run, check-kind, max-scope=N), the pacing in
// DRDRILL_BATCH and DRDRILL_PAUSE when set, and the run in DRDRILL_RUN_ID. Exit 0 is done; an
// exit code in Refused means a guardrail refused the run (its output should name it).
type OwnScript struct {
	Image           string
	Command         []string
	IDsFile, IDsEnv string
	Refused         []int
}

// env is the own script's environment for spec on stack s.
func (o OwnScript) env(s *stack.Stack, spec IncidentSpec) []string {
	env := pgEnv(string(stack.DB), stack.DBPort, s.Password(), s.InternalDSN(), "", s.RunID())
	env = slices.DeleteFunc(env, func(e string) bool { return strings.HasPrefix(e, "T0=") })
	env = append(env, "DRDRILL_MODE="+spec.Mode, "DRDRILL_GUARDRAILS="+strings.Join(spec.Guardrails.Names(), ","))
	if spec.Batch > 0 {
		env = append(env, "DRDRILL_BATCH="+strconv.Itoa(spec.Batch))
	}
	if spec.Pause > 0 {
		env = append(env, "DRDRILL_PAUSE="+spec.Pause.String())
	}
	if o.IDsEnv != "" {
		ids := make([]string, len(spec.IDs))
		for i, id := range spec.IDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		env = append(env, o.IDsEnv+"="+strings.Join(ids, ","))
	}
	return env
}

// Args returns the script's command line for run runID: it names the files the job uploads
// (IDs, database URL), never a secret.
func (sp IncidentSpec) Args(runID string) []string {
	args := []string{ScriptPath, "--run-id", runID, "--mode", sp.Mode, "--ids", idFilePath, "--dsn-file", dsnFilePath}
	if sp.Table != "" {
		args = []string{ScriptPath, "--run-id", runID, "--mode", sp.Mode, "--table", sp.Table, "--dsn-file", dsnFilePath}
	}
	args = append(args, sp.Guardrails.Args()...)
	if sp.Batch > 0 {
		args = append(args, "--batch", strconv.Itoa(sp.Batch))
	}
	if sp.Pause > 0 {
		args = append(args, "--pause", sp.Pause.String())
	}
	return args
}

// IncidentResult is what the faulty script's run left: T0, its exit and its log.
type IncidentResult struct {
	// T0 is the harness clock immediately before the container start request: the incident
	// cannot have changed anything before it.
	T0       time.Time
	Duration time.Duration // T0 to exit, as the harness saw it
	ExitCode int
	Refused  bool   // legacycleanup.ExitRefused: a guardrail stopped it
	Log      string // the last lines of its output
	IDs      int
}

// RunIncident runs the faulty script once against s as a one-shot container on the stack's
// network and waits for it to exit. Exit codes are data (legacycleanup.Exit*), not errors;
// the error is for failures to run it at all, and for ctx being cancelled.
func RunIncident(ctx context.Context, s *stack.Stack, spec IncidentSpec) (IncidentResult, error) {
	res := IncidentResult{IDs: len(spec.IDs)}
	pool, err := newPool()
	if err != nil {
		return res, fmt.Errorf("incident: %w", err)
	}
	image := spec.Image
	if image == "" {
		image = DefaultScriptImage
	}
	ids := spec.IDFile
	if ids == nil {
		var b strings.Builder
		for _, id := range spec.IDs {
			b.WriteString(strconv.FormatInt(id, 10))
			b.WriteByte('\n')
		}
		ids = []byte(b.String())
	}
	j := job{
		Name:    incidentPrefix + " " + ScriptPath,
		Image:   image,
		Cmd:     spec.Args(s.RunID()),
		Network: s.Network(),
		Labels:  s.Labels(),
		Files:   map[string][]byte{idFilePath: ids, dsnFilePath: []byte(s.InternalDSN() + "\n")},
	}
	refused := []int{legacycleanup.ExitRefused}
	if o := spec.Own; o != nil {
		j.Name, j.Image, j.Cmd, j.Env, j.Files = incidentPrefix+" "+strings.Join(o.Command, " "), o.Image, o.Command, o.env(s, spec), nil
		if o.IDsFile != "" {
			j.Files = map[string][]byte{o.IDsFile: ids}
		}
		refused = o.Refused
	}
	jr, err := j.run(ctx, pool)
	res.T0, res.Duration, res.ExitCode = jr.Started, jr.Duration, jr.ExitCode
	res.Refused = err == nil && slices.Contains(refused, jr.ExitCode)
	res.Log = s.Redact(tail(jr.Log, logTailLines))
	if err != nil {
		return res, fmt.Errorf("incident: %w", err)
	}
	return res, nil
}
