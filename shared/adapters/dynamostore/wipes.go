package dynamostore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
)

// wipingShard is the pending index's partition of the wipes requested
// and not carried out yet: their items, until the cleanup removes them.
const wipingShard = "WIPING"

// RequestWipe is one PutItem: the request, at the time (to the second)
// its pending index sort key holds.
func (s *Store) RequestWipe(ctx context.Context, partnerID string, at time.Time) error {
	if domain.Livemode(partnerID) {
		return domain.ErrLiveWipe
	}
	item := newItem(wipePK(partnerID), wipeSK, "WIPE", "partnerId", partnerID)
	item[attrPendingShard], item[attrPendingExpiry] = str(wipingShard), epoch(at)
	item[attrTTL] = epoch(at.Add(domain.TestDataRetention)) // a request never carried out goes with the data it named
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item})
	return err
}

// Wipes is one Query of the pending index's wiping partition.
func (s *Store) Wipes(ctx context.Context, limit int) ([]domain.WipeRequest, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexPendingByExpiry),
		KeyConditionExpression:    aws.String("#shard = :shard"),
		ExpressionAttributeNames:  map[string]string{"#shard": attrPendingShard, "#pk": attrPK, "#exp": attrPendingExpiry},
		ExpressionAttributeValues: map[string]types.AttributeValue{":shard": str(wipingShard)},
		ProjectionExpression:      aws.String("#pk, #exp"),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, err
	}
	var reqs []domain.WipeRequest
	for _, it := range out.Items {
		id, ok := strings.CutPrefix(attrS(it, attrPK), wipePK(""))
		n, isNum := it[attrPendingExpiry].(*types.AttributeValueMemberN)
		if !ok || !isNum {
			continue
		}
		secs, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			continue
		}
		reqs = append(reqs, domain.WipeRequest{PartnerID: id, RequestedAt: time.Unix(secs, 0).UTC()})
	}
	return reqs, nil
}

// FinishWipe is one DeleteItem, conditioned on the request's time (a
// later request stays for the next run).
func (s *Store) FinishWipe(ctx context.Context, r domain.WipeRequest) error {
	return s.deleteRequest(ctx, wipePK(r.PartnerID), "#exp = :at", map[string]types.AttributeValue{":at": epoch(r.RequestedAt)})
}

// deleteRequest deletes the request item pk (a wipe's, a delayed
// outcome's) if cond holds (#exp its due time): a request replaced since
// it was listed stays.
func (s *Store) deleteRequest(ctx context.Context, pk, cond string, values map[string]types.AttributeValue) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       key(pk, wipeSK),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#exp": attrPendingExpiry},
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return err
}

// scheduledShard is the pending index's partition of the sandbox's
// delayed outcomes, by due time.
const scheduledShard = "SANDBOX"

// sandboxPK is the delayed outcome of test-mode session id (its id holds
// the test mark: the sandbox's roles reach it).
func sandboxPK(sessionID string) string { return "SBX#" + sessionID }

// ScheduleSandboxOutcome is one PutItem.
func (s *Store) ScheduleSandboxOutcome(ctx context.Context, o domain.ScheduledOutcome) error {
	item := newItem(sandboxPK(o.SessionID), wipeSK, "SANDBOX_OUTCOME", "partnerId", o.PartnerID, "sessionId", o.SessionID, "outcome", o.Outcome)
	item[attrPendingShard], item[attrPendingExpiry] = str(scheduledShard), epoch(o.DueAt)
	item[attrTTL] = epoch(o.DueAt.Add(domain.TestDataRetention))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item})
	return err
}

// DueSandboxOutcomes is one Query of the pending index's sandbox
// partition, up to now, and one BatchGetItem of the outcomes (the index
// holds their keys).
func (s *Store) DueSandboxOutcomes(ctx context.Context, now time.Time, limit int) ([]domain.ScheduledOutcome, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexPendingByExpiry),
		KeyConditionExpression:    aws.String("#shard = :shard AND #exp <= :now"),
		ExpressionAttributeNames:  map[string]string{"#shard": attrPendingShard, "#exp": attrPendingExpiry},
		ExpressionAttributeValues: map[string]types.AttributeValue{":shard": str(scheduledShard), ":now": epoch(now)},
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil || len(out.Items) == 0 {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(out.Items))
	for _, it := range out.Items {
		keys = append(keys, key(attrS(it, attrPK), wipeSK))
	}
	var due []domain.ScheduledOutcome
	err = s.batchGet(ctx, types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true)}, func(it map[string]types.AttributeValue) error {
		n, _ := it[attrPendingExpiry].(*types.AttributeValueMemberN)
		if n == nil {
			return nil
		}
		secs, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return err
		}
		due = append(due, domain.ScheduledOutcome{PartnerID: attrS(it, "partnerId"), SessionID: attrS(it, "sessionId"),
			Outcome: attrS(it, "outcome"), DueAt: time.Unix(secs, 0).UTC()})
		return nil
	})
	return due, err
}

// DoneSandboxOutcome is one DeleteItem, conditioned on the outcome and
// its time.
func (s *Store) DoneSandboxOutcome(ctx context.Context, o domain.ScheduledOutcome) error {
	return s.deleteRequest(ctx, sandboxPK(o.SessionID), "#exp = :at AND outcome = :o",
		map[string]types.AttributeValue{":at": epoch(o.DueAt), ":o": str(o.Outcome)})
}
