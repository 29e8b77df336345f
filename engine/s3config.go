package engine

import (
	"fmt"
	"strings"

	"github.com/tarnsql/tarn/connectors/storage/s3"
)

// S3Config is the engine's default S3 configuration (tarn.yaml's s3:
// section and the --s3-* flags). Credentials are not part of it: they
// come from the environment (AWS_ACCESS_KEY_ID, ...) or the profile.
type S3Config struct {
	// Endpoint overrides the service URL (MinIO, Ceph, R2, ...).
	Endpoint string `yaml:"endpoint" json:"endpoint,omitempty"`
	// Region; empty: from the environment/profile, else us-east-1.
	Region string `yaml:"region" json:"region,omitempty"`
	// PathStyle forces path-style addressing (the default when Endpoint
	// is set); VirtualHosted forces virtual-hosted addressing.
	PathStyle     bool `yaml:"path_style" json:"path_style,omitempty"`
	VirtualHosted bool `yaml:"virtual_hosted" json:"virtual_hosted,omitempty"`
	// Profile is a named profile of the shared AWS config files.
	Profile string `yaml:"profile" json:"profile,omitempty"`
	// Anonymous sends unsigned requests (public buckets).
	Anonymous bool `yaml:"anonymous" json:"anonymous,omitempty"`
}

// IsZero reports whether nothing is configured.
func (c S3Config) IsZero() bool { return c == S3Config{} }

// S3 returns the storage configuration c stands for.
func (c S3Config) S3() (s3.Config, error) {
	if c.PathStyle && c.VirtualHosted {
		return s3.Config{}, fmt.Errorf("s3: path_style and virtual_hosted are exclusive")
	}
	if c.Endpoint != "" && !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return s3.Config{}, fmt.Errorf("s3: endpoint %q must start with http:// or https://", c.Endpoint)
	}
	out := s3.Config{Endpoint: c.Endpoint, Region: c.Region, Profile: c.Profile, Anonymous: c.Anonymous}
	switch {
	case c.PathStyle:
		out.Addressing = "path"
	case c.VirtualHosted:
		out.Addressing = "virtual"
	}
	return out, nil
}

// apply installs c as the process's default S3 configuration (nothing
// when c is zero, so embedding applications keep their own).
func (c S3Config) apply() error {
	if c.IsZero() {
		return nil
	}
	sc, err := c.S3()
	if err != nil {
		return err
	}
	s3.SetDefault(sc)
	return nil
}
