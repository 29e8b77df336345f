package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
)

// interactive runs the shell: line editing, persistent history in
// ~/.tarn_history, multi-line statements until ';', \q / exit / quit.
// Ctrl-C at the prompt clears the line; during a query it cancels the
// query (runOne installs the handler), never the shell.
func (c *client) interactive(ctx context.Context) int {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetMultiLineMode(true)
	histPath := ""
	if home, err := os.UserHomeDir(); err == nil {
		histPath = filepath.Join(home, ".tarn_history")
		if f, err := os.Open(histPath); err == nil {
			ln.ReadHistory(f)
			f.Close()
		}
	}
	saveHistory := func() {
		if histPath == "" {
			return
		}
		if f, err := os.OpenFile(histPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
			ln.WriteHistory(f)
			f.Close()
		}
	}
	defer saveHistory()
	fmt.Fprintln(c.out, "tarn shell. End statements with ';'. \\q to quit.")
	var buf strings.Builder
	for {
		prompt := "tarn> "
		if db := c.sess.Database(); db != "" {
			prompt = "tarn:" + db + "> "
		}
		if buf.Len() > 0 {
			prompt = strings.Repeat(" ", len(prompt)-3) + "-> "
		}
		line, err := ln.Prompt(prompt)
		if errors.Is(err, liner.ErrPromptAborted) {
			buf.Reset()
			continue
		}
		if err == io.EOF {
			fmt.Fprintln(c.out)
			return 0
		}
		if err != nil {
			fmt.Fprintln(c.errw, "tarn:", err)
			return 1
		}
		if buf.Len() == 0 {
			switch strings.ToLower(strings.TrimRight(strings.TrimSpace(line), ";")) {
			case `\q`, "exit", "quit":
				return 0
			case "":
				continue
			}
		}
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteString(line)
		if !statementComplete(buf.String()) {
			continue
		}
		script := buf.String()
		buf.Reset()
		ln.AppendHistory(strings.ReplaceAll(script, "\n", " "))
		c.runScript(ctx, script, false)
	}
}
