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
