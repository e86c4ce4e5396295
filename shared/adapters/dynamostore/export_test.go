package dynamostore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
)

// SessionItem is the item of a session as OpenKYCSession writes it, for
// this package's tests to seed many sessions at once with BatchWriteItem.
var SessionItem = sessionItem

// KYCRefItem is the reference to a session under its user, as
// OpenKYCSession writes it, for the same.
var KYCRefItem = kycRefItem

// OutboxItem is an event's item, for the same.
var OutboxItem = outboxItem

// CompleteSession marks session id APPROVED behind the store's back, as a
// provider's completion would: out of the pending index, or left in it as
// an eventually consistent index may still show it.
func CompleteSession(ctx context.Context, db *dynamodb.Client, table, id string, leaveIndexed bool) error {
	update := "SET #s = :c REMOVE " + attrPendingShard + ", " + attrPendingExpiry
	if leaveIndexed {
		update = "SET #s = :c"
	}
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       key(kycSessionPK(id), kycSessionSK),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: domain.KYCApproved}},
	})
	return err
}
