package pgstore

// Users, groups and grants (catalog.AuthStore) in tarn.users,
// tarn.groups, tarn.group_members and tarn.grants (migration 3).
// Memberships cascade with their user or group through foreign keys;
// grants are deleted with their grantee in the same transaction, and
// Grant/AlterGroup lock the rows they depend on (FOR SHARE) so a
// concurrent DROP USER cannot leave a dangling grant.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tarnsql/tarn/catalog"
)

var _ catalog.AuthStore = (*Store)(nil)

func userNotFound(name string) error { return fmt.Errorf("user '%s': %w", name, catalog.ErrNotFound) }
func groupNotFound(name string) error {
	return fmt.Errorf("group %s: %w", name, catalog.ErrNotFound)
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
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tarn.users (name, host, native_hash, sha2_hash, created) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO NOTHING`, u.Name, u.Host, u.NativeHash, u.Sha2Hash, u.Created)
		if err != nil {
			return fmt.Errorf("create user '%s': %w", u.Name, err)
		}
		if tag.RowsAffected() == 0 && !ifNotExists {
			return fmt.Errorf("user '%s': %w", u.Name, catalog.ErrExists)
		}
		return nil
	})
}

// UpdateUser replaces an existing user's host and password hashes.
func (s *Store) UpdateUser(ctx context.Context, u catalog.User) error {
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tarn.users SET host = CASE WHEN $2 = '' THEN host ELSE $2 END, native_hash = $3, sha2_hash = $4
WHERE name = $1`, u.Name, u.Host, u.NativeHash, u.Sha2Hash)
		if err != nil {
			return fmt.Errorf("alter user '%s': %w", u.Name, err)
		}
		if tag.RowsAffected() == 0 {
			return userNotFound(u.Name)
		}
		return nil
	})
}

// DropUser removes a user, its grants and (by cascade) its memberships.
func (s *Store) DropUser(ctx context.Context, name string, ifExists bool) error {
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM tarn.users WHERE name = $1", name)
		if err != nil {
			return fmt.Errorf("drop user '%s': %w", name, err)
		}
		if tag.RowsAffected() == 0 {
			if ifExists {
				return nil
			}
			return userNotFound(name)
		}
		_, err = tx.Exec(ctx, "DELETE FROM tarn.grants WHERE NOT is_group AND grantee = $1", name)
		return err
	})
}

// GetUser returns one user.
func (s *Store) GetUser(ctx context.Context, name string) (*catalog.User, error) {
	var u catalog.User
	err := s.pool.QueryRow(ctx, "SELECT name, host, native_hash, sha2_hash, created FROM tarn.users WHERE name = $1", name).
		Scan(&u.Name, &u.Host, &u.NativeHash, &u.Sha2Hash, &u.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, userNotFound(name)
	}
	if err != nil {
		return nil, fmt.Errorf("user '%s': %w", name, err)
	}
	u.Created = u.Created.UTC()
	return &u, nil
}

// lockUsers checks that every user exists and keeps them from being
// dropped until the transaction ends.
func lockUsers(ctx context.Context, tx pgx.Tx, names []string) error {
	for _, n := range names {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM tarn.users WHERE name = $1 FOR SHARE", n).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return userNotFound(n)
		}
		if err != nil {
			return err
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
	if g.Created.IsZero() {
		g.Created = time.Now().UTC()
	}
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO tarn.groups (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", g.Name, g.Created)
		if err != nil {
			return fmt.Errorf("create group %s: %w", g.Name, err)
		}
		if tag.RowsAffected() == 0 {
			if ifNotExists {
				return nil
			}
			return fmt.Errorf("group %s: %w", g.Name, catalog.ErrExists)
		}
		if err := lockUsers(ctx, tx, g.Members); err != nil {
			return err
		}
		for _, m := range g.Members {
			if _, err := tx.Exec(ctx, "INSERT INTO tarn.group_members (grp, usr) VALUES ($1, $2) ON CONFLICT DO NOTHING", g.Name, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// AlterGroup adds and removes members.
func (s *Store) AlterGroup(ctx context.Context, name string, add, drop []string) error {
	name = catalog.Normalize(name)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM tarn.groups WHERE name = $1 FOR UPDATE", name).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return groupNotFound(name)
		}
		if err != nil {
			return err
		}
		if err := lockUsers(ctx, tx, add); err != nil {
			return err
		}
		for _, m := range add {
			if _, err := tx.Exec(ctx, "INSERT INTO tarn.group_members (grp, usr) VALUES ($1, $2) ON CONFLICT DO NOTHING", name, m); err != nil {
				return err
			}
		}
		for _, m := range drop {
			tag, err := tx.Exec(ctx, "DELETE FROM tarn.group_members WHERE grp = $1 AND usr = $2", name, m)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("user '%s' in group %s: %w", m, name, catalog.ErrNotFound)
			}
		}
		return nil
	})
}

// DropGroup removes a group, its memberships and its grants.
func (s *Store) DropGroup(ctx context.Context, name string, ifExists bool) error {
	name = catalog.Normalize(name)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM tarn.groups WHERE name = $1", name)
		if err != nil {
			return fmt.Errorf("drop group %s: %w", name, err)
		}
		if tag.RowsAffected() == 0 {
			if ifExists {
				return nil
			}
			return groupNotFound(name)
		}
		_, err = tx.Exec(ctx, "DELETE FROM tarn.grants WHERE is_group AND grantee = $1", name)
		return err
	})
}

