package parquet

// Width-generic gathers and NULL spreads over raw output bytes.

type b16 [2]uint64

// gatherW writes dict[idx[i]] for each i; false when an index is out of
// range.
func gatherW(dst, dict []byte, idx []int32, w int) bool {
	switch w {
	case 1:
		return gather(view[uint8](dst), view[uint8](dict), idx)
	case 2:
		return gather(view[uint16](dst), view[uint16](dict), idx)
	case 4:
		return gather(view[uint32](dst), view[uint32](dict), idx)
	case 8:
		return gather(view[uint64](dst), view[uint64](dict), idx)
	default:
		return gather(view[b16](dst), view[b16](dict), idx)
	}
}

func gather[T any](dst, dict []T, idx []int32) bool {
	if len(idx) == 0 {
		return true
	}
	n := uint32(len(dict))
	_ = dst[len(idx)-1]
	for i, x := range idx {
		if uint32(x) >= n {
			return false
		}
		dst[i] = dict[x]
	}
	return true
}

// spreadW moves the k packed values at the start of dst to the rows
// whose definition level is maxDef, zeroing the NULL rows. It works
// backwards, so it is safe in place.
func spreadW(dst []byte, defs []byte, maxDef byte, k, w int) {
	switch w {
	case 1:
		spread(view[uint8](dst), defs, maxDef, k)
	case 2:
		spread(view[uint16](dst), defs, maxDef, k)
	case 4:
		spread(view[uint32](dst), defs, maxDef, k)
	case 8:
		spread(view[uint64](dst), defs, maxDef, k)
	default:
		spread(view[b16](dst), defs, maxDef, k)
	}
}

func spread[T any](dst []T, defs []byte, maxDef byte, k int) {
	var zero T
	j := k - 1
	for i := len(defs) - 1; i >= 0; i-- {
		if defs[i] == maxDef {
			dst[i] = dst[j]
			j--
		} else {
			dst[i] = zero
		}
	}
}
