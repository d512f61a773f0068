package measure

import (
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

// TestReadinessGroundTruth gives the checkers readings whose answer is known: a backup that
// stopped 7m before T0 is 7m old; an archive holding every byte has no lag, whatever its last
// archive time; WAL written after a segment archived 12s before T0 is 12s behind.
func TestReadinessGroundTruth(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		r            Readiness
		age, lag     time.Duration
		ageOK, lagOK bool
	}{
		{"backup 7m old, archive complete", Readiness{LastBackupStop: t0.Add(-7 * time.Minute), LastArchivedAt: t0.Add(-time.Hour)}, 7 * time.Minute, 0, true, true},
		{"archive 12s behind", Readiness{LastBackupStop: t0.Add(-30 * time.Second), LastArchivedAt: t0.Add(-12 * time.Second), UnarchivedBytes: 8192}, 30 * time.Second, 12 * time.Second, true, true},
		{"no backup yet, nothing ever archived", Readiness{UnarchivedBytes: 1}, 0, 0, false, false},
		{"clock skew never makes a negative figure", Readiness{LastBackupStop: t0.Add(time.Second), LastArchivedAt: t0.Add(time.Second), UnarchivedBytes: 1}, 0, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			age, ok := BackupAge(t0, tt.r)
			if age != tt.age || ok != tt.ageOK {
				t.Errorf("BackupAge = %v, %v; want %v, %v", age, ok, tt.age, tt.ageOK)
			}
			lag, ok := WALArchiveLag(t0, tt.r)
			if lag != tt.lag || ok != tt.lagOK {
				t.Errorf("WALArchiveLag = %v, %v; want %v, %v", lag, ok, tt.lag, tt.lagOK)
			}
		})
	}
}

func TestSegmentStartAndUnarchived(t *testing.T) {
	tests := []struct {
		name string
		want uint64
		ok   bool
	}{
		{"000000010000000000000003", 3 * 16 << 20, true},
		{"0000000100000001000000FF", 1<<32 + 0xFF*16<<20, true},
		{"000000010000000100000100", 0, false}, // 256 segments a log: no such segment
		{"000000010000000000000003.00000028.backup", 0, false},
		{"00000002.history", 0, false},
		{"", 0, false},
		{"00000001000000000000000G", 0, false},
	}
	for _, tt := range tests {
		got, ok := SegmentStart(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SegmentStart(%q) = %X, %v; want %X, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	seg4 := uint64(4 * 16 << 20)
	for _, u := range []struct {
		insert uint64
		ready  string
		want   int64
	}{
		{seg4 + 40, "", 0},    // just switched to segment 4: nothing in it
		{seg4 + 152, "", 112}, // one record in the current segment
		{seg4 + 152, "000000010000000000000003", 16<<20 + 112}, // segment 3 still waits for the archiver
	} {
		got, err := Unarchived(u.insert, u.ready)
		if err != nil || got != u.want {
			t.Errorf("Unarchived(%X, %q) = %d, %v; want %d", u.insert, u.ready, got, err, u.want)
		}
	}
	if _, err := Unarchived(seg4, "00000002.history"); err == nil {
		t.Errorf("Unarchived with a history file: no error")
	}
	if lsn, err := ParseLSN("16/B374D848"); err != nil || lsn != 0x16B374D848 {
		t.Errorf("ParseLSN = %X, %v", lsn, err)
	}
	if _, err := ParseLSN("nope"); err == nil {
		t.Errorf("ParseLSN(nope) = nil error")
	}
}

// TestReadinessObjectives judges the objectives on readings with a known answer: a backup
// 7m old meets "backup age at T0 | 10m" with 3m to spare, an archive 45s behind breaches
// "WAL archive lag at T0 | 30s" by 15s, and a drill with no reading is unknown, never ok.
func TestReadinessObjectives(t *testing.T) {
	objs, err := ParseObjectives([][]string{{"objective", "target"}, {"backup age at T0", "10m"}, {"WAL archive lag at T0", "30s"}}, "x.feature:3")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		r       *Readiness
		status  [2]results.Status
		margins [2]float64
	}{
		{"measured", &Readiness{LastBackupStop: t0.Add(-7 * time.Minute), LastArchivedAt: t0.Add(-45 * time.Second), UnarchivedBytes: 4096},
			[2]results.Status{results.StatusOK, results.StatusBreached}, [2]float64{180_000, -15_000}},
		{"not read", nil, [2]results.Status{results.StatusUnknown, results.StatusUnknown}, [2]float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(objs, Assemble(Input{T0: t0, Readiness: tt.r}))
			for i, g := range got {
				if g.Status != tt.status[i] {
					t.Errorf("%s: %s (%s), want %s", g.Name, g.Status, g.Detail, tt.status[i])
				}
				if tt.r != nil && (g.Margin == nil || *g.Margin != tt.margins[i]) {
					t.Errorf("%s: margin %v ms, want %v", g.Name, deref(g.Margin), tt.margins[i])
				}
			}
		})
	}
}
