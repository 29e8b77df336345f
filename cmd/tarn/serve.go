package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/tarnsql/tarn/engine"
	"github.com/tarnsql/tarn/engine/wlm"
	"github.com/tarnsql/tarn/server/mysqlwire"
)

const serveUsage = `Usage:
  tarn serve [--data-dir D] [--config tarn.yaml] [--mysql 127.0.0.1:3306] [--demo]
             [--memory-limit 16GiB] [--grace 30s] [--log-level info]

Serves the data directory over the MySQL protocol. The only user is root;
its password comes from TARN_ROOT_PASSWORD or root_password in the config
(an empty password is allowed on loopback addresses only). Flags override
the config file.
`

// cmdServe runs "tarn serve".
func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tarn serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	dataDir := fs.String("data-dir", defaultDataDir(), "data directory (catalog and query history)")
	catalogDSN := fs.String("catalog", os.Getenv("TARN_CATALOG"), catalogFlagHelp)
	cfgPath := fs.String("config", "", "YAML configuration file")
	listen := fs.String("mysql", "127.0.0.1:3306", "MySQL protocol listen address")
	demo := fs.Bool("demo", false, "generate TPC-H SF 0.1 into the data directory if missing and serve it")
	memLimit := fs.String("memory-limit", "", "engine memory budget that WLM queues divide into per-query limits, e.g. 512MiB, 16GiB (default 60% of RAM)")
	grace := fs.Duration("grace", 30*time.Second, "on SIGTERM/SIGINT, how long running queries may finish before they are cancelled")
	logLevel := fs.String("log-level", "info", "log level: debug (logs every statement), info, warn, error")
	s3f := addS3Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tarn serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fc := &mysqlwire.FileConfig{}
	if *cfgPath != "" {
		var err error
		if fc, err = mysqlwire.LoadConfig(*cfgPath); err != nil {
			fmt.Fprintln(stderr, "tarn serve:", err)
			return 2
		}
	}
	// Flags override the config; the config overrides defaults.
	if fs.Changed("data-dir") || fc.DataDir == "" {
		fc.DataDir = *dataDir
	}
	if fs.Changed("mysql") || fc.MySQL.Listen == "" {
		fc.MySQL.Listen = *listen
	}
	if fs.Changed("memory-limit") {
		fc.MemoryLimit = *memLimit
	}
	if fs.Changed("log-level") || fc.Log.Level == "" {
		fc.Log.Level = *logLevel
	}
	if err := fc.Validate(); err != nil {
		fmt.Fprintln(stderr, "tarn serve:", err)
		return 2
	}
	if *grace < 0 {
		fmt.Fprintln(stderr, "tarn serve: invalid --grace: must be >= 0")
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(fc.Log.Level)); err != nil {
		fmt.Fprintf(stderr, "tarn serve: invalid --log-level %q: use debug, info, warn or error\n", fc.Log.Level)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg := engine.Config{DataDir: fc.DataDir, Catalog: *catalogDSN, S3: s3f.apply(fs, fc.S3),
		AllowedLocations: fc.AllowedLocations()}
	if *cfgPath != "" {
		wc, err := wlm.LoadFile(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, "tarn serve:", err)
			return 2
		}
		if fc.WLM.Kind != 0 { // the file has a wlm: section
			cfg.WLM = wc
		}
	}
	if fc.MemoryLimit != "" {
		n, err := engine.ParseBytes(fc.MemoryLimit)
		if err != nil {
			fmt.Fprintf(stderr, "tarn serve: invalid memory limit: %v\n", err)
			return 2
		}
		cfg.MemoryLimit = n
	}
	password := ""
	if fc.RootPassword != nil {
		password = *fc.RootPassword
	}
	if p, ok := os.LookupEnv("TARN_ROOT_PASSWORD"); ok {
		password = p
	}
	scfg := mysqlwire.Config{Addr: fc.MySQL.Listen, RootPassword: password, RequireSecureTransport: fc.RequireSecureTransport, Logger: logger}
	if fc.TLS.Cert != "" {
		t, err := mysqlwire.LoadTLS(fc.TLS.Cert, fc.TLS.Key)
		if err != nil {
			fmt.Fprintln(stderr, "tarn serve:", err)
			return 2
		}
		scfg.TLSConfig = t
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "tarn:", err)
		return 1
	}
	defer e.Close()
	if *demo {
		if err := ensureDemo(ctx, e, stderr); err != nil {
			fmt.Fprintln(stderr, "tarn serve --demo:", err)
			return 1
		}
	}
	scfg.Engine = e
	srv, err := mysqlwire.New(scfg)
	if err != nil {
		fmt.Fprintln(stderr, "tarn serve:", err)
		return 1
	}
	go srv.Serve()
	if *cfgPath != "" {
		// SIGHUP reloads the WLM section of the config without a restart;
		// an invalid one is refused and the running configuration kept.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for range hup {
				wc, err := wlm.LoadFile(*cfgPath)
				if err == nil {
					err = e.ReloadWLM(wc)
				}
				if err != nil {
					logger.Error("WLM reload refused; keeping the running configuration", "config", *cfgPath, "err", err)
					continue
				}
				logger.Info("WLM configuration reloaded", "config", *cfgPath)
			}
		}()
	}
	host, port, _ := net.SplitHostPort(srv.Addr().String())
	fmt.Fprintf(stdout, "tarn: serving %s over the MySQL protocol on %s\n", fc.DataDir, srv.Addr())
	db := ""
	if *demo {
		db = " tpch"
	}
	pw := ""
	if password != "" {
		pw = " -p"
	}
	if strings.Contains(host, ":") || host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	fmt.Fprintf(stdout, "connect with: mysql -h %s -P %s -u root%s%s\n", host, port, pw, db)

	<-ctx.Done()
	stop() // a second signal kills the process
	fmt.Fprintf(stderr, "tarn serve: shutting down; running queries have %s to finish\n", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "tarn serve:", err)
	}
	fmt.Fprintln(stderr, "tarn serve: stopped")
	return 0
}
