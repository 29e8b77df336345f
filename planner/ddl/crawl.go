package ddl

// The crawler statement:
//
//	CRAWL '<location>' INTO DATABASE db [WITH (key = value, ...)]
//
// Keys are identifiers or strings (mode, schema_change, delete_behavior,
// exclude, sample_rows, header, ...); values are strings, numbers or
// bare words. A key may repeat (exclude = 'a/**', exclude = 'b/**').
// Which keys are valid is the engine's decision.

import "strings"

func init() { leadKeywords["CRAWL"] = true }

// CrawlOption is one WITH (key = value) entry; Key is lower case.
type CrawlOption struct {
	Key, Value string
	Line, Col  int // position of the key, for errors
}

// Crawl is CRAWL '<location>' INTO DATABASE db [WITH (...)].
type Crawl struct {
	Location string
	Database string
	Options  []CrawlOption
}

func (*Crawl) stmt() {}

// crawlStatement parses CRAWL; ok is false when the statement does not
// start with CRAWL.
func (p *parser) crawlStatement() (st Statement, ok bool, err error) {
	if !p.acceptKw("CRAWL") {
		return nil, false, nil
	}
	c := &Crawl{}
	if c.Location, err = p.str("location"); err != nil {
		return nil, true, err
	}
	if err := p.expectKw("INTO"); err != nil {
		return nil, true, err
	}
	if !p.acceptKw("DATABASE") && !p.acceptKw("SCHEMA") {
		return nil, true, p.errf("expected DATABASE after INTO")
	}
	if c.Database, err = p.ident("database name"); err != nil {
		return nil, true, err
	}
	if !p.acceptKw("WITH") {
		return c, true, nil
	}
	if err := p.expect("("); err != nil {
		return nil, true, err
	}
	for {
		kt := p.next()
		if kt.kind != tokIdent && kt.kind != tokQIdent && kt.kind != tokString {
			return nil, true, p.errAtTok(kt, "expected a crawl option name")
		}
		if err := p.expect("="); err != nil {
			return nil, true, err
		}
		vt := p.next()
		if vt.kind != tokString && vt.kind != tokNumber && vt.kind != tokIdent {
			return nil, true, p.errAtTok(vt, "expected a crawl option value (a string, number or word)")
		}
		c.Options = append(c.Options, CrawlOption{Key: strings.ToLower(kt.text), Value: vt.text, Line: kt.line, Col: kt.col})
		if p.accept(")") {
			return c, true, nil
		}
		if err := p.expect(","); err != nil {
			return nil, true, err
		}
	}
}
