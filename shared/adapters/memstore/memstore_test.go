package memstore_test

import (
	"testing"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/adapters/storetest"
	"github.com/partner-identity/api/shared/domain"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(*testing.T) domain.Store { return memstore.New() },
		Complete: func(_ *testing.T, s domain.Store, id string) {
			s.(*memstore.Store).SetKYCSessionStatus(id, domain.KYCApproved)
		},
		LinkEvents: func(_ *testing.T, s domain.Store) int { return storetest.CountLinkEvents(s.(*memstore.Store).Outbox()) },
		Contents:   func(_ *testing.T, s domain.Store) string { return s.(*memstore.Store).Dump() },
	})
}
