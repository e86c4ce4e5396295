package dynamostore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/dynamostore"
	"github.com/partner-identity/api/shared/store/storetest"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

func TestConformanceOnMoto(t *testing.T) {
	srv := moto.Require(t)
	storetest.Run(t, func(t *testing.T) store.Users {
		db, table := srv.NewTable(t, nil, nil)
		return dynamostore.New(db, table)
	})
}

func TestKYCConformanceOnMoto(t *testing.T) {
	srv := moto.Require(t)
	var db *dynamodb.Client
	var table string
	storetest.RunKYC(t, func(t *testing.T) store.Store {
		db, table = srv.NewTable(t, nil, nil)
		return dynamostore.New(db, table)
	}, func(t *testing.T, _ store.Store, id string) {
		// The provider's completion, leaving the index attributes in place as
		// an eventually consistent index may still show them.
		_, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
			TableName:                 aws.String(table),
			Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: store.KYCSessionPK(id)}, "sk": &types.AttributeValueMemberS{Value: store.KYCSessionSK}},
			UpdateExpression:          aws.String("SET #s = :c"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: store.KYCCompleted}},
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestLinksConformanceOnMoto(t *testing.T) {
	srv := moto.Require(t)
	storetest.RunLinks(t, func(t *testing.T) (store.Store, func() int) {
		db, table := srv.NewTable(t, nil, nil)
		s := dynamostore.New(db, table)
		return s, func() int {
			evs, err := s.OutboxEvents(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			return storetest.CountLinkEvents(evs)
		}
	})
}

func TestFederatedIdentitiesConformanceOnMoto(t *testing.T) {
	srv := moto.Require(t)
	storetest.RunFederatedIdentities(t, func(t *testing.T) store.Store {
		db, table := srv.NewTable(t, nil, nil)
		return dynamostore.New(db, table)
	})
}
