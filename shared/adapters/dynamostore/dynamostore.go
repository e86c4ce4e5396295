// Package dynamostore is the DynamoDB store: one table (template.yaml's
// Table), its keys from keys.go, one round trip per operation
// where the design says so.
package dynamostore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/deadline"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

var _ domain.Store = (*Store)(nil)

// Store is the DynamoDB implementation of domain.Store.
type Store struct {
	db    API
	table string
	// conflictRetries bounds the retries of a transaction cancelled by a
	// concurrent transaction on the same items (TransactionConflict), which
	// the SDK does not retry by itself.
	conflictRetries int
}

// New returns a store over table.
func New(db API, table string) *Store {
	return &Store{db: db, table: table, conflictRetries: 8}
}

// Item types, kept on each item for operators reading the table.
const (
	typeUser  = "USER"
	typeGuard = "GUARD"
)

const condAbsent = "attribute_not_exists(" + attrPK + ")"

// condLiveUser holds for a user's profile that exists and is not an
// erased user's tombstone.
const condLiveUser = "attribute_exists(" + attrPK + ") AND attribute_not_exists(" + attrDeletedAt + ")"

// one is the number 1, which ADD counts with.
var one = &types.AttributeValueMemberN{Value: "1"}

// CreateUser is one TransactWriteItems whether new or replayed: the guard
// put returns the existing guard on a failed condition; the user and the
// user.created event are written with the guard or not at all.
func (s *Store) CreateUser(ctx context.Context, u domain.User, g domain.Guard, ev domain.OutboxEvent) (*domain.Guard, error) {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                           &s.table,
			Item:                                guardItem(g),
			ConditionExpression:                 aws.String(condAbsent),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		s.putNew(userItem(u)),
		s.putEvent(ev),
	}}
	checked := s.checkKey(ctx, in)
	failed, err := s.transact(ctx, in, "dynamodb:create_user_cancelled")
	if err != nil || failed == nil {
		return nil, err
	}
	if checked >= 0 && aws.ToString(failed[checked].Code) == "ConditionalCheckFailed" {
		return nil, domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)
	}
	if failed[0].Item == nil {
		return nil, logsafe.Wrap("dynamodb:create_user_condition", errors.New("a condition other than the guard's failed"))
	}
	existing, err := guardFrom(failed[0].Item)
	if err != nil {
		return nil, err
	}
	return &existing, nil
}

// transact runs a transaction. When conditions cancel it, it returns the
// cancellation reasons (each action's code, and the item as it was where
// ReturnValuesOnConditionCheckFailure asked for it); nil means it committed.
// Cancellations by concurrent transactions (TransactionConflict), which the
// SDK does not retry, are retried with jitter a bounded number of times.
func (s *Store) transact(ctx context.Context, in *dynamodb.TransactWriteItemsInput, logCode string) ([]types.CancellationReason, error) {
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, in)
		if err == nil {
			return nil, nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return nil, err
		}
		reasons := tce.CancellationReasons
		if conditionFailed(reasons) >= 0 && !hasConflict(reasons) {
			return reasons, nil
		}
		if !hasConflict(reasons) || attempt >= s.conflictRetries {
			return nil, logsafe.Wrap(logCode, err)
		}
		if err := sleepJitter(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// conditionFailed is the index of the first action whose condition failed, or -1.
func conditionFailed(reasons []types.CancellationReason) int {
	for i, r := range reasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			return i
		}
	}
	return -1
}

func hasConflict(reasons []types.CancellationReason) bool {
	for _, r := range reasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// sleepJitter waits a full-jitter backoff: up to 10ms, 20ms, 40ms... capped at 320ms.
func sleepJitter(ctx context.Context, attempt int) error {
	ceiling := 10 * time.Millisecond << min(attempt, 5)
	return deadline.Sleep(ctx, time.Duration(rand.Int64N(int64(ceiling))+1))
}

func (s *Store) GetUser(ctx context.Context, id string) (domain.User, error) {
	item, err := s.get(ctx, userPK(id), userProfileSK)
	if err != nil {
		return domain.User{}, err
	}
	if erased(item) {
		return domain.User{}, domain.ErrNotFound
	}
	return userFrom(item)
}

func (s *Store) GetGuard(ctx context.Context, partnerID, externalUserID string) (domain.Guard, error) {
	item, err := s.get(ctx, guardPK(partnerID, externalUserID), guardSK)
	if err != nil {
		return domain.Guard{}, err
	}
	return guardFrom(item)
}

func (s *Store) get(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, domain.ErrNotFound
	}
	return out.Item, nil
}

// putNew is the transaction action that writes item, which must not exist.
func (s *Store) putNew(item map[string]types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:           &s.table,
		Item:                item,
		ConditionExpression: aws.String(condAbsent),
	}}
}
