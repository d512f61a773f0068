package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// CleanOptions widen or narrow what Clean removes.
type CleanOptions struct {
	// OtherHosts also removes runs started on other hosts (whose processes this host cannot
	// see), e.g. a shared remote engine after a CI runner died. Off: they are left alone.
	OtherHosts bool
	// Runs limits the sweep to these run IDs (dead ones only, as always); empty: every run.
	// A run kept for inspection (LabelKeep) is removed only when named here or with Kept.
	Runs []string
	// Kept also removes the runs kept for inspection (`drdrill run --keep`) whose process is gone.
	Kept bool
	// DryRun reports what would be removed, and counts it, but removes nothing.
	DryRun bool
}

// Clean removes the resources of every run on the engine whose harness process is gone
// (pid absent on this host, or reused by a process that started after the run), prints one
// line per run to w, and returns how many containers, networks and volumes it removed.
// Runs of live processes and of other hosts are left alone.
func Clean(ctx context.Context, w io.Writer) (int, error) {
	return CleanWith(ctx, w, CleanOptions{})
}

// CleanWith is Clean with options.
func CleanWith(ctx context.Context, w io.Writer, opts CleanOptions) (int, error) {
	if w == nil {
		w = io.Discard
	}
	docker, runs, err := engineRuns(ctx)
	if err != nil {
		return 0, err
	}
	host, _ := os.Hostname()
	total := 0
	var errs []error
	for _, id := range slices.Sorted(mapKeys(runs)) {
		if len(opts.Runs) > 0 && !slices.Contains(opts.Runs, id) {
			continue
		}
		r := runs[id]
		dead, why := r.dead(host, opts.OtherHosts)
		if !dead {
			fmt.Fprintf(w, "clean: run %s kept: %s\n", id, why)
			continue
		}
		if r.labels[LabelKeep] != "" && !opts.Kept && !slices.Contains(opts.Runs, id) {
			fmt.Fprintf(w, "clean: run %s kept for inspection (drdrill run --keep): remove it with drdrill clean --run %s\n", id, id)
			continue
		}
		if opts.DryRun {
			total += r.containers + r.networks + r.volumes
			fmt.Fprintf(w, "clean: run %s would be removed (%s): %s\n", id, why, r.summary())
			continue
		}
		n, kept, err := removeRun(ctx, docker, id, "")
		total += n
		for _, k := range kept {
			fmt.Fprintf(w, "clean: run %s: %s\n", id, k)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("run %s: %w", id, err))
			fmt.Fprintf(w, "clean: run %s (%s): removed %d of %s, error: %v\n", id, why, n, r.summary(), err)
			continue
		}
		os.Remove(PassFile(id))
		fmt.Fprintf(w, "clean: run %s (%s): removed %s\n", id, why, r.summary())
	}
	if total == 0 && len(errs) == 0 {
		fmt.Fprintln(w, "clean: nothing to remove")
	}
	return total, errors.Join(errs...)
}

// PassFile is where a run kept for inspection has its libpq password file (outside the drill's
// outputs, which CI uploads); removing the run removes it.
func PassFile(run string) string {
	return filepath.Join(os.TempDir(), "drdrill-"+run+".pgpass")
}

// run is what the engine holds for one run ID.
type run struct {
	labels                        map[string]string // from the first resource seen
	containers, networks, volumes int
}

func (r *run) summary() string {
	return fmt.Sprintf("%d containers, %d networks, %d volumes", r.containers, r.networks, r.volumes)
}

