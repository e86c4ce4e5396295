package dynamostore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/storetest"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

func TestConformanceOnMoto(t *testing.T) {
	srv := moto.Require(t)
	tables := map[domain.Store]string{}
	var db *dynamodb.Client
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) domain.Store {
			var table string
			db, table = srv.NewTable(t, nil, nil)
			s := dynamostore.New(db, table)
			tables[s] = table
			return s
		},
		Complete: func(t *testing.T, s domain.Store, id string) {
			// The provider's completion, leaving the index attributes in place as
			// an eventually consistent index may still show them.
			if err := dynamostore.CompleteSession(context.Background(), db, tables[s], id, true); err != nil {
				t.Fatal(err)
			}
		},
		LinkEvents: func(t *testing.T, s domain.Store) int {
			evs, err := moto.OutboxEvents(context.Background(), db, tables[s])
			if err != nil {
				t.Fatal(err)
			}
			return storetest.CountLinkEvents(evs)
		},
		Contents: func(t *testing.T, s domain.Store) string { return moto.Contents(t, db, tables[s]) },
	})
}
