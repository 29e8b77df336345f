package main

import (
	"github.com/spf13/pflag"

	"github.com/tarnsql/tarn/engine"
)

// s3Flags are the --s3-* flags of tarn serve and tarn sql. Credentials
// are never flags: they come from the environment
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...) or the
// profile.
type s3Flags struct {
	endpoint, region, profile *string
	pathStyle                 *bool
}

func addS3Flags(fs *pflag.FlagSet) *s3Flags {
	return &s3Flags{
		endpoint:  fs.String("s3-endpoint", "", "S3 endpoint URL for S3-compatible stores, e.g. http://127.0.0.1:9000 (default: AWS, or AWS_ENDPOINT_URL)"),
		region:    fs.String("s3-region", "", "S3 region (default: from the environment or profile, else us-east-1)"),
		pathStyle: fs.Bool("s3-path-style", false, "use path-style S3 addressing (the default when --s3-endpoint is set)"),
		profile:   fs.String("s3-profile", "", "AWS shared-config profile for S3 credentials and region"),
	}
}

// apply overrides base (the config file's s3: section) with the flags
// that were given.
func (f *s3Flags) apply(fs *pflag.FlagSet, base engine.S3Config) engine.S3Config {
	if fs.Changed("s3-endpoint") {
		base.Endpoint = *f.endpoint
	}
	if fs.Changed("s3-region") {
		base.Region = *f.region
	}
	if fs.Changed("s3-path-style") {
		base.PathStyle = *f.pathStyle
		if base.PathStyle {
			base.VirtualHosted = false
		}
	}
	if fs.Changed("s3-profile") {
		base.Profile = *f.profile
	}
	return base
}
