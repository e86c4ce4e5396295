package memstore_test

import (
	"testing"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/memstore"
	"github.com/partner-identity/api/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(*testing.T) store.Store { return memstore.New() },
		Complete: func(_ *testing.T, s store.Store, id string) {
			s.(*memstore.Store).SetKYCSessionStatus(id, store.KYCApproved)
		},
		LinkEvents: func(_ *testing.T, s store.Store) int { return storetest.CountLinkEvents(s.(*memstore.Store).Outbox()) },
		Contents:   func(_ *testing.T, s store.Store) string { return s.(*memstore.Store).Dump() },
	})
}
