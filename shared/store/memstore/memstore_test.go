package memstore_test

import (
	"testing"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/memstore"
	"github.com/partner-identity/api/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Users { return memstore.New() })
}

func TestKYCConformance(t *testing.T) {
	storetest.RunKYC(t, func(*testing.T) store.Store { return memstore.New() },
		func(_ *testing.T, s store.Store, id string) {
			s.(*memstore.Store).SetKYCSessionStatus(id, store.KYCCompleted)
		})
}

func TestLinksConformance(t *testing.T) {
	storetest.RunLinks(t, func(*testing.T) (store.Store, func() int) {
		m := memstore.New()
		return m, func() int { return storetest.CountLinkEvents(m.Outbox()) }
	})
}

func TestFederatedIdentitiesConformance(t *testing.T) {
	storetest.RunFederatedIdentities(t, func(*testing.T) store.Store { return memstore.New() })
}
