package wlm

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Store persists the configuration set through SQL (and reloads).
type Store interface {
	// Load returns the persisted configuration (nil when none).
	Load() (*Config, error)
	Save(*Config) error
}

var (
	bucketWLM = []byte("wlm")
	keyConfig = []byte("config")
)

// BoltStore keeps the configuration as JSON in the catalog's bbolt file
// (bucket "wlm", key "config").
type BoltStore struct{ DB *bolt.DB }

// Load implements Store.
func (s BoltStore) Load() (*Config, error) {
	var c *Config
	err := s.DB.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWLM)
		if b == nil {
			return nil
		}
		v := b.Get(keyConfig)
		if v == nil {
			return nil
		}
		c = &Config{}
		return json.Unmarshal(v, c)
	})
	if err != nil {
		return nil, fmt.Errorf("WLM configuration in the catalog: %w", err)
	}
	return c, nil
}

// Save implements Store.
func (s BoltStore) Save(c *Config) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	err = s.DB.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketWLM)
		if err != nil {
			return err
		}
		return b.Put(keyConfig, v)
	})
	if err != nil {
		return fmt.Errorf("WLM configuration: persist: %w", err)
	}
	return nil
}
