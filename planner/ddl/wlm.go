package ddl

// Workload management statements: CREATE/ALTER/DROP QUEUE, CREATE/DROP
// RULE, SHOW QUEUES, SHOW RULES, and the session settings SET/RESET
// query_group and wlm_query_slot_count.

import (
	"strings"
)

func init() {
	for _, kw := range []string{"SET", "RESET"} {
		leadKeywords[kw] = true
	}
}

// CreateQueue is CREATE QUEUE [IF NOT EXISTS] name [WITH (k=v, ...)].
type CreateQueue struct {
	Name        string
	IfNotExists bool
	Props       map[string]string // lower-case keys, values as written
}

// AlterQueue is ALTER QUEUE name WITH (k=v, ...) (SET (...) also works).
type AlterQueue struct {
	Name  string
	Props map[string]string
}

// DropQueue is DROP QUEUE [IF EXISTS] name.
type DropQueue struct {
	Name     string
	IfExists bool
}

// RulePredicate is "metric op value" of CREATE RULE ... WHEN.
type RulePredicate struct {
	Metric, Op, Value string
}

// CreateRule is CREATE RULE [IF NOT EXISTS] name [ON QUEUE q] WHEN pred
// [AND pred ...] THEN log|hop|abort.
type CreateRule struct {
	Name        string
	IfNotExists bool
	Queue       string // "" = every queue
	Predicates  []RulePredicate
	Action      string
}

// DropRule is DROP RULE [IF EXISTS] name.
type DropRule struct {
	Name     string
	IfExists bool
}

// ShowQueues is SHOW QUEUES; ShowRules is SHOW RULES.
type ShowQueues struct{}

// ShowRules is SHOW RULES.
type ShowRules struct{}

// SetSession is SET name {TO|=} value / SET name TO DEFAULT / RESET name
// for the session settings the engine keeps (query_group,
// wlm_query_slot_count). Reset is true for RESET and TO DEFAULT.
type SetSession struct {
	Name  string // lower case
	Value string
	Reset bool
}

func (*CreateQueue) stmt() {}
func (*AlterQueue) stmt()  {}
func (*DropQueue) stmt()   {}
func (*CreateRule) stmt()  {}
func (*DropRule) stmt()    {}
func (*ShowQueues) stmt()  {}
func (*ShowRules) stmt()   {}
func (*SetSession) stmt()  {}

// SessionSettings are the names SET/RESET accept.
var SessionSettings = []string{"query_group", "wlm_query_slot_count"}

// wlmStatement parses a WLM statement when the next tokens start one
// (ok false: not a WLM statement, nothing consumed).
func (p *parser) wlmStatement() (Statement, bool, error) {
	first, second := p.peek(), p.peekN(1)
	switch {
	case isKw(first, "CREATE") && isKw(second, "QUEUE"):
		p.i += 2
		st, err := p.createQueue()
		return st, true, err
	case isKw(first, "CREATE") && isKw(second, "RULE"):
		p.i += 2
		st, err := p.createRule()
		return st, true, err
	case isKw(first, "ALTER") && isKw(second, "QUEUE"):
		p.i += 2
		st := &AlterQueue{}
		var err error
		if st.Name, err = p.ident("queue name"); err != nil {
			return nil, true, err
		}
		if !p.acceptKw("WITH") && !p.acceptKw("SET") {
			return nil, true, p.errf("expected WITH (property = value, ...) after ALTER QUEUE %s", st.Name)
		}
		st.Props, err = p.wlmProps()
		return st, true, err
	case isKw(first, "DROP") && (isKw(second, "QUEUE") || isKw(second, "RULE")):
		p.i += 2
		ifExists, err := p.ifExists()
		if err != nil {
			return nil, true, err
		}
		what := "queue name"
		if isKw(second, "RULE") {
			what = "rule name"
		}
		name, err := p.ident(what)
		if err != nil {
			return nil, true, err
		}
		if isKw(second, "RULE") {
			return &DropRule{Name: name, IfExists: ifExists}, true, nil
		}
		return &DropQueue{Name: name, IfExists: ifExists}, true, nil
	case isKw(first, "SHOW") && isKw(second, "QUEUES"):
		p.i += 2
		return &ShowQueues{}, true, nil
	case isKw(first, "SHOW") && isKw(second, "RULES"):
		p.i += 2
		return &ShowRules{}, true, nil
	case isKw(first, "SET") || isKw(first, "RESET"):
		p.i++
		p.acceptKw("SESSION")
		t := p.peek()
		name, err := p.ident("setting name")
		if err != nil {
			return nil, true, err
		}
		name = strings.ToLower(name)
		known := false
		for _, s := range SessionSettings {
			known = known || s == name
		}
		if !known {
			return nil, true, p.errAtTok(t, "unknown setting "+name+" (tarn's engine sets "+strings.Join(SessionSettings, ", ")+")")
		}
		st := &SetSession{Name: name}
		if isKw(first, "RESET") {
			st.Reset = true
			return st, true, nil
		}
		if !p.acceptKw("TO") && !p.accept("=") {
			return nil, true, p.errf("expected TO or = after SET %s", name)
		}
		if p.acceptKw("DEFAULT") {
			st.Reset = true
			return st, true, nil
		}
		st.Value, err = p.wlmValue("value for " + name)
		return st, true, err
	}
	return nil, false, nil
}

