package saas_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

const benchSites = 50

// benchServer starts Postgres with its data on a Docker volume (fsync costs what it costs in a
// drill), the handler behind a real HTTP server, and benchSites live sites.
func benchServer(b *testing.B) (url string, sites []int64, client *http.Client) {
	b.Helper()
	db := pgtest.Start(b, pgtest.Options{Volume: true})
	db.Migrate(b)
	pool, err := saas.NewPool(context.Background(), db.DSN())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	srv := httptest.NewServer(saas.NewHandler(pool, saas.Options{}))
	b.Cleanup(srv.Close)
	for _, s := range pgtest.Seed(b, pool, pgtest.Shape{Tenants: benchSites, SitesPerTenant: 1, Products: 1, Users: 1, Apps: 1, AppKey: "insight"}) {
		sites = append(sites, s.ID)
	}
	client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	return srv.URL, sites, client
}

// BenchmarkRecordUpsert measures acknowledged writes/s: parallel PUTs of live-* records (half
// new keys, half among 20 hot keys per site, mostly updates) over real HTTP into real Postgres,
// each answered after COMMIT.
func BenchmarkRecordUpsert(b *testing.B) {
	url, sites, client := benchServer(b)
	var seq, created, updated atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(seq.Add(1)), 7))
		for pb.Next() {
			n := seq.Add(1)
			key := fmt.Sprintf("live-%d", n)
			if n%2 == 0 {
				key = fmt.Sprintf("live-hot-%d", rng.IntN(20))
			}
			site := sites[rng.IntN(len(sites))]
			req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v1/sites/%d/records/%s", url, site, key),
				bytes.NewReader([]byte(`{"value":"`+key+`"}`)))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusCreated:
				created.Add(1)
			case http.StatusOK:
				updated.Add(1)
			default:
				b.Errorf("PUT %s: status %d", key, resp.StatusCode)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if got := created.Load() + updated.Load(); got != int64(b.N) {
		b.Fatalf("%d acknowledged writes, want %d", got, b.N)
	}
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "writes/s")
	b.Logf("%d writes (%d created, %d updated) in %v: %.0f writes/s", b.N, created.Load(), updated.Load(), elapsed.Round(time.Millisecond), rate)
}

// BenchmarkSiteHealth measures per-site health checks/s over real HTTP, the prober's load.
func BenchmarkSiteHealth(b *testing.B) {
	url, sites, client := benchServer(b)
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1))
		for pb.Next() {
			i++
			resp, err := client.Get(fmt.Sprintf("%s/v1/sites/%d/health", url, sites[i%len(sites)]))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("health: status %d", resp.StatusCode)
				return
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "checks/s")
}

// BenchmarkBulkHealth measures site checks/s through POST /v1/health/sites, all bench sites per
// request: what a prober of thousands of sites should use.
func BenchmarkBulkHealth(b *testing.B) {
	url, sites, client := benchServer(b)
	body := []byte(fmt.Sprintf(`{"sites":%s}`, jsonIDs(sites)))
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url+"/v1/health/sites", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("bulk health: status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*len(sites))/time.Since(start).Seconds(), "site-checks/s")
}

func jsonIDs(ids []int64) string {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprint(&buf, id)
	}
	buf.WriteByte(']')
	return buf.String()
}
