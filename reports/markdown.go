package reports

import (
	"fmt"
	"io"
	"strings"
)

var verdictMark = map[string]string{"ok": "✅", "breached": "❌", "unknown": "⚠️"}

// WriteSummary writes a short Markdown summary of rep, fit for a CI job summary
// ($GITHUB_STEP_SUMMARY) or a pull request comment: the verdict line, then per drill the
// objectives table, the three worst tenants and what happened to bystanders.
func WriteSummary(w io.Writer, rep *Report) error {
	v := buildView(rep, nil)
	var b strings.Builder
	fmt.Fprintf(&b, "## %s drdrill: %s\n\n", mark(v.Verdict), v.Headline)
	if len(v.Compare) > 0 {
		b.WriteString("| drill | runbook | verdict | restored | RTO p95 | RTO max | RPO max | lost | bystander loss |\n")
		b.WriteString("|---|---|---|---|---:|---:|---:|---:|---:|\n")
		for _, c := range v.Compare {
			fmt.Fprintf(&b, "| %s | %s | %s %s | %s | %s | %s | %s | %s | %s |\n", md(c.Scenario), md(c.Runbook),
				mark(c.Verdict), c.Verdict, c.Restored, c.RTOP95, c.RTOMax, c.RPOMax, c.Lost, c.BystanderLoss)
		}
		if v.CompareNote != "" {
			fmt.Fprintf(&b, "\n%s\n", md(v.CompareNote))
		}
		b.WriteString("\n")
	}
	for _, d := range v.Drills {
		fmt.Fprintf(&b, "### %s %s\n\n", mark(d.Verdict), md(d.Scenario))
		fmt.Fprintf(&b, "Runbook %s · profile %s · seed %d · run %s", code(d.Runbook), code(d.Profile), d.Seed, code(d.RunID))
		if d.Shard != "" {
			fmt.Fprintf(&b, " · shard %s", d.Shard)
		}
		fmt.Fprintf(&b, " · %s\n\n", md(d.Incident))
		b.WriteString("| objective | target | measured | margin | status |\n|---|---:|---:|---:|---|\n")
		for _, o := range d.Objectives {
			status := mark(o.Status) + " " + o.Word
			if o.Detail != "" {
				status += " — " + md(o.Detail)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", md(o.Name), md(o.Target), o.Measured, o.Margin, status)
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "**Down:** %s. **Lost:** %s.\n\n", figures(d.Down), figures(d.Lost))
		if d.Deletions != "" {
			fmt.Fprintf(&b, "%s\n\n", md(d.Deletions))
		}
		if d.BeforeRunbook != "" {
			fmt.Fprintf(&b, "%s\n\n", md(d.BeforeRunbook))
		}
		if d.RunbookErr != "" {
			fmt.Fprintf(&b, "**Runbook error:** %s\n\n", md(d.RunbookErr))
		}
		if len(d.Worst) > 0 {
			b.WriteString("Worst tenants (by RTO, then writes lost):\n\n| tenant | users | RTO | lost | changed | collateral | RPO |\n|---|---:|---:|---:|---:|---:|---:|\n")
			for _, t := range d.Worst {
				fmt.Fprintf(&b, "| %s (%d) | %d | %s | %d | %d | %d | %s |\n", md(t.Name), t.ID, t.Users, t.RTO, t.Lost, t.Changed, t.Collat, t.RPO)
			}
			b.WriteString("\n")
		}
		b.WriteString("Bystanders: " + md(strings.Join(d.Bystanders, " ")) + "\n\n")
		fmt.Fprintf(&b, "<sub>%s</sub>\n\n", md(d.Precision))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func mark(status string) string {
	if m, ok := verdictMark[status]; ok {
		return m
	}
	return verdictMark["unknown"]
}

func figures(fs []figure) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Label+" "+f.Value)
	}
	return strings.Join(parts, ", ")
}

// mdEscaper makes text inert in GitHub-flavoured Markdown: every character that can start
// emphasis, a link, an image, code, a heading or a table cell is backslash-escaped, HTML is
// entity-encoded, newlines become spaces, and the two forms GFM turns into links by itself
// (scheme:// and www.) are broken up. Scenario names, findings and tenant names come from
// feature files and data: in a CI job summary, "![t](https://…)" must not load an image.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"!", `\!`, "#", `\#`, "~", `\~`, "|", `\|`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
	"://", `\://`, "www.", `www\.`,
)

// md makes a value safe as Markdown text, in a table cell too (see mdEscaper).
func md(s string) string { return mdEscaper.Replace(s) }

// code shows a name (runbook, profile, run ID) as a code span. A code span takes no escapes,
// so what could end it or a table cell (backticks, pipes, newlines) is replaced.
func code(s string) string {
	return "`" + strings.NewReplacer("`", "'", "|", "/", "\n", " ", "\r", " ").Replace(s) + "`"
}
