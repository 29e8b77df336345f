package pgstore

import (
	"os"
	"testing"

	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(crashChild())
	}
	postgres.Main(m)
}