func (p *parser) createQueue() (Statement, error) {
	st := &CreateQueue{Props: map[string]string{}}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.ident("queue name"); err != nil {
		return nil, err
	}
	if p.acceptKw("WITH") {
		if st.Props, err = p.wlmProps(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// wlmProps parses (name = value, ...) with bare or quoted names and
// values.
func (p *parser) wlmProps() (map[string]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for {
		t := p.peek()
		var k string
		if t.kind == tokString {
			k = p.next().text
		} else {
			var err error
			if k, err = p.ident("property name"); err != nil {
				return nil, err
			}
		}
		k = strings.ToLower(k)
		if _, dup := m[k]; dup {
			return nil, p.errAtTok(t, "property "+k+" is given twice")
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		v, err := p.wlmValue("value of " + k)
		if err != nil {
			return nil, err
		}
		m[k] = v
		if p.accept(")") {
			return m, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// wlmValue reads a value: a quoted string, an identifier, or a number
// with an optional unit written right after it (10GB, 1.5 GB, 60s).
func (p *parser) wlmValue(what string) (string, error) {
	t := p.peek()
	switch t.kind {
	case tokString, tokIdent:
		p.i++
		return t.text, nil
	case tokNumber:
		p.i++
		v := t.text
		if u := p.peek(); u.kind == tokIdent && isUnit(u.text) {
			p.i++
			v += u.text
		}
		return v, nil
	}
	return "", p.errf("expected %s", what)
}

func isUnit(s string) bool {
	switch strings.ToLower(s) {
	case "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib", "t", "tb", "tib", "p", "pb", "pib",
		"ns", "us", "ms", "s", "h":
		return true
	}
	return false
}

func (p *parser) createRule() (Statement, error) {
	st := &CreateRule{}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.ident("rule name"); err != nil {
		return nil, err
	}
	if p.acceptKw("ON") {
		if err := p.expectKw("QUEUE"); err != nil {
			return nil, err
		}
		if st.Queue, err = p.ident("queue name"); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("WHEN"); err != nil {
		return nil, err
	}
	for {
		metric, err := p.ident("metric name")
		if err != nil {
			return nil, err
		}
		op := ""
		for _, c := range []string{">", "<", "="} {
			if p.accept(c) {
				op = c
				break
			}
		}
		if op == "" {
			return nil, p.errf("expected >, >=, <, <= or = after %s", metric)
		}
		if op != "=" && p.accept("=") {
			op += "="
		}
		v, err := p.wlmValue("threshold for " + metric)
		if err != nil {
			return nil, err
		}
		st.Predicates = append(st.Predicates, RulePredicate{Metric: strings.ToLower(metric), Op: op, Value: v})
		if !p.acceptKw("AND") {
			break
		}
	}
	if err := p.expectKw("THEN"); err != nil {
		return nil, err
	}
	t := p.peek()
	act, err := p.ident("action (log, hop or abort)")
	if err != nil {
		return nil, err
	}
	st.Action = strings.ToLower(act)
	switch st.Action {
	case "log", "hop", "abort":
	default:
		return nil, p.errAtTok(t, "expected action log, hop or abort")
	}
	return st, nil
}
