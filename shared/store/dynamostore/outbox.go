package dynamostore

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/store"
)

// OutboxStatus reads the event's delivery attributes (one consistent GetItem).
func (s *Store) OutboxStatus(ctx context.Context, k store.EventKey) (store.OutboxState, error) {
	item, err := s.get(ctx, outboxPK(k), outboxSK(k.ID))
	if err != nil {
		return store.OutboxState{}, err
	}
	st := store.OutboxState{Delivered: item["deliveredAt"] != nil, DeadLettered: item["deadLetteredAt"] != nil}
	if n := attrN(item, "attempts"); n != "" {
		st.Attempts, _ = strconv.Atoi(n)
	}
	return st, nil
}

func (s *Store) MarkOutboxDelivered(ctx context.Context, k store.EventKey, now time.Time) error {
	return s.setOutbox(ctx, k, "SET deliveredAt = :now", now, nil)
}

func (s *Store) MarkOutboxDeadLettered(ctx context.Context, k store.EventKey, now time.Time) error {
	return s.setOutbox(ctx, k, "SET deadLetteredAt = :now", now, nil)
}

// RecordOutboxFailure adds one to the event's attempts and returns the sum.
func (s *Store) RecordOutboxFailure(ctx context.Context, k store.EventKey, now time.Time) (int, error) {
	var out *dynamodb.UpdateItemOutput
	err := s.setOutbox(ctx, k, "SET lastFailureAt = :now ADD attempts :one", now, &out)
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(attrN(out.Attributes, "attempts"))
	return n, nil
}

func (s *Store) setOutbox(ctx context.Context, k store.EventKey, update string, now time.Time, out **dynamodb.UpdateItemOutput) error {
	values := map[string]types.AttributeValue{":now": ts(now)}
	in := &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(outboxPK(k), outboxSK(k.ID)),
		UpdateExpression:    aws.String(update),
		ConditionExpression: aws.String("attribute_exists(" + attrPK + ")"),
	}
	if out != nil {
		values[":one"] = one
		in.ReturnValues = types.ReturnValueUpdatedNew
	}
	in.ExpressionAttributeValues = values
	o, err := s.db.UpdateItem(ctx, in)
	if err != nil {
		return err
	}
	if out != nil {
		*out = o
	}
	return nil
}

// putEvent is the transaction action that writes an outbox event.
func (s *Store) putEvent(ev store.OutboxEvent) types.TransactWriteItem {
	return s.putNew(outboxItem(ev))
}

func outboxItem(ev store.OutboxEvent) map[string]types.AttributeValue {
	item := newItem(outboxPK(ev.Key()), outboxSK(ev.ID), typeOutbox, "eventId", ev.ID, "eventType", ev.Type, "partnerId", ev.PartnerID)
	if ev.UserID != "" {
		item["userId"] = str(ev.UserID)
	}
	item["payload"] = &types.AttributeValueMemberB{Value: ev.Payload}
	item["createdAt"] = ts(ev.CreatedAt)
	if !ev.RetainUntil.IsZero() {
		item[attrTTL] = epoch(ev.RetainUntil)
	}
	return item
}
