package bench

import (
	_ "github.com/dolthub/go-mysql-server/memory"
	_ "github.com/duckdb/duckdb-go/v2"
)
