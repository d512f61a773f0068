package ci

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// step is the part of a workflow step the history check reads.
type step struct {
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
}

type workflowFile struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Steps []step `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestWorkflowKeepsHistory checks that scheduled runs carry the drill history from one run to
// the next: the merge job restores it from the cache before it merges, records the merged drills
// in that same directory, and saves it afterwards (whatever the verdict) under a key that its
// restore-keys find on the next run; the shards only restore it.
func TestWorkflowKeepsHistory(t *testing.T) {
	src, err := os.ReadFile(workflow)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowFile
	if err := yaml.Unmarshal(src, &wf); err != nil {
		t.Fatalf("%s: %v", workflow, err)
	}
	dir := wf.Env["DRDRILL_HISTORY"]
	if dir == "" {
		t.Fatal("no top-level env DRDRILL_HISTORY: the history directory is not named once for every job")
	}
	find := func(steps []step, uses string) (int, step) {
		for i, s := range steps {
			if strings.HasPrefix(s.Uses, uses+"@") {
				return i, s
			}
		}
		return -1, step{}
	}
	merge := wf.Jobs["merge"].Steps
	ri, restore := find(merge, "actions/cache/restore")
	si, save := find(merge, "actions/cache/save")
	mi := -1
	for i, s := range merge {
		if strings.Contains(s.Run, "drdrill report") {
			mi = i
		}
	}
	switch {
	case ri < 0 || si < 0 || mi < 0:
		t.Fatalf("merge job: restore at %d, report at %d, save at %d: want all three", ri, mi, si)
	case !(ri < mi && mi < si):
		t.Fatalf("merge job: restore (%d), report (%d), save (%d) are out of order", ri, mi, si)
	}
	if !strings.Contains(merge[mi].Run, `--history "$DRDRILL_HISTORY"`) {
		t.Errorf("the merge does not record into $DRDRILL_HISTORY:\n%s", merge[mi].Run)
	}
	for _, s := range []step{restore, save} {
		if s.With["path"] != dir {
			t.Errorf("%q caches path %q, want %q (DRDRILL_HISTORY)", s.Name, s.With["path"], dir)
		}
	}
	if !strings.Contains(save.If, "always()") {
		t.Errorf("save step runs only on success (if: %q): a breached night would lose its history", save.If)
	}
	if !strings.Contains(save.With["key"], "github.run_id") {
		t.Errorf("save key %q is not unique per run: cache entries are immutable, the second night would not save", save.With["key"])
	}
	found := false
	for _, k := range strings.Fields(restore.With["restore-keys"]) {
		if strings.HasPrefix(save.With["key"], k) {
			found = true
		}
	}
	if !found {
		t.Errorf("no restore-key of %q is a prefix of the save key %q: the next run would not find it", restore.With["restore-keys"], save.With["key"])
	}
	drill := wf.Jobs["drill"].Steps
	if i, _ := find(drill, "actions/cache/save"); i >= 0 {
		t.Errorf("a shard saves the history (step %d): its partial view would overwrite the merged one", i)
	}
	if i, _ := find(drill, "actions/cache/restore"); i < 0 {
		t.Error("the shards do not restore the history: their summaries would draw no trend")
	}
}
