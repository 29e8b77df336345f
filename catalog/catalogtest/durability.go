package catalogtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os/exec"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog"
)

// Crash tests: a child process runs a long, numbered sequence of DDL
// statements against a store and acknowledges each one on stdout after
// it returns; the parent kills it with SIGKILL at a random moment,
// reopens the store and checks that the catalog equals the state after
// exactly the acknowledged statements, or after one more (the statement
// in flight is all-or-nothing, and nothing acknowledged is lost).

const durDB = "dur"

// durStep is one statement of round r's workload. Steps cycle through:
// create a table, add a batch of 10 partitions (twice), replace the
// partitioned table (a version bump), drop the batch added two steps
// earlier.
func durStep(ctx context.Context, s catalog.Store, r, i int) error {
	ps := s.(catalog.PartitionStore)
	switch i % 5 {
	case 0:
		return s.CreateTable(ctx, PartitionedTable(durDB, fmt.Sprintf("t_%d_%06d", r, i), "dt"), false)
	case 1, 2:
		return ps.AddPartitions(ctx, durDB, durTable(r), durBatch(i), false)
	case 3:
		t := PartitionedTable(durDB, durTable(r), "b", "k")
		t.Props = map[string]string{"step": strconv.Itoa(i)}
		return s.ReplaceTable(ctx, t)
	default:
		var vals [][]string
		for _, p := range durBatch(i - 2) {
			vals = append(vals, p.Values)
		}
		return ps.DropPartitions(ctx, durDB, durTable(r), vals, false)
	}
}

func durTable(r int) string { return fmt.Sprintf("p_%d", r) }

func durBatch(i int) []catalog.Partition {
	parts := make([]catalog.Partition, 10)
	for j := range parts {
		parts[j] = catalog.Partition{Values: []string{fmt.Sprintf("b%06d", i), fmt.Sprintf("%02d", j)}, Location: fmt.Sprintf("/dur/%d/%d", i, j)}
	}
	return parts
}

// CrashWorkload is the child's side: it sets up round r, prints "ready",
// then runs steps, printing each step's number after it returns, until a
// step fails, maxSteps ran or ctx is done.
func CrashWorkload(ctx context.Context, s catalog.Store, r, maxSteps int, out io.Writer) error {
	if err := s.CreateDatabase(ctx, catalog.Database{Name: durDB}, true); err != nil {
		return err
	}
	if err := s.CreateTable(ctx, PartitionedTable(durDB, durTable(r), "b", "k"), false); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	for i := 0; i < maxSteps; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := durStep(ctx, s, r, i); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
		if _, err := fmt.Fprintln(out, i); err != nil {
			return err
		}
	}
	return nil
}

// durState is what a round's steps leave in the catalog.
type durState struct {
	Tables     []string
	Partitions []string
	Version    int
	Props      map[string]string
	History    int
}

// expectedState is round r's state after its first n steps.
func expectedState(r, n int) durState {
	st := durState{Tables: []string{durTable(r)}, Version: 1, History: 0}
	present := map[string]bool{}
	for i := 0; i < n; i++ {
		switch i % 5 {
		case 0:
			st.Tables = append(st.Tables, fmt.Sprintf("t_%d_%06d", r, i))
		case 1, 2:
			for _, p := range durBatch(i) {
				present[strings.Join(p.Values, "/")] = true
			}
		case 3:
			st.Version++
			st.History++
			st.Props = map[string]string{"step": strconv.Itoa(i)}
		default:
			for _, p := range durBatch(i - 2) {
				delete(present, strings.Join(p.Values, "/"))
			}
		}
	}
	for k := range present {
		st.Partitions = append(st.Partitions, k)
	}
	sort.Strings(st.Tables)
	sort.Strings(st.Partitions)
	return st
}

