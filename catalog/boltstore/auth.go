package boltstore

// Users, groups and grants (catalog.AuthStore):
//
//	auth_users/<name>                     JSON catalog.User
//	auth_groups/<name>                    JSON catalog.Group
//	auth_grants/<u|g>\x00<grantee>\x00<db>\x00<table>   JSON catalog.Grant

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
)

var (
	bucketUsers  = []byte("auth_users")
	bucketGroups = []byte("auth_groups")
	bucketGrants = []byte("auth_grants")
)

var _ catalog.AuthStore = (*Store)(nil)

// authBuckets returns the three auth buckets, creating them in write
// transactions (older catalog files lack them); in read transactions a
// missing bucket is returned as nil.
func authBuckets(tx *bolt.Tx) (users, groups, grants *bolt.Bucket, err error) {
	if !tx.Writable() {
		return tx.Bucket(bucketUsers), tx.Bucket(bucketGroups), tx.Bucket(bucketGrants), nil
	}
	bs := make([]*bolt.Bucket, 3)
	for i, n := range [][]byte{bucketUsers, bucketGroups, bucketGrants} {
		if bs[i], err = tx.CreateBucketIfNotExists(n); err != nil {
			return nil, nil, nil, err
		}
	}
	return bs[0], bs[1], bs[2], nil
}

func grantKey(g catalog.Grant) []byte {
	kind := "u"
	if g.Group {
		kind = "g"
	}
	return []byte(kind + "\x00" + g.Grantee + "\x00" + g.Database + "\x00" + g.Table)
}

func grantPrefix(grantee string, group bool) []byte {
	kind := "u"
	if group {
		kind = "g"
	}
	return []byte(kind + "\x00" + grantee + "\x00")
}

// deletePrefix deletes every key of b starting with prefix.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, val)
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, u catalog.User, ifNotExists bool) error {
	if u.Name == "" {
		return fmt.Errorf("create user: empty name")
	}
	if u.Host == "" {
		u.Host = "%"
	}
	if u.Created.IsZero() {
		u.Created = time.Now().UTC()
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, _, _, err := authBuckets(tx)
		if err != nil {
			return err
		}
		if users.Get([]byte(u.Name)) != nil {
			if ifNotExists {
				return nil
			}
			return fmt.Errorf("user '%s': %w", u.Name, catalog.ErrExists)
		}
		return putJSON(users, []byte(u.Name), u)
	})
}

// UpdateUser replaces an existing user's host and password hashes.
func (s *Store) UpdateUser(ctx context.Context, u catalog.User) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, _, _, err := authBuckets(tx)
		if err != nil {
			return err
		}
		old := users.Get([]byte(u.Name))
		if old == nil {
			return fmt.Errorf("user '%s': %w", u.Name, catalog.ErrNotFound)
		}
		var prev catalog.User
		if err := json.Unmarshal(old, &prev); err != nil {
			return fmt.Errorf("user '%s': %w", u.Name, err)
		}
		u.Created = prev.Created
		if u.Host == "" {
			u.Host = prev.Host
		}
		return putJSON(users, []byte(u.Name), u)
	})
}

// DropUser removes a user, its grants and its group memberships.
func (s *Store) DropUser(ctx context.Context, name string, ifExists bool) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, groups, grants, err := authBuckets(tx)
		if err != nil {
			return err
		}
		if users.Get([]byte(name)) == nil {
			if ifExists {
				return nil
			}
			return fmt.Errorf("user '%s': %w", name, catalog.ErrNotFound)
		}
		if err := users.Delete([]byte(name)); err != nil {
			return err
		}
		if err := deletePrefix(grants, grantPrefix(name, false)); err != nil {
			return err
		}
		var changed []catalog.Group
		err = groups.ForEach(func(k, v []byte) error {
			var g catalog.Group
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("group %s: %w", k, err)
			}
			out := g.Members[:0]
			for _, m := range g.Members {
				if m != name {
					out = append(out, m)
				}
			}
			if len(out) != len(g.Members) {
				g.Members = out
				changed = append(changed, g)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, g := range changed {
			if err := putJSON(groups, []byte(g.Name), g); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetUser returns one user.
func (s *Store) GetUser(ctx context.Context, name string) (*catalog.User, error) {
	var u *catalog.User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		var v []byte
		if users != nil {
			v = users.Get([]byte(name))
		}
		if v == nil {
			return fmt.Errorf("user '%s': %w", name, catalog.ErrNotFound)
		}
		u = new(catalog.User)
		return json.Unmarshal(v, u)
	})
	return u, err
}

func uniqueSorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	j := 0
	for i, x := range out {
		if i == 0 || x != out[j-1] {
			out[j] = x
			j++
		}
	}
	return out[:j]
}

func checkUsers(users *bolt.Bucket, names []string) error {
	for _, m := range names {
		if users == nil || users.Get([]byte(m)) == nil {
			return fmt.Errorf("user '%s': %w", m, catalog.ErrNotFound)
		}
	}
	return nil
}

