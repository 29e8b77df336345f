package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner"
	"github.com/tarnsql/tarn/planner/ddl"
)

// MySQL error codes the engine itself returns.
const (
	CodeNoDatabase     = 1046 // no database selected
	CodeUnknownDB      = 1049
	CodeDBExists       = 1007
	CodeTableExists    = 1050
	CodeNoTable        = 1146
	CodeSyntax         = 1064
	CodeOutOfMemory    = 1041
	CodeInterrupted    = 1317
	CodeNotSupported   = 1235
	CodeOther          = 1105
	CodeWrongObject    = 1347 // 'x' is not VIEW / is not BASE TABLE
	CodeDatabaseNotEmp = 3730
	CodeSubqueryRows   = 1242 // Subquery returns more than 1 row
)

// Error is an engine error with a MySQL error code and SQLSTATE. It wraps
// the underlying error (errors.Is(err, catalog.ErrNotFound) still works).
type Error struct {
	Code     int
	SQLState string
	Msg      string
	Err      error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func newError(code int, state string, wrapped error, format string, args ...any) *Error {
	return &Error{Code: code, SQLState: state, Msg: fmt.Sprintf(format, args...), Err: wrapped}
}

// ErrorCode classifies any error tarn returns: the MySQL error code and
// SQLSTATE a client should see.
func ErrorCode(err error) (code int, sqlState string) {
	var ee *Error
	var pe *planner.Error
	var de *ddl.Error
	var me *exec.MemoryError
	switch {
	case err == nil:
		return 0, "00000"
	case errors.As(err, &ee):
		return ee.Code, ee.SQLState
	case errors.As(err, &pe):
		st := pe.SQLState
		if st == "" {
			st = "HY000"
		}
		return pe.Code, st
	case errors.As(err, &de):
		return de.Code(), de.SQLState()
	case errors.As(err, &me):
		return CodeOutOfMemory, "HY001"
	case errors.Is(err, exec.ErrSubqueryRows):
		return CodeSubqueryRows, "21000"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return CodeInterrupted, "70100"
	case errors.Is(err, catalog.ErrNotFound):
		return CodeNoTable, "42S02"
	case errors.Is(err, catalog.ErrExists):
		return CodeTableExists, "42S01"
	}
	return CodeOther, "HY000"
}

// catalogError maps a store error to a coded engine error.
func catalogError(err error, what, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, catalog.ErrNotFound) && what == "database":
		return newError(CodeUnknownDB, "42000", err, "unknown database '%s'", name)
	case errors.Is(err, catalog.ErrNotFound):
		return newError(CodeNoTable, "42S02", err, "%s '%s' doesn't exist", what, name)
	case errors.Is(err, catalog.ErrExists) && what == "database":
		return newError(CodeDBExists, "HY000", err, "can't create database '%s'; database exists", name)
	case errors.Is(err, catalog.ErrExists):
		return newError(CodeTableExists, "42S01", err, "%s '%s' already exists", what, name)
	case errors.Is(err, catalog.ErrNotEmpty):
		return newError(CodeDatabaseNotEmp, "HY000", err, "database '%s' is not empty: drop its tables first or use DROP DATABASE %s CASCADE", name, name)
	}
	return err
}
