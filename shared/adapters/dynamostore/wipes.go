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
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       key(wipePK(r.PartnerID), wipeSK),
		ConditionExpression:       aws.String("#exp = :at"),
		ExpressionAttributeNames:  map[string]string{"#exp": attrPendingExpiry},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": epoch(r.RequestedAt)},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return err
}
