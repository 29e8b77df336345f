package crawler

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tarnsql/tarn/catalog"
)

func TestCrawlZoneMaps(t *testing.T) {
	tests := []struct {
		name     string
		zoneMaps bool
	}{{"off", false}, {"on", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string][]byte{
				"logs/a.csv":                  []byte("id,level,ms\n1,info,10\n2,warn,\n3,info,30\n"),
				"logs/b.csv":                  []byte("id,level,ms\n10,error,5\n11,info,7\n"),
				"clicks/dt=2024-06-01/x.json": []byte(`{"user":"ann","n":1}` + "\n" + `{"user":"bob","n":5}` + "\n"),
				"clicks/dt=2024-06-02/x.json": []byte(`{"user":"cid","n":9}` + "\n"),
				"pq/p.parquet":                parquetBytes(t, []event{{ID: 1, Name: "a", Score: 1}}),
			})
			s := openStore(t)
			crawlOK(t, s, Options{Location: dir, Database: "lake", ZoneMaps: tc.zoneMaps})

			logs := tableOf(t, s, "lake", "logs")
			if !tc.zoneMaps {
				if logs.Stats != nil && logs.Stats.Zones != nil {
					t.Fatalf("zone maps recorded without the option: %+v", logs.Stats.Zones)
				}
				return
			}
			z := logs.Stats.Zones
			if z == nil || len(z.Files) != 2 || logs.Stats.Rows != 5 {
				t.Fatalf("logs stats %+v", logs.Stats)
			}
			b := z.Zone(filepath.Join(dir, "logs", "b.csv"))
			fi, _ := os.Stat(filepath.Join(dir, "logs", "b.csv"))
			if b == nil || b.Rows != 2 || b.Size != fi.Size() || !b.ModTime.Equal(fi.ModTime()) {
				t.Fatalf("b.csv zone %+v", b)
			}
			byName := map[string]catalog.ColumnZone{}
			for i, c := range z.Columns {
				byName[c] = b.Cols[i]
			}
			if byName["id"].Min != "10" || byName["id"].Max != "11" || byName["level"].Min != "'error'" || byName["level"].Max != "'info'" {
				t.Fatalf("b.csv bounds %+v", byName)
			}
			if cs := logs.Stats.Cols["ms"]; cs.NullCount != 1 || cs.Min != "5" || cs.Max != "30" {
				t.Fatalf("ms column stats %+v", cs)
			}

			ps, err := s.ListPartitions(context.Background(), "lake", "clicks", nil)
			if err != nil || len(ps) != 2 {
				t.Fatalf("clicks partitions %v %v", ps, err)
			}
			for _, p := range ps {
				if p.Stats == nil || p.Stats.Zones == nil || len(p.Stats.Zones.Files) != 1 {
					t.Fatalf("partition %v stats %+v", p.Values, p.Stats)
				}
			}
			if rows := ps[0].Stats.Rows + ps[1].Stats.Rows; rows != 3 {
				t.Fatalf("clicks rows %d", rows)
			}
			if pq := tableOf(t, s, "lake", "pq"); pq.Stats != nil && pq.Stats.Zones != nil {
				t.Fatalf("parquet table got zone maps")
			}

			// A re-crawl with the same files keeps equal zone maps.
			crawlOK(t, s, Options{Location: dir, Database: "lake", ZoneMaps: true})
			again := tableOf(t, s, "lake", "logs")
			if again.Stats == nil || again.Stats.Zones == nil || len(again.Stats.Zones.Files) != 2 {
				t.Fatalf("re-crawl stats %+v", again.Stats)
			}
		})
	}
}
