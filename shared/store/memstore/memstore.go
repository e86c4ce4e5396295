// Package memstore is the in-memory store: the same semantics as the
// DynamoDB store, for the local runner and tests.
package memstore

import (
	"context"
	"sync"

	"github.com/partner-identity/api/shared/store"
)

// Store is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	users  map[string]store.User
	guards map[string]store.Guard
}

// New returns an empty store.
func New() *Store {
	return &Store{users: map[string]store.User{}, guards: map[string]store.Guard{}}
}

func (s *Store) CreateUser(_ context.Context, u store.User, g store.Guard) (*store.Guard, error) {
	gk := store.GuardPK(g.PartnerID, g.ExternalUserID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.guards[gk]; ok {
		old.Response = append([]byte(nil), old.Response...)
		return &old, nil
	}
	g.Response = append([]byte(nil), g.Response...)
	s.guards[gk] = g
	s.users[u.ID] = u
	return nil, nil
}

func (s *Store) GetUser(_ context.Context, id string) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (s *Store) GetGuard(_ context.Context, partnerID, externalUserID string) (store.Guard, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guards[store.GuardPK(partnerID, externalUserID)]
	if !ok {
		return store.Guard{}, store.ErrNotFound
	}
	g.Response = append([]byte(nil), g.Response...)
	return g, nil
}

// Counts reports how many users and guards are stored (for tests).
func (s *Store) Counts() (users, guards int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users), len(s.guards)
}
