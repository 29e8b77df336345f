package pgstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/tarnsql/tarn/catalog"
)

// arrayLiteral renders values as a PostgreSQL array literal ({"a","b"}),
// so a batch of partitions travels as one text[] parameter and is cast
// back with ::text[] row by row.
func arrayLiteral(values []string) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		for j := 0; j < len(v); j++ {
			if c := v[j]; c == '"' || c == '\\' {
				sb.WriteByte('\\')
			}
			sb.WriteByte(v[j])
		}
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String()
}

// valueKey identifies a values tuple in Go maps.
func valueKey(values []string) string { return strings.Join(values, "\x00") }

func partitionName(t *catalog.Table, values []string) string {
	var sb strings.Builder
	for i, v := range values {
		if i > 0 {
			sb.WriteByte('/')
		}
		if i < len(t.PartitionKeys) {
			sb.WriteString(t.PartitionKeys[i].Name)
		} else {
			fmt.Fprintf(&sb, "_%d", i)
		}
		sb.WriteByte('=')
		sb.WriteString(v)
	}
	return sb.String()
}

func checkValues(t *catalog.Table, values []string) error {
	if len(t.PartitionKeys) == 0 {
		return fmt.Errorf("table %s.%s is not partitioned", t.Database, t.Name)
	}
	if len(values) != len(t.PartitionKeys) {
		return fmt.Errorf("table %s.%s: partition %s has %d values, the table has %d partition keys",
			t.Database, t.Name, partitionName(t, values), len(values), len(t.PartitionKeys))
	}
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			return fmt.Errorf("table %s.%s: partition value %q is not valid UTF-8 text without NUL bytes", t.Database, t.Name, v)
		}
	}
	return nil
}

// partitionTable loads the table a partition operation targets; lock
// adds FOR KEY SHARE so it cannot be dropped until the transaction ends.
func partitionTable(ctx context.Context, tx pgx.Tx, db, table string, lock bool) (int64, *catalog.Table, error) {
	q := "SELECT id, body FROM tarn.tables WHERE db = $1 AND name = $2"
	if lock {
		q += " FOR KEY SHARE"
	}
	var id int64
	var body []byte
	err := tx.QueryRow(ctx, q, db, table).Scan(&id, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, missingTable(ctx, tx, db, table)
	}
	if err != nil {
		return 0, nil, err
	}
	var t catalog.Table
	if err := json.Unmarshal(body, &t); err != nil {
		return 0, nil, fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", db, table, err)
	}
	return id, &t, nil
}

// AddPartitions adds partitions in one transaction (all or none). The
// batch is one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING;
// without ifNotExists a partition that was not inserted is an ErrExists
// error and the transaction rolls back.
func (s *Store) AddPartitions(ctx context.Context, db, table string, parts []catalog.Partition, ifNotExists bool) error {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	now := time.Now().UTC()
	lits := make([]string, 0, len(parts))
	bodies := make([]string, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	var dup []string
	for _, p := range parts {
		k := valueKey(p.Values)
		if seen[k] {
			if dup == nil {
				dup = p.Values
			}
			continue
		}
		seen[k] = true
		lits = append(lits, arrayLiteral(p.Values))
		p.Values = nil
		if p.Created.IsZero() {
			p.Created = now
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		bodies = append(bodies, string(b))
	}
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		id, t, err := partitionTable(ctx, tx, db, table, true)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := checkValues(t, p.Values); err != nil {
				return err
			}
		}
		if dup != nil && !ifNotExists {
			return fmt.Errorf("partition %s of table %s.%s (twice in one statement): %w", partitionName(t, dup), db, table, catalog.ErrExists)
		}
		if len(lits) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `INSERT INTO tarn.partitions (table_id, vals, body)
SELECT $1, u.v::text[], u.b::jsonb FROM unnest($2::text[], $3::text[]) AS u(v, b)
ON CONFLICT (table_id, vals) DO NOTHING RETURNING vals`, id, lits, bodies)
		if err != nil {
			return fmt.Errorf("add partitions to %s.%s: %w", db, table, err)
		}
		added := make(map[string]bool, len(lits))
		for rows.Next() {
			var vals []string
			if err := rows.Scan(&vals); err != nil {
				rows.Close()
				return err
			}
			added[valueKey(vals)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("add partitions to %s.%s: %w", db, table, err)
		}
		if !ifNotExists && len(added) < len(lits) {
			for _, p := range parts {
				if !added[valueKey(p.Values)] {
					return fmt.Errorf("partition %s of table %s.%s: %w", partitionName(t, p.Values), db, table, catalog.ErrExists)
				}
			}
		}
		return nil
	})
}

