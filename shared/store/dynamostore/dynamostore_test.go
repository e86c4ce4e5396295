package dynamostore_test

import (
	"os"
	"testing"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/dynamostore"
	"github.com/partner-identity/api/shared/store/storetest"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

func TestConformanceOnMoto(t *testing.T) {
	srv := moto.Require(t)
	storetest.Run(t, func(t *testing.T) store.Users {
		db, table := srv.NewTable(t, nil, nil)
		return dynamostore.New(db, table)
	})
}
