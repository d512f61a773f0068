package scenarios

import "testing"

func TestBatchSize(t *testing.T) {
	for _, c := range []struct {
		set, tenants, want int
	}{
		{0, 1, 10}, {0, 10, 10}, {0, 160, 10}, {0, 161, 11}, {0, 775, 49}, {0, 10000, 625},
		{2, 775, 2}, {1, 10, 1},
	} {
		n := Params{BatchSize: c.set}.batchSize(c.tenants)
		if n != c.want {
			t.Errorf("BatchSize %d, %d tenants: %d a batch, want %d", c.set, c.tenants, n, c.want)
		}
		if c.set == 0 && (c.tenants+n-1)/n > maxBatches {
			t.Errorf("%d tenants in batches of %d: more than %d batches", c.tenants, n, maxBatches)
		}
	}
}
