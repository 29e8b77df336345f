package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
)

// Partitions live in partitions/<db>/<table>/<key>, where <key> is the
// order-preserving encoding of the partition values (see encodeValues)
// and the value is the JSON partition body without its values. Listing
// walks keys in order, decodes values from the key alone, and decodes a
// body only for partitions the filter accepts.
var bucketPartitions = []byte("partitions")

var _ catalog.PartitionStore = (*Store)(nil)

// Key encoding: each value's bytes with 0x00 escaped as 0x00 0xFF,
// followed by the terminator 0x00 0x01. Byte order of encoded keys is the
// lexicographic order of the value tuples (value by value, as Go strings
// compare), because the terminator sorts below any escaped or plain byte
// that could continue a longer value.
const (
	escByte  = 0x00
	escNul   = 0xFF
	termByte = 0x01
)

func appendValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == escByte {
			dst = append(dst, escByte, escNul)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, escByte, termByte)
}

func encodeValues(values []string) []byte {
	n := 0
	for _, v := range values {
		n += len(v) + 2
	}
	dst := make([]byte, 0, n)
	for _, v := range values {
		dst = appendValue(dst, v)
	}
	return dst
}

// decodeValues decodes a partition key into dst (reset to length 0).
func decodeValues(key []byte, dst []string) ([]string, error) {
	dst = dst[:0]
	var buf []byte
	for len(key) > 0 {
		i := bytes.IndexByte(key, escByte)
		if i < 0 || i+1 >= len(key) {
			return nil, fmt.Errorf("catalog: corrupt partition key %q", key)
		}
		switch key[i+1] {
		case termByte:
			if buf == nil {
				dst = append(dst, string(key[:i]))
			} else {
				buf = append(buf, key[:i]...)
				dst = append(dst, string(buf))
				buf = nil
			}
			key = key[i+2:]
		case escNul:
			buf = append(buf, key[:i]...)
			buf = append(buf, 0)
			key = key[i+2:]
		default:
			return nil, fmt.Errorf("catalog: corrupt partition key %q", key)
		}
	}
	return dst, nil
}

// decodeKey is decodeValues with one string allocation per key: values
// without NUL bytes are substrings of the key converted once.
func decodeKey(key []byte, dst []string) ([]string, error) {
	if bytes.Contains(key, []byte{escByte, escNul}) {
		return decodeValues(key, dst)
	}
	str := string(key)
	dst = dst[:0]
	for len(str) > 0 {
		i := strings.IndexByte(str, escByte)
		if i < 0 || i+1 >= len(str) || str[i+1] != termByte {
			return nil, fmt.Errorf("catalog: corrupt partition key %q", key)
		}
		dst = append(dst, str[:i])
		str = str[i+2:]
	}
	return dst, nil
}

// firstValue returns the first value of a key in its escaped form.
// Escaping preserves order, so comparing it with an escaped bound is the
// same as comparing the decoded strings.
func firstValue(key []byte) []byte {
	if i := bytes.Index(key, []byte{escByte, termByte}); i >= 0 {
		return key[:i]
	}
	return key
}

// escapeValue escapes v without the terminator.
func escapeValue(v string) []byte {
	b := appendValue(nil, v)
	return b[:len(b)-2]
}

func partitionsBucket(tx *bolt.Tx, db, table string, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bucketPartitions)
	if !create {
		if root == nil {
			return nil, nil
		}
		dbb := root.Bucket([]byte(db))
		if dbb == nil {
			return nil, nil
		}
		return dbb.Bucket([]byte(table)), nil
	}
	root, err := tx.CreateBucketIfNotExists(bucketPartitions)
	if err != nil {
		return nil, err
	}
	dbb, err := root.CreateBucketIfNotExists([]byte(db))
	if err != nil {
		return nil, err
	}
	return dbb.CreateBucketIfNotExists([]byte(table))
}

// deletePartitions removes a table's partitions (table == "" removes the
// whole database's).
func deletePartitions(tx *bolt.Tx, db, table string) error {
	root := tx.Bucket(bucketPartitions)
	if root == nil {
		return nil
	}
	if table == "" {
		if root.Bucket([]byte(db)) == nil {
			return nil
		}
		return root.DeleteBucket([]byte(db))
	}
	dbb := root.Bucket([]byte(db))
	if dbb == nil || dbb.Bucket([]byte(table)) == nil {
		return nil
	}
	return dbb.DeleteBucket([]byte(table))
}

// partitionTable loads the table a partition operation targets.
func partitionTable(tx *bolt.Tx, db, table string) (*catalog.Table, error) {
	tb := tx.Bucket(bucketTables).Bucket([]byte(db))
	if tb == nil {
		return nil, fmt.Errorf("database %s: %w", db, catalog.ErrNotFound)
	}
	v := tb.Get([]byte(table))
	if v == nil {
		return nil, fmt.Errorf("table %s.%s: %w", db, table, catalog.ErrNotFound)
	}
	var t catalog.Table
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", db, table, err)
	}
	return &t, nil
}

func checkValues(t *catalog.Table, values []string) error {
	if len(t.PartitionKeys) == 0 {
		return fmt.Errorf("table %s.%s is not partitioned", t.Database, t.Name)
	}
	if len(values) != len(t.PartitionKeys) {
		return fmt.Errorf("table %s.%s: partition %s has %d values, the table has %d partition keys",
			t.Database, t.Name, PartitionName(t, values), len(values), len(t.PartitionKeys))
	}
	return nil
}