// CreateGroup adds a group of existing users.
func (s *Store) CreateGroup(ctx context.Context, g catalog.Group, ifNotExists bool) error {
	g.Name = catalog.Normalize(g.Name)
	if g.Name == "" {
		return fmt.Errorf("create group: empty name")
	}
	g.Members = uniqueSorted(g.Members)
	if g.Created.IsZero() {
		g.Created = time.Now().UTC()
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, groups, _, err := authBuckets(tx)
		if err != nil {
			return err
		}
		if groups.Get([]byte(g.Name)) != nil {
			if ifNotExists {
				return nil
			}
			return fmt.Errorf("group %s: %w", g.Name, catalog.ErrExists)
		}
		if err := checkUsers(users, g.Members); err != nil {
			return err
		}
		return putJSON(groups, []byte(g.Name), g)
	})
}

// AlterGroup adds and removes members.
func (s *Store) AlterGroup(ctx context.Context, name string, add, drop []string) error {
	name = catalog.Normalize(name)
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, groups, _, err := authBuckets(tx)
		if err != nil {
			return err
		}
		v := groups.Get([]byte(name))
		if v == nil {
			return fmt.Errorf("group %s: %w", name, catalog.ErrNotFound)
		}
		var g catalog.Group
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("group %s: %w", name, err)
		}
		if err := checkUsers(users, add); err != nil {
			return err
		}
		members := map[string]bool{}
		for _, m := range g.Members {
			members[m] = true
		}
		for _, m := range add {
			members[m] = true
		}
		for _, m := range drop {
			if !members[m] {
				return fmt.Errorf("user '%s' in group %s: %w", m, name, catalog.ErrNotFound)
			}
			delete(members, m)
		}
		g.Members = g.Members[:0]
		for m := range members {
			g.Members = append(g.Members, m)
		}
		sort.Strings(g.Members)
		return putJSON(groups, []byte(name), g)
	})
}

// DropGroup removes a group and its grants.
func (s *Store) DropGroup(ctx context.Context, name string, ifExists bool) error {
	name = catalog.Normalize(name)
	return s.update(ctx, func(tx *bolt.Tx) error {
		_, groups, grants, err := authBuckets(tx)
		if err != nil {
			return err
		}
		if groups.Get([]byte(name)) == nil {
			if ifExists {
				return nil
			}
			return fmt.Errorf("group %s: %w", name, catalog.ErrNotFound)
		}
		if err := groups.Delete([]byte(name)); err != nil {
			return err
		}
		return deletePrefix(grants, grantPrefix(name, true))
	})
}

func checkGrantee(users, groups *bolt.Bucket, g catalog.Grant) error {
	if g.Group {
		if groups.Get([]byte(g.Grantee)) == nil {
			return fmt.Errorf("group %s: %w", g.Grantee, catalog.ErrNotFound)
		}
		return nil
	}
	if users.Get([]byte(g.Grantee)) == nil {
		return fmt.Errorf("user '%s': %w", g.Grantee, catalog.ErrNotFound)
	}
	return nil
}

// Grant adds privileges.
func (s *Store) Grant(ctx context.Context, g catalog.Grant) error {
	g = catalog.NormalizeGrant(g)
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, groups, grants, err := authBuckets(tx)
		if err != nil {
			return err
		}
		if err := checkGrantee(users, groups, g); err != nil {
			return err
		}
		key := grantKey(g)
		if v := grants.Get(key); v != nil {
			var old catalog.Grant
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
			g.Privs |= old.Privs
		}
		return putJSON(grants, key, g)
	})
}

// Revoke removes privileges from one grant.
func (s *Store) Revoke(ctx context.Context, g catalog.Grant) error {
	g = catalog.NormalizeGrant(g)
	return s.update(ctx, func(tx *bolt.Tx) error {
		users, groups, grants, err := authBuckets(tx)
		if err != nil {
			return err
		}
		if err := checkGrantee(users, groups, g); err != nil {
			return err
		}
		key := grantKey(g)
		v := grants.Get(key)
		var old catalog.Grant
		if v != nil {
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
		}
		if old.Privs&g.Privs == 0 {
			return fmt.Errorf("grant of %s on %s.%s to %s: %w", g.Privs, g.Database, g.Table, g.Grantee, catalog.ErrNotFound)
		}
		old.Privs &^= g.Privs
		if old.Privs == 0 {
			return grants.Delete(key)
		}
		return putJSON(grants, key, old)
	})
}

// Auth returns every user, group and grant.
func (s *Store) Auth(ctx context.Context) (*catalog.AuthData, error) {
	a := &catalog.AuthData{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		users, groups, grants, _ := authBuckets(tx)
		each := func(b *bolt.Bucket, f func(v []byte) error) error {
			if b == nil {
				return nil
			}
			return b.ForEach(func(_, v []byte) error { return f(v) })
		}
		if err := each(users, func(v []byte) error {
			var u catalog.User
			err := json.Unmarshal(v, &u)
			a.Users = append(a.Users, u)
			return err
		}); err != nil {
			return err
		}
		if err := each(groups, func(v []byte) error {
			var g catalog.Group
			err := json.Unmarshal(v, &g)
			a.Groups = append(a.Groups, g)
			return err
		}); err != nil {
			return err
		}
		return each(grants, func(v []byte) error {
			var g catalog.Grant
			err := json.Unmarshal(v, &g)
			a.Grants = append(a.Grants, g)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: read users and grants: %w", err)
	}
	catalog.SortAuth(a)
	return a, nil
}