func actualState(ctx context.Context, s catalog.Store, r int) (durState, error) {
	var st durState
	ts, err := s.ListTables(ctx, durDB)
	if err != nil {
		return st, err
	}
	for _, t := range ts {
		if t.Name == durTable(r) || strings.HasPrefix(t.Name, fmt.Sprintf("t_%d_", r)) {
			st.Tables = append(st.Tables, t.Name)
		}
	}
	sort.Strings(st.Tables)
	t, err := s.GetTable(ctx, durDB, durTable(r))
	if err != nil {
		return st, err
	}
	st.Version = t.Version
	if len(t.Props) > 0 {
		st.Props = t.Props
	}
	ps, err := s.(catalog.PartitionStore).ListPartitions(ctx, durDB, durTable(r), nil)
	if err != nil {
		return st, err
	}
	for _, p := range ps {
		st.Partitions = append(st.Partitions, strings.Join(p.Values, "/"))
	}
	if !sort.StringsAreSorted(st.Partitions) {
		return st, fmt.Errorf("partitions listed out of order: %v", st.Partitions)
	}
	n, err := s.(catalog.PartitionStore).CountPartitions(ctx, durDB, durTable(r))
	if err != nil {
		return st, err
	}
	if n != len(ps) {
		return st, fmt.Errorf("CountPartitions = %d but %d listed", n, len(ps))
	}
	if v, ok := s.(Versioned); ok {
		h, err := v.TableVersions(ctx, durDB, durTable(r))
		if err != nil {
			return st, err
		}
		st.History = len(h)
	} else {
		st.History = st.Version - 1
	}
	return st, nil
}

// CheckCrashState checks round r after a crash: acked steps were
// acknowledged, so the state must be that after acked or acked+1 steps.
func CheckCrashState(t testing.TB, s catalog.Store, r, acked int) {
	t.Helper()
	got, err := actualState(context.Background(), s, r)
	if err != nil {
		t.Fatalf("round %d: reading the catalog after the crash: %v", r, err)
	}
	a, b := expectedState(r, acked), expectedState(r, acked+1)
	if !reflect.DeepEqual(got, a) && !reflect.DeepEqual(got, b) {
		t.Fatalf("round %d: after %d acknowledged steps the catalog is in neither the state after %d nor %d steps:\n got %+v\nwant %+v\n  or %+v",
			r, acked, acked, acked+1, got, a, b)
	}
}

// RunCrashTest runs rounds of: start the child (startChild(r) returns an
// unstarted command whose stdout the harness reads; the child runs
// CrashWorkload for round r), wait until it is ready, kill it with
// SIGKILL after a random delay, then open the store and check every
// round so far.
func RunCrashTest(t *testing.T, rounds int, startChild func(r int) *exec.Cmd, open func() (catalog.Store, error)) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	acked := make([]int, rounds)
	for r := 0; r < rounds; r++ {
		cmd := startChild(r)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		select {
		case l, ok := <-lines:
			if !ok || l != "ready" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: child did not get ready (first line %q): %s", r, l, stderr.String())
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child not ready after 60s: %s", r, stderr.String())
		}
		delay := time.Duration(20+rng.Intn(400)) * time.Millisecond
		time.Sleep(delay)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("round %d: kill: %v", r, err)
		}
		last := -1
		for l := range lines {
			n, err := strconv.Atoi(l)
			if err != nil {
				t.Fatalf("round %d: child printed %q", r, l)
			}
			last = n
		}
		werr := cmd.Wait()
		if st, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); ok && !st.Signaled() {
			t.Fatalf("round %d: child ended before the kill (%v): %s", r, werr, stderr.String())
		}
		acked[r] = last + 1
		t.Logf("round %d: killed after %v, %d steps acknowledged", r, delay, acked[r])
		s, err := open()
		if err != nil {
			t.Fatalf("round %d: reopening the store after SIGKILL: %v", r, err)
		}
		for q := 0; q <= r; q++ {
			CheckCrashState(t, s, q, acked[q])
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
