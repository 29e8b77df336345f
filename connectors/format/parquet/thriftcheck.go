package parquet

import "fmt"

// checkThrift walks a Thrift compact-protocol struct (the file footer)
// without decoding it and rejects lengths that cannot fit in the
// remaining bytes. parquet-go's decoder allocates lists as their
// headers declare, so a flipped byte in a list size would otherwise
// allocate gigabytes before failing.
func checkThrift(b []byte) error {
	c := thriftChecker{b: b}
	if err := c.structure(0); err != nil {
		return fmt.Errorf("%v at footer byte %d", err, c.pos)
	}
	return nil
}

type thriftChecker struct {
	b   []byte
	pos int
}

const maxThriftDepth = 64

func (c *thriftChecker) left() int { return len(c.b) - c.pos }

func (c *thriftChecker) byte1() (byte, error) {
	if c.pos >= len(c.b) {
		return 0, fmt.Errorf("thrift data truncated")
	}
	v := c.b[c.pos]
	c.pos++
	return v, nil
}

func (c *thriftChecker) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		x, err := c.byte1()
		if err != nil {
			return 0, err
		}
		v |= uint64(x&0x7f) << shift
		if x < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("thrift varint too long")
}

func (c *thriftChecker) skip(n uint64) error {
	if n > uint64(c.left()) {
		return fmt.Errorf("thrift length %d exceeds the %d bytes left", n, c.left())
	}
	c.pos += int(n)
	return nil
}

func (c *thriftChecker) structure(depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("thrift structs nested too deeply")
	}
	for {
		h, err := c.byte1()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil // stop
		}
		if h>>4 == 0 {
			if _, err := c.varint(); err != nil { // explicit field id
				return err
			}
		}
		if err := c.value(h&0x0f, depth, false); err != nil {
			return err
		}
	}
}

// value skips one value of compact type t (inList: booleans take a
// byte).
func (c *thriftChecker) value(t byte, depth int, inList bool) error {
	switch t {
	case 1, 2: // bool
		if inList {
			return c.skip(1)
		}
		return nil
	case 3: // byte
		return c.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := c.varint()
		return err
	case 7: // double
		return c.skip(8)
	case 8: // binary
		n, err := c.varint()
		if err != nil {
			return err
		}
		return c.skip(n)
	case 9, 10: // list, set
		h, err := c.byte1()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = c.varint(); err != nil {
				return err
			}
		}
		if n > uint64(c.left()) {
			return fmt.Errorf("thrift list of %d elements exceeds the %d bytes left", n, c.left())
		}
		for i := uint64(0); i < n; i++ {
			if err := c.value(h&0x0f, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		n, err := c.varint()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		kv, err := c.byte1()
		if err != nil {
			return err
		}
		if n > uint64(c.left()) {
			return fmt.Errorf("thrift map of %d entries exceeds the %d bytes left", n, c.left())
		}
		for i := uint64(0); i < n; i++ {
			if err := c.value(kv>>4, depth+1, true); err != nil {
				return err
			}
			if err := c.value(kv&0x0f, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return c.structure(depth + 1)
	case 13: // uuid
		return c.skip(16)
	}
	return fmt.Errorf("unknown thrift type %d", t)
}
