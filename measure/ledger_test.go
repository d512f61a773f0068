package measure

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLedgerRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.tsv")
	l, err := CreateLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []Write
	for i := 0; i < 1000; i++ {
		x := Write{Seq: int64(i), Tenant: int64(i % 7), Site: int64(1000 + i%13), Key: fmt.Sprintf("live-%d", i/3),
			Value: fmt.Sprintf("run-%d", i), At: t0.Add(time.Duration(i) * time.Microsecond), Outcome: Acked}
		if i%10 == 0 {
			x.Outcome = Unknown
		}
		if err := l.Append(x); err != nil {
			t.Fatal(err)
		}
		want = append(want, x)
	}
	if l.Acked() != 900 || len(l.Writes()) != 1000 {
		t.Errorf("acked %d, entries %d; want 900, 1000", l.Acked(), len(l.Writes()))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := l.Append(want[0]); err == nil {
		t.Error("append after close succeeded")
	}
	got, err := LoadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("loaded %d, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Seq != w.Seq || g.Tenant != w.Tenant || g.Site != w.Site || g.Key != w.Key || g.Value != w.Value ||
			!g.At.Equal(w.At) || g.Outcome != w.Outcome {
			t.Fatalf("entry %d: got %+v want %+v", i, g, w)
		}
	}
}

// TestLedgerFlushesWithoutClose: what a crashing harness leaves behind is on disk within the
// flush interval, without Close.
func TestLedgerFlushesWithoutClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.tsv")
	l, err := CreateLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	if err := l.Append(Write{Seq: 1, Tenant: 1, Site: 2, Key: "live-1", Value: "v", At: start, Outcome: Acked}); err != nil {
		t.Fatal(err)
	}
	deadline := start.Add(2 * time.Second)
	for {
		got, err := LoadLedger(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 {
			if d := time.Since(start); d > 10*FlushEvery {
				t.Errorf("entry on disk after %v, want within about %v", d, FlushEvery)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry not on disk after %v", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond) // polling a file: the condition is its content
	}
}

func TestReadLedger(t *testing.T) {
	const head = "# drdrill ledger v1\n"
	good := "A\t1\t2\t3\t1649144280000000000\tlive-a\tv1\n"
	tests := []struct {
		name, in string
		n        int
		err      string
	}{
		{"good", head + good + good, 2, ""},
		{"torn tail is an interrupted flush", head + good + "A\t2\t2\t3\t16491", 1, ""},
		{"empty", "", 0, ""},
		{"bad outcome", head + "X\t1\t2\t3\t4\tk\tv\n", 0, "x:2: outcome"},
		{"too few fields", head + good + "A\t1\t2\t3\n", 1, "x:3: 4 fields"},
		{"too many fields", head + "A\t1\t2\t3\t4\tk\tv\textra\n", 0, "x:2: more than 7"},
		{"not a number", head + "A\t1\ttwo\t3\t4\tk\tv\n", 0, `field 3: "two"`},
		{"overflow", head + "A\t99999999999999999999\t2\t3\t4\tk\tv\n", 0, "field 2"},
		{"empty key", head + "A\t1\t2\t3\t4\t\tv\n", 0, "empty key"},
		{"empty value is fine", head + "A\t1\t2\t3\t-4\tk\t\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadLedger(strings.NewReader(tt.in), "x")
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if len(got) != tt.n {
				t.Errorf("%d entries, want %d", len(got), tt.n)
			}
		})
	}
}

func TestLedgerRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.tsv")
	if err := os.WriteFile(path, []byte("old run"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateLedger(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("overwrote an existing ledger: %v", err)
	}
	l, err := CreateLedger(filepath.Join(dir, "new.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, x := range []Write{
		{Key: "live\t1", Value: "v", Outcome: Acked},
		{Key: "live-1", Value: "v\n", Outcome: Acked},
		{Key: "", Value: "v", Outcome: Acked},
		{Key: "live-1", Value: "v"},
	} {
		if err := l.Append(x); err == nil {
			t.Errorf("appended %+v", x)
		}
	}
}

func syntheticLedger(n int) ([]Write, []Record) { return SyntheticLedger(n, t0) }

// BenchmarkCheckLedger shows the checker's cost growing linearly with the ledger.
func BenchmarkCheckLedger(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1e4", 1e4}, {"1e5", 1e5}, {"1e6", 1e6}} {
		n := size.n
		writes, observed := syntheticLedger(n)
		b.Run(size.name, func(b *testing.B) {
			for b.Loop() {
				CheckWrites(writes, observed, t0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/write")
		})
	}
}

func BenchmarkLedgerAppend(b *testing.B) {
	l, err := CreateLedger(filepath.Join(b.TempDir(), "ledger.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	x := Write{Seq: 1, Tenant: 42, Site: 1000000000123, Key: "live-w3-12345", Value: "run-20261125-1234567", At: time.Now(), Outcome: Acked}
	for b.Loop() {
		x.Seq++
		if err := l.Append(x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadLedger(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ledger.tsv")
	l, err := CreateLedger(path)
	if err != nil {
		b.Fatal(err)
	}
	writes, _ := syntheticLedger(1e6)
	for _, x := range writes {
		if err := l.Append(x); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.Run("1e6", func(b *testing.B) {
		for b.Loop() {
			got, err := LoadLedger(path)
			if err != nil || len(got) != 1e6 {
				b.Fatal(len(got), err)
			}
		}
	})
}

func FuzzReadLedger(f *testing.F) {
	f.Add("# drdrill ledger v1\nA\t1\t2\t3\t4\tlive-a\tv1\nU\t2\t2\t3\t5\tlive-a\tv2\n")
	f.Add("A\t-1\t0\t0\t-9223372036854775808\tk\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		ws, err := ReadLedger(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		// Whatever reads without error writes back and reads again the same.
		path := filepath.Join(t.TempDir(), "l")
		l, err := CreateLedger(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ws {
			if err := l.Append(x); err != nil {
				t.Fatalf("read %+v but cannot write it: %v", x, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := LoadLedger(path)
		if err != nil || len(again) != len(ws) {
			t.Fatalf("reread %d entries (%v), want %d", len(again), err, len(ws))
		}
		for i := range ws {
			a, w := again[i], ws[i]
			if a.Seq != w.Seq || a.Tenant != w.Tenant || a.Site != w.Site || a.Key != w.Key || a.Value != w.Value ||
				!a.At.Equal(w.At) || a.Outcome != w.Outcome {
				t.Fatalf("entry %d: %+v, want %+v", i, again[i], ws[i])
			}
		}
	})
}
