package mysqlwire

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tarnsql/tarn/engine"
)

// FileConfig is the server's YAML configuration file (tarn.yaml):
//
//	data_dir: /var/lib/tarn
//	memory_limit: 16GiB
//	root_password: secret          # or TARN_ROOT_PASSWORD
//	require_secure_transport: false
//	mysql:
//	  listen: 127.0.0.1:3306
//	tls:
//	  cert: /etc/tarn/server.pem
//	  key: /etc/tarn/server.key
//	storage:
//	  allowed_locations: [/data/lake, s3://bucket/prefix/]
//	wlm:                            # see docs/WLM.md
//	  queues: [...]
//
// Unknown keys and bad values are errors naming the setting.
type FileConfig struct {
	DataDir                string     `yaml:"data_dir"`
	MemoryLimit            string     `yaml:"memory_limit"`
	RootPassword           *string    `yaml:"root_password"`
	RequireSecureTransport bool       `yaml:"require_secure_transport"`
	MySQL                  mysqlYAML  `yaml:"mysql"`
	TLS                    tlsYAML    `yaml:"tls"`
	Log                    logSection `yaml:"log"`
	// S3 is the default S3 configuration (endpoint, region, path_style,
	// virtual_hosted, profile, anonymous); credentials come from the
	// environment or the profile.
	S3 engine.S3Config `yaml:"s3"`
	// Storage lists where table locations may point.
	Storage storageYAML `yaml:"storage"`
	// WLM is the workload-management section; it is parsed and validated
	// by engine/wlm (wlm.LoadFile), which reports its own setting names.
	WLM yaml.Node `yaml:"wlm"`
}

// storageYAML is the storage section: where table locations may point.
type storageYAML struct {
	// AllowedLocations are directories and URL prefixes (s3://bucket/p/)
	// every LOCATION must sit under, besides the data directory.
	AllowedLocations []string `yaml:"allowed_locations"`
}

// AllowedLocations is the engine's storage allow-list for this
// configuration (engine.Config.AllowedLocations): the data directory
// plus storage.allowed_locations.
func (c *FileConfig) AllowedLocations() []string {
	out := []string{}
	if c.DataDir != "" {
		out = append(out, c.DataDir)
	}
	return append(out, c.Storage.AllowedLocations...)
}

type mysqlYAML struct {
	Listen string `yaml:"listen"`
}

type tlsYAML struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

type logSection struct {
	Level string `yaml:"level"` // debug, info, warn, error
}

// LoadConfig reads and validates a YAML configuration file.
func LoadConfig(path string) (*FileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and validates configuration YAML.
func ParseConfig(b []byte) (*FileConfig, error) {
	var c FileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, explainYAML(b, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// explainYAML turns yaml.v3's messages ("field x not found in type
// mysqlwire.FileConfig") into ones naming the setting.
func explainYAML(src []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		keys := keyLines(src)
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			if j := strings.Index(m, "field "); j >= 0 && strings.Contains(m, "not found in type") {
				name := strings.Fields(m[j+len("field "):])[0]
				m = m[:j] + "unknown setting \"" + name + "\" (known: data_dir, memory_limit, root_password, require_secure_transport, mysql.listen, tls.cert, tls.key, log.level, storage.allowed_locations)"
			} else if strings.HasPrefix(m, "line ") {
				var line int
				if _, serr := fmt.Sscanf(m, "line %d:", &line); serr == nil && keys[line] != "" {
					m = "setting " + keys[line] + ": " + m
				}
			}
			msgs[i] = m
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return err
}

// keyLines maps line numbers to the dotted setting names defined there.
func keyLines(src []byte) map[int]string {
	out := map[int]string{}
	var root yaml.Node
	if yaml.Unmarshal(src, &root) != nil {
		return out
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				name := prefix + k.Value
				out[k.Line] = name
				if v.Line != k.Line || v.Kind == yaml.ScalarNode {
					out[v.Line] = name
				}
				walk(v, name+".")
			}
		}
	}
	walk(&root, "")
	return out
}

// Validate checks every value.
func (c *FileConfig) Validate() error {
	if c.MemoryLimit != "" {
		if _, err := engine.ParseBytes(c.MemoryLimit); err != nil {
			return fmt.Errorf("setting memory_limit: %w", err)
		}
	}
	if c.MySQL.Listen != "" {
		if _, _, err := net.SplitHostPort(c.MySQL.Listen); err != nil {
			return fmt.Errorf("setting mysql.listen: %q is not host:port: %w", c.MySQL.Listen, err)
		}
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("settings tls.cert and tls.key: both must be set, or neither")
	}
	if c.RequireSecureTransport && c.TLS.Cert == "" {
		return errors.New("setting require_secure_transport: true needs tls.cert and tls.key")
	}
	for i, l := range c.Storage.AllowedLocations {
		if l == "*" {
			continue
		}
		if strings.Contains(l, "://") && !strings.HasPrefix(l, "file://") {
			if strings.Contains(l, "/../") || strings.HasSuffix(l, "/..") {
				return fmt.Errorf("setting storage.allowed_locations[%d]: %q: '..' is not allowed in a storage URL", i, l)
			}
			continue
		}
		if !filepath.IsAbs(strings.TrimPrefix(l, "file://")) {
			return fmt.Errorf("setting storage.allowed_locations[%d]: %q must be an absolute path or a URL such as s3://bucket/prefix/", i, l)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("setting log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	return nil
}

// LoadTLS loads the certificate and key into a server TLS config.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls.cert %s / tls.key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