func lockGrantee(ctx context.Context, tx pgx.Tx, g catalog.Grant) error {
	if !g.Group {
		return lockUsers(ctx, tx, []string{g.Grantee})
	}
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM tarn.groups WHERE name = $1 FOR SHARE", g.Grantee).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return groupNotFound(g.Grantee)
	}
	return err
}

// Grant adds privileges.
func (s *Store) Grant(ctx context.Context, g catalog.Grant) error {
	g = catalog.NormalizeGrant(g)
	if g.Privs == 0 {
		return fmt.Errorf("grant to %s: no privileges", g.Grantee)
	}
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		if err := lockGrantee(ctx, tx, g); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO tarn.grants (is_group, grantee, db, tbl, privs) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (is_group, grantee, db, tbl) DO UPDATE SET privs = tarn.grants.privs | EXCLUDED.privs`,
			g.Group, g.Grantee, g.Database, g.Table, int32(g.Privs))
		return err
	})
}

// Revoke removes privileges from one grant.
func (s *Store) Revoke(ctx context.Context, g catalog.Grant) error {
	g = catalog.NormalizeGrant(g)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		if err := lockGrantee(ctx, tx, g); err != nil {
			return err
		}
		var left int32
		err := tx.QueryRow(ctx, `UPDATE tarn.grants SET privs = privs & ~$5::integer
WHERE is_group = $1 AND grantee = $2 AND db = $3 AND tbl = $4 AND privs & $5::integer <> 0 AND privs & ~$5::integer <> 0
RETURNING privs`, g.Group, g.Grantee, g.Database, g.Table, int32(g.Privs)).Scan(&left)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Nothing left after the revoke: delete the grant.
		tag, err := tx.Exec(ctx, `DELETE FROM tarn.grants WHERE is_group = $1 AND grantee = $2 AND db = $3 AND tbl = $4 AND privs & $5::integer <> 0`,
			g.Group, g.Grantee, g.Database, g.Table, int32(g.Privs))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("grant of %s on %s.%s to %s: %w", g.Privs, g.Database, g.Table, g.Grantee, catalog.ErrNotFound)
		}
		return nil
	})
}

// Auth returns every user, group and grant from one snapshot.
func (s *Store) Auth(ctx context.Context) (*catalog.AuthData, error) {
	a := &catalog.AuthData{}
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		*a = catalog.AuthData{}
		rows, err := tx.Query(ctx, "SELECT name, host, native_hash, sha2_hash, created FROM tarn.users")
		if err != nil {
			return err
		}
		for rows.Next() {
			var u catalog.User
			if err := rows.Scan(&u.Name, &u.Host, &u.NativeHash, &u.Sha2Hash, &u.Created); err != nil {
				rows.Close()
				return err
			}
			u.Created = u.Created.UTC()
			a.Users = append(a.Users, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT g.name, g.created, m.usr FROM tarn.groups g LEFT JOIN tarn.group_members m ON m.grp = g.name ORDER BY g.name, m.usr`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			var created time.Time
			var member *string
			if err := rows.Scan(&name, &created, &member); err != nil {
				rows.Close()
				return err
			}
			if n := len(a.Groups); n == 0 || a.Groups[n-1].Name != name {
				a.Groups = append(a.Groups, catalog.Group{Name: name, Created: created.UTC()})
			}
			if member != nil {
				g := &a.Groups[len(a.Groups)-1]
				g.Members = append(g.Members, *member)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, "SELECT is_group, grantee, db, tbl, privs FROM tarn.grants")
		if err != nil {
			return err
		}
		for rows.Next() {
			var g catalog.Grant
			var p int32
			if err := rows.Scan(&g.Group, &g.Grantee, &g.Database, &g.Table, &p); err != nil {
				rows.Close()
				return err
			}
			g.Privs = catalog.Privileges(p)
			a.Grants = append(a.Grants, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: read users and grants: %w", err)
	}
	catalog.SortAuth(a)
	for i := range a.Groups {
		sort.Strings(a.Groups[i].Members)
	}
	return a, nil
}