// DropPartitions drops partitions by values in one transaction.
func (s *Store) DropPartitions(ctx context.Context, db, table string, values [][]string, ifExists bool) error {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		id, t, err := partitionTable(ctx, tx, db, table, true)
		if err != nil {
			return err
		}
		lits := make([]string, 0, len(values))
		seen := make(map[string]bool, len(values))
		for _, vs := range values {
			if err := checkValues(t, vs); err != nil {
				// No such partition can exist.
				if ifExists {
					continue
				}
				return fmt.Errorf("partition %s of table %s.%s: %w", partitionName(t, vs), db, table, catalog.ErrNotFound)
			}
			if k := valueKey(vs); !seen[k] {
				seen[k] = true
				lits = append(lits, arrayLiteral(vs))
			}
		}
		rows, err := tx.Query(ctx, `DELETE FROM tarn.partitions p USING unnest($2::text[]) AS u(v)
WHERE p.table_id = $1 AND p.vals = u.v::text[] RETURNING p.vals`, id, lits)
		if err != nil {
			return fmt.Errorf("drop partitions of %s.%s: %w", db, table, err)
		}
		gone := make(map[string]bool, len(lits))
		for rows.Next() {
			var vals []string
			if err := rows.Scan(&vals); err != nil {
				rows.Close()
				return err
			}
			gone[valueKey(vals)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("drop partitions of %s.%s: %w", db, table, err)
		}
		if !ifExists && len(gone) < len(lits) {
			for _, vs := range values {
				// (every value is valid here: invalid ones failed above)
				if !gone[valueKey(vs)] {
					return fmt.Errorf("partition %s of table %s.%s: %w", partitionName(t, vs), db, table, catalog.ErrNotFound)
				}
			}
		}
		return nil
	})
}

