package crawler

import (
	"bytes"
	"errors"
)

// maxJSONDepth bounds the nesting the inference follows (deeper values
// type as VARCHAR), so hostile input cannot exhaust the stack.
const maxJSONDepth = 32

// analyzeJSON checks that a sample holds JSON lines (one object per
// line) and infers the columns over up to sampleRows of them. The
// certainty is the share of sampled lines that are JSON objects.
func analyzeJSON(data []byte, complete bool, sampleRows int) ([]Column, float64) {
	first := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(first) == 0 || first[0] != '{' {
		return nil, 0
	}
	var cols []Column
	good, total := 0, 0
	for len(data) > 0 && total < sampleRows {
		var line []byte
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if !complete {
				break // a line cut by the end of the sample
			}
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		total++
		if line[0] != '{' {
			continue
		}
		t, err := jsonLineType(line)
		if err != nil {
			continue
		}
		good++
		row := make([]Column, len(t.Fields))
		for k, f := range t.Fields {
			row[k] = Column(f)
		}
		cols, _ = mergeByName(cols, row, true)
	}
	if total == 0 {
		return nil, 0
	}
	return cols, float64(good) / float64(total)
}

// jsonLineType types one JSON object, keeping its key order.
func jsonLineType(line []byte) (*Type, error) {
	p := &jsonTyper{b: line}
	t, err := p.typeOf()
	if err != nil {
		return nil, err
	}
	if t.Kind != KindStruct {
		return nil, errors.New("not an object")
	}
	return t, nil
}

var errTooDeep = errors.New("JSON nested too deeply")