// dead says whether the run's owner process is gone, and why (or why it is kept). A pid is
// judged only by a process of the same pid namespace of the same kernel boot (LabelPIDNS):
// harnesses in containers that share a hostname, or an engine shared by several machines,
// never see each other's pids, and a pid they cannot see is not a dead one.
func (r *run) dead(host string, otherHosts bool) (bool, string) {
	owner := r.labels[LabelHost]
	pid, perr := strconv.Atoi(r.labels[LabelPID])
	started, serr := strconv.ParseInt(r.labels[LabelStarted], 10, 64)
	if owner == "" || perr != nil || serr != nil {
		// Labelled drdrill.run by something other than this package: not ours to judge.
		return false, "no drdrill.pid/host/started labels"
	}
	ns, hasNS := r.labels[LabelPIDNS]
	switch {
	case hasNS && ns != pidNamespace():
		if otherHosts {
			return true, "another pid namespace (" + ns + "), removal of other hosts' runs asked"
		}
		return false, "started in another pid namespace or machine (host " + owner + ", " + ns + "): its process cannot be seen from here (use --all-hosts to remove)"
	case !hasNS && owner != host:
		if otherHosts {
			return true, "host " + owner + ", removal of other hosts' runs asked"
		}
		return false, "started on host " + owner + " (use --all-hosts to remove)"
	}
	where := fmt.Sprintf("pid %d, started %s", pid, time.Unix(started, 0).UTC().Format(time.RFC3339))
	switch alive, reused := processState(pid, started); {
	case !alive:
		return true, where + ", process gone"
	case reused:
		return true, where + ", pid now reused by a newer process"
	}
	return false, where + ", process alive"
}

// processOwner is this process's LabelOwner token.
var processOwner = randomHex(8)

// pidNamespace identifies this process's pid namespace: the kernel's boot ID and the
// namespace's inode ("" parts where /proc does not tell).
var pidNamespace = sync.OnceValue(func() string {
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, _ := os.Readlink("/proc/self/ns/pid") // "pid:[4026531836]"
	return strings.TrimSpace(string(boot)) + "/" + strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
})

// processState reports whether pid exists, and whether it belongs to a process that started
// after the run did (so it cannot be the run's owner).
func processState(pid int, runStarted int64) (alive, reused bool) {
	if pid <= 0 {
		return false, false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false, false
	}
	if start, ok := processStart(pid); ok && start > runStarted+1 {
		return true, true
	}
	return true, false
}

// processStart is a process's start time in unix seconds, from /proc (Linux only; elsewhere
// the pid check alone decides).
func processStart(pid int) (int64, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Field 2 (comm) may hold spaces and parentheses: split after its closing ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); starttime is field 22, in clock ticks since boot.
	if len(fields) < 20 {
		return 0, false
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return 0, false
	}
	boot, ok := bootTime()
	if !ok {
		return 0, false
	}
	const clockTicks = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return boot + ticks/clockTicks, true
}

func bootTime() (int64, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			t, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return t, err == nil
		}
	}
	return 0, false
}

