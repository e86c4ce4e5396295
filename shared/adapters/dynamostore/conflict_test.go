package dynamostore

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
)

// conflictOnce cancels the first n transactions with TransactionConflict, as
// DynamoDB does when another transaction holds the same item.
type conflictOnce struct {
	n, calls int
}

func (c *conflictOnce) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

func (c *conflictOnce) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}

func (c *conflictOnce) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func (c *conflictOnce) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}

func (c *conflictOnce) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}

func (c *conflictOnce) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return &dynamodb.BatchGetItemOutput{}, nil
}

func (c *conflictOnce) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.calls++
	if c.calls <= c.n {
		return nil, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{Code: aws.String("TransactionConflict")}, {Code: aws.String("None")}}}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func TestCreateUserRetriesTransactionConflicts(t *testing.T) {
	api := &conflictOnce{n: 2}
	s := New(api, "t")
	now := time.Now()
	existing, err := s.CreateUser(context.Background(), domain.User{ID: "u", CreatedAt: now, UpdatedAt: now},
		domain.Guard{PartnerID: "p", ExternalUserID: "e", CreatedAt: now}, domain.OutboxEvent{ID: "e1"})
	if err != nil || existing != nil {
		t.Fatalf("existing=%v err=%v", existing, err)
	}
	if api.calls != 3 {
		t.Fatalf("calls = %d, want 3 (two conflicts retried)", api.calls)
	}
}

func TestCreateUserGivesUpAfterPersistentConflicts(t *testing.T) {
	api := &conflictOnce{n: 1000}
	s := New(api, "t")
	_, err := s.CreateUser(context.Background(), domain.User{ID: "u"}, domain.Guard{PartnerID: "p", ExternalUserID: "e"}, domain.OutboxEvent{ID: "e2"})
	if err == nil {
		t.Fatal("want an error after persistent conflicts")
	}
	if api.calls != s.conflictRetries+1 {
		t.Fatalf("calls = %d, want %d", api.calls, s.conflictRetries+1)
	}
}