// PartitionName renders a partition as key=value/... for messages.
func PartitionName(t *catalog.Table, values []string) string {
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

// AddPartitions adds partitions in one transaction (all or none).
func (s *Store) AddPartitions(ctx context.Context, db, table string, parts []catalog.Partition, ifNotExists bool) error {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	now := time.Now().UTC()
	keys := make([][]byte, len(parts))
	bodies := make([][]byte, len(parts))
	for i := range parts {
		p := parts[i]
		keys[i] = encodeValues(p.Values)
		p.Values = nil
		if p.Created.IsZero() {
			p.Created = now
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		t, err := partitionTable(tx, db, table)
		if err != nil {
			return err
		}
		for i := range parts {
			if err := checkValues(t, parts[i].Values); err != nil {
				return err
			}
		}
		pb, err := partitionsBucket(tx, db, table, true)
		if err != nil {
			return err
		}
		for i := range parts {
			if pb.Get(keys[i]) != nil {
				if ifNotExists {
					continue
				}
				return fmt.Errorf("partition %s of table %s.%s: %w", PartitionName(t, parts[i].Values), db, table, catalog.ErrExists)
			}
			if err := pb.Put(keys[i], bodies[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// DropPartitions drops partitions by values in one transaction.
func (s *Store) DropPartitions(ctx context.Context, db, table string, values [][]string, ifExists bool) error {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	return s.update(ctx, func(tx *bolt.Tx) error {
		t, err := partitionTable(tx, db, table)
		if err != nil {
			return err
		}
		pb, err := partitionsBucket(tx, db, table, false)
		if err != nil {
			return err
		}
		for _, vs := range values {
			k := encodeValues(vs)
			if pb == nil || pb.Get(k) == nil {
				if ifExists {
					continue
				}
				return fmt.Errorf("partition %s of table %s.%s: %w", PartitionName(t, vs), db, table, catalog.ErrNotFound)
			}
			if err := pb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListPartitions lists partitions in value order. With Lo set the cursor
// seeks to the first key whose first value is ≥ Lo; with Hi set it stops
// at the first key past Hi. Match sees values decoded from keys only.
func (s *Store) ListPartitions(ctx context.Context, db, table string, f *catalog.PartitionFilter) ([]catalog.Partition, error) {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	var out []catalog.Partition
	err := s.view(ctx, func(tx *bolt.Tx) error {
		t, err := partitionTable(tx, db, table)
		if err != nil {
			return err
		}
		pb, err := partitionsBucket(tx, db, table, false)
		if err != nil || pb == nil {
			return err
		}
		nkeys := len(t.PartitionKeys)
		var (
			match  func([]string) bool
			lo, hi *string
		)
		if f != nil {
			match, lo, hi = f.Match, f.Lo, f.Hi
		}
		var hiEsc []byte
		if hi != nil {
			hiEsc = escapeValue(*hi)
		}
		c := pb.Cursor()
		var k, v []byte
		if lo != nil {
			k, v = c.Seek(appendValue(nil, *lo))
		} else {
			k, v = c.First()
		}
		// Value slices are carved from chunks (one allocation per 1024
		// partitions); Match may keep them.
		var chunk []string
		for n := 0; k != nil; k, v = c.Next() {
			if n++; n&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if hiEsc != nil && bytes.Compare(firstValue(k), hiEsc) > 0 {
				break
			}
			if len(chunk) < nkeys {
				chunk = make([]string, 1024*nkeys)
			}
			values, err := decodeKey(k, chunk[:0:nkeys])
			if err != nil {
				return fmt.Errorf("table %s.%s: %w", db, table, err)
			}
			chunk = chunk[nkeys:]
			if match != nil && !match(values) {
				continue
			}
			var p catalog.Partition
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("catalog: partition %v of table %s.%s: corrupt entry: %w", values, db, table, err)
			}
			p.Values = values
			out = append(out, p)
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
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := partitionTable(tx, db, table); err != nil {
			return err
		}
		pb, err := partitionsBucket(tx, db, table, false)
		if err != nil || pb == nil {
			return err
		}
		n = pb.Stats().KeyN
		return nil
	})
	return n, err
}

// UpdatePartitionStats replaces one partition's statistics.
func (s *Store) UpdatePartitionStats(ctx context.Context, db, table string, values []string, st *catalog.TableStats) error {
	db, table = catalog.Normalize(db), catalog.Normalize(table)
	k := encodeValues(values)
	return s.update(ctx, func(tx *bolt.Tx) error {
		t, err := partitionTable(tx, db, table)
		if err != nil {
			return err
		}
		pb, err := partitionsBucket(tx, db, table, false)
		if err != nil {
			return err
		}
		var old []byte
		if pb != nil {
			old = pb.Get(k)
		}
		if old == nil {
			return fmt.Errorf("partition %s of table %s.%s: %w", PartitionName(t, values), db, table, catalog.ErrNotFound)
		}
		var p catalog.Partition
		if err := json.Unmarshal(old, &p); err != nil {
			return fmt.Errorf("catalog: partition %s of table %s.%s: corrupt entry: %w", PartitionName(t, values), db, table, err)
		}
		p.Stats = st
		p.Values = nil
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return pb.Put(k, b)
	})
}
