package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/drdrill/drdrill/results"
)

// Minimal cucumber JSON (the format cucumber-jvm and godog write and report tools read):
// features → elements (scenarios) → steps, durations in nanoseconds.
type cukeFeature struct {
	URI         string        `json:"uri"`
	ID          string        `json:"id"`
	Keyword     string        `json:"keyword"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Line        int           `json:"line"`
	Elements    []cukeElement `json:"elements"`
}

type cukeElement struct {
	ID          string     `json:"id"`
	Keyword     string     `json:"keyword"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Line        int        `json:"line"`
	Type        string     `json:"type"`
	Tags        []cukeTag  `json:"tags,omitempty"`
	Steps       []cukeStep `json:"steps"`
}

type cukeTag struct {
	Name string `json:"name"`
	Line int    `json:"line"`
}

type cukeStep struct {
	Keyword string     `json:"keyword"`
	Name    string     `json:"name"`
	Line    int        `json:"line"`
	Result  cukeResult `json:"result"`
}

type cukeResult struct {
	Status   string `json:"status"`
	Duration int64  `json:"duration"`
	Error    string `json:"error_message,omitempty"`
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a file- and id-safe name: "Purge with site IDs" → "purge-with-site-ids".
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" {
		return "unnamed"
	}
	return s
}

// WriteCucumber writes rep as cucumber JSON: one feature per feature file, one scenario per
// drill, one step per drill phase (status and duration from results.json), and a last step
// "the objectives are met" that fails with the breached objectives' messages. A phase is
// marked failed when it is the restore phase of a runbook that reported an error.
func WriteCucumber(w io.Writer, rep *Report) error {
	var feats []cukeFeature
	index := map[string]int{}
	for _, r := range rep.Drills {
		uri := firstNonEmpty(r.Feature, "drdrill")
		i, ok := index[uri]
		if !ok {
			i = len(feats)
			index[uri] = i
			feats = append(feats, cukeFeature{URI: uri, ID: slug(uri), Keyword: "Feature", Name: featureName(uri), Line: 1})
		}
		feats[i].Elements = append(feats[i].Elements, cukeDrill(feats[i].ID, r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(feats); err != nil {
		return fmt.Errorf("write cucumber json: %w", err)
	}
	return nil
}

func featureName(uri string) string {
	base := uri[strings.LastIndex(uri, "/")+1:]
	return strings.TrimSuffix(base, ".feature")
}

func cukeDrill(featureID string, r *results.Results) cukeElement {
	e := cukeElement{
		ID: featureID + ";" + slug(r.Scenario), Keyword: "Scenario", Name: r.Scenario,
		Description: "run " + r.RunID, Line: 1, Type: "scenario",
	}
	for _, t := range r.Tags {
		if !strings.HasPrefix(t, "@") {
			t = "@" + t
		}
		e.Tags = append(e.Tags, cukeTag{Name: t, Line: 1})
	}
	for i, p := range r.Phases {
		st := cukeStep{Keyword: "Given ", Name: "phase " + p.Name, Line: 2 + i,
			Result: cukeResult{Status: "passed", Duration: int64(results.Duration(p.DurationMS))}}
		if i > 0 {
			st.Keyword = "And "
		}
		if p.Name == "restore" && r.Runbook.Error != "" {
			st.Result.Status = "failed"
			st.Result.Error = "runbook " + r.Runbook.Name + ": " + r.Runbook.Error
		}
		e.Steps = append(e.Steps, st)
	}
	last := cukeStep{Keyword: "Then ", Name: "the objectives are met", Line: 2 + len(r.Phases), Result: cukeResult{Status: "passed"}}
	var msgs []string
	for _, o := range r.Objectives {
		if o.Status != results.StatusOK {
			msgs = append(msgs, "["+statusWord(o.Status)+"] "+objectiveMessage(o))
		}
	}
	if r.Verdict != results.StatusOK {
		last.Result.Status = "failed"
		if len(msgs) == 0 {
			msgs = append(msgs, "verdict "+string(verdictOf(r.Verdict)))
		}
		last.Result.Error = strings.Join(msgs, "\n")
	}
	e.Steps = append(e.Steps, last)
	return e
}