// listRuns groups every labelled container, network and volume on the engine by run ID.
func listRuns(ctx context.Context, docker *dc.Client) (map[string]*run, error) {
	runs := map[string]*run{}
	get := func(labels map[string]string) *run {
		id := labels[LabelRun]
		r := runs[id]
		if r == nil {
			r = &run{labels: labels}
			runs[id] = r
		}
		return r
	}
	cs, err := docker.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": {LabelRun}}, Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		get(c.Labels).containers++
	}
	ns, err := docker.FilteredListNetworks(dc.NetworkFilterOpts{"label": {LabelRun: true}})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		get(n.Labels).networks++
	}
	vs, err := docker.ListVolumes(dc.ListVolumesOptions{Filters: map[string][]string{"label": {LabelRun}}, Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	for _, v := range vs {
		get(v.Labels).volumes++
	}
	return runs, nil
}

// removeRun removes every container, then network, then volume labelled drdrill.run=id (and,
// when owner is set, drdrill.owner=owner: what this process created), and returns how many it
// removed. Resources already gone count as removed by someone else. A network that a
// container without the run's label is attached to is left, with a line in kept: drdrill
// never disconnects what it did not create.
func removeRun(ctx context.Context, docker *dc.Client, id, owner string) (int, []string, error) {
	filters := []string{LabelRun + "=" + id}
	if owner != "" {
		filters = append(filters, LabelOwner+"="+owner)
	}
	var (
		mu   sync.Mutex
		n    int
		kept []string
		errs []error
	)
	done := func(err error, what string) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			n++
			return
		}
		errs = append(errs, fmt.Errorf("remove %s: %w", what, err))
	}

	removeContainers := func() error {
		cs, err := docker.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": filters}, Context: ctx})
		if err != nil {
			return fmt.Errorf("list containers of run %s: %w", id, err)
		}
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Go(func() {
				err := docker.RemoveContainer(dc.RemoveContainerOptions{ID: c.ID, Force: true, RemoveVolumes: true, Context: ctx})
				var nsc *dc.NoSuchContainer
				if errors.As(err, &nsc) {
					return
				}
				done(err, "container "+strings.Join(c.Names, ","))
			})
		}
		wg.Wait()
		return nil
	}
	if err := removeContainers(); err != nil {
		return 0, nil, err
	}

	netFilter := map[string]map[string]bool{"label": {}}
	for _, f := range filters {
		netFilter["label"][f] = true
	}
	ns, err := docker.FilteredListNetworks(netFilter)
	if err != nil {
		return n, kept, errors.Join(append(errs, fmt.Errorf("list networks of run %s: %w", id, err))...)
	}
	for _, nw := range ns {
		if info, err := docker.NetworkInfo(nw.ID); err == nil && len(info.Containers) > 0 {
			var foreign []string
			for cid, ep := range info.Containers {
				// One of the run's own, created after the listing above (an interrupted create
				// the engine finished): it goes like the others.
				if c, err := docker.InspectContainerWithContext(cid, ctx); err == nil && c.Config != nil &&
					c.Config.Labels[LabelRun] == id && (owner == "" || c.Config.Labels[LabelOwner] == owner) {
					done(docker.RemoveContainer(dc.RemoveContainerOptions{ID: cid, Force: true, RemoveVolumes: true, Context: ctx}), "container "+ep.Name)
					continue
				}
				foreign = append(foreign, ep.Name)
			}
			slices.Sort(foreign)
			if len(foreign) == 0 {
				done(docker.RemoveNetwork(nw.ID), "network "+nw.Name)
				continue
			}
			kept = append(kept, fmt.Sprintf("network %s kept: containers drdrill did not create are attached (%s); disconnect them, then run drdrill clean --run %s", nw.Name, strings.Join(foreign, ", "), id))
			continue
		}
		err := docker.RemoveNetwork(nw.ID)
		var nsn *dc.NoSuchNetwork
		if errors.As(err, &nsn) {
			continue
		}
		done(err, "network "+nw.Name)
	}

	vs, err := docker.ListVolumes(dc.ListVolumesOptions{Filters: map[string][]string{"label": filters}, Context: ctx})
	if err != nil {
		return n, kept, errors.Join(append(errs, fmt.Errorf("list volumes of run %s: %w", id, err))...)
	}
	for _, v := range vs {
		done(removeVolume(ctx, docker, v.Name, filters), "volume "+v.Name)
	}
	// Once more: a container whose interrupted create the engine finished after the first
	// listing (see removeVolume) may use no volume.
	if err := removeContainers(); err != nil {
		errs = append(errs, err)
	}
	return n, kept, errors.Join(errs...)
}

// removeVolume removes a volume, waiting (up to 10s) while the engine still sees it in use
// by a container that is being removed. A container of the run (label filter) that uses it is
// removed on the way: one whose create request was interrupted (SIGINT during the stack's
// start) can appear after the run's containers were listed, the engine finishing what the
// client gave up on.
func removeVolume(ctx context.Context, docker *dc.Client, name string, filters []string) error {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := docker.RemoveVolumeWithOptions(dc.RemoveVolumeOptions{Name: name, Context: ctx})
		if err == nil || errors.Is(err, dc.ErrNoSuchVolume) {
			return nil
		}
		if !errors.Is(err, dc.ErrVolumeInUse) {
			return err
		}
		users, lerr := docker.ListContainers(dc.ListContainersOptions{All: true, Context: ctx,
			Filters: map[string][]string{"label": filters, "volume": {name}}})
		if lerr == nil {
			for _, c := range users {
				_ = docker.RemoveContainer(dc.RemoveContainerOptions{ID: c.ID, Force: true, Context: ctx})
			}
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return err
		case <-ctx.Done():
			return err
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