// ListPartitions lists partitions in value order. Lo/Hi become a range
// on the indexed first value. With a Match function the listing runs in
// two phases in one snapshot: values only (Match runs on them), then the
// bodies of the accepted partitions by id.
func (s *Store) ListPartitions(ctx context.Context, db, table string, f *catalog.PartitionFilter) ([]catalog.Partition, error) {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	var out []catalog.Partition
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		out = out[:0]
		id, t, err := partitionTable(ctx, tx, db, table, false)
		if err != nil {
			return err
		}
		nkeys := max(len(t.PartitionKeys), 1)
		where := "table_id = $1"
		args := []any{id}
		var match func([]string) bool
		if f != nil {
			match = f.Match
			if f.Lo != nil {
				args = append(args, *f.Lo)
				where += fmt.Sprintf(" AND v1 >= $%d", len(args))
			}
			if f.Hi != nil {
				args = append(args, *f.Hi)
				where += fmt.Sprintf(" AND v1 <= $%d", len(args))
			}
		}
		if match == nil {
			rows, err := tx.Query(ctx, "SELECT vals, body FROM tarn.partitions WHERE "+where+" ORDER BY vals", args...)
			if err != nil {
				return fmt.Errorf("list partitions of %s.%s: %w", db, table, err)
			}
			defer rows.Close()
			for rows.Next() {
				var vals []string
				var body []byte
				if err := rows.Scan(&vals, &body); err != nil {
					return err
				}
				var p catalog.Partition
				if err := json.Unmarshal(body, &p); err != nil {
					return fmt.Errorf("catalog: partition %v of table %s.%s: corrupt entry: %w", vals, db, table, err)
				}
				p.Values = vals
				out = append(out, p)
			}
			return rows.Err()
		}
		rows, err := tx.Query(ctx, "SELECT id, vals FROM tarn.partitions WHERE "+where+" ORDER BY vals", args...)
		if err != nil {
			return fmt.Errorf("list partitions of %s.%s: %w", db, table, err)
		}
		var ids []int64
		var vals [][]string
		var chunk []string
		wire := len(rows.FieldDescriptions()) == 2 && rows.FieldDescriptions()[0].Format == pgx.BinaryFormatCode &&
			rows.FieldDescriptions()[1].Format == pgx.BinaryFormatCode
		for rows.Next() {
			var pid int64
			var v []string
			if wire {
				// Decode the wire format directly: one string allocation
				// per partition, value slices carved from shared chunks.
				raw := rows.RawValues()
				if len(raw[0]) != 8 {
					rows.Close()
					return fmt.Errorf("list partitions of %s.%s: unexpected id encoding", db, table)
				}
				pid = int64(binary.BigEndian.Uint64(raw[0]))
				if len(chunk) < nkeys {
					chunk = make([]string, 1024*nkeys)
				}
				var err error
				v, err = decodeTextArray(raw[1], chunk[:0:nkeys])
				if err != nil {
					rows.Close()
					return fmt.Errorf("list partitions of %s.%s: %w", db, table, err)
				}
				chunk = chunk[nkeys:]
			} else if err := rows.Scan(&pid, &v); err != nil {
				rows.Close()
				return err
			}
			if match(v) {
				ids = append(ids, pid)
				vals = append(vals, v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list partitions of %s.%s: %w", db, table, err)
		}
		if len(ids) == 0 {
			return nil
		}
		pos := make(map[int64]int, len(ids))
		for i, pid := range ids {
			pos[pid] = i
		}
		out = make([]catalog.Partition, len(ids))
		rows, err = tx.Query(ctx, "SELECT id, body FROM tarn.partitions WHERE id = ANY($1)", ids)
		if err != nil {
			return fmt.Errorf("list partitions of %s.%s: %w", db, table, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var pid int64
			var body []byte
			if err := rows.Scan(&pid, &body); err != nil {
				return err
			}
			i := pos[pid]
			if err := json.Unmarshal(body, &out[i]); err != nil {
				return fmt.Errorf("catalog: partition %v of table %s.%s: corrupt entry: %w", vals[i], db, table, err)
			}
			out[i].Values = vals[i]
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if n != len(ids) {
			return fmt.Errorf("list partitions of %s.%s: %d of %d partition bodies found in the snapshot", db, table, n, len(ids))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountPartitions returns the number of partitions of a table.
func (s *Store) CountPartitions(ctx context.Context, db, table string) (int, error) {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	var n int
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		id, _, err := partitionTable(ctx, tx, db, table, false)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT count(*) FROM tarn.partitions WHERE table_id = $1", id).Scan(&n)
	})
	return n, err
}

// UpdatePartitionStats replaces one partition's statistics.
func (s *Store) UpdatePartitionStats(ctx context.Context, db, table string, values []string, st *catalog.TableStats) error {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		id, t, err := partitionTable(ctx, tx, db, table, true)
		if err != nil {
			return err
		}
		if checkValues(t, values) != nil {
			return fmt.Errorf("partition %s of table %s.%s: %w", partitionName(t, values), db, table, catalog.ErrNotFound)
		}
		var pid int64
		var body []byte
		err = tx.QueryRow(ctx, "SELECT id, body FROM tarn.partitions WHERE table_id = $1 AND vals = $2::text[] FOR UPDATE",
			id, arrayLiteral(values)).Scan(&pid, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("partition %s of table %s.%s: %w", partitionName(t, values), db, table, catalog.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var p catalog.Partition
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("catalog: partition %s of table %s.%s: corrupt entry: %w", partitionName(t, values), db, table, err)
		}
		p.Stats = st
		p.Values = nil
		nb, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE tarn.partitions SET body = $2 WHERE id = $1", pid, nb)
		return err
	})
}

// decodeTextArray decodes a one-dimensional text[] in PostgreSQL's binary
// wire format (ndim, has-null flag, element type, then per dimension its
// length and lower bound, then per element a length and the bytes) into
// dst. All values are substrings of one string copy of the element data.
func decodeTextArray(b []byte, dst []string) ([]string, error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("corrupt text[] value (%d bytes)", len(b))
	}
	ndim := int(int32(binary.BigEndian.Uint32(b)))
	if ndim == 0 {
		return dst[:0], nil
	}
	if ndim != 1 || len(b) < 20 {
		return nil, fmt.Errorf("text[] value with %d dimensions", ndim)
	}
	n := int(int32(binary.BigEndian.Uint32(b[12:])))
	data := b[20:]
	str := string(data)
	dst = dst[:0]
	off := 0
	for i := 0; i < n; i++ {
		if off+4 > len(str) {
			return nil, fmt.Errorf("corrupt text[] value")
		}
		l := int(int32(binary.BigEndian.Uint32(data[off:])))
		off += 4
		if l < 0 {
			return nil, fmt.Errorf("NULL partition value")
		}
		if off+l > len(str) {
			return nil, fmt.Errorf("corrupt text[] value")
		}
		dst = append(dst, str[off:off+l])
		off += l
	}
	return dst, nil
}
