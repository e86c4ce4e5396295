package dynamostore

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

const typeFederatedIdentity = "FEDERATED_IDENTITY"

// PutFederatedIdentity is one TransactWriteItems: the user's revision is
// counted on the condition that it still holds the link (returning the
// user when it fails), so that an erasure that read the user before sees
// the change; and the put, whose condition skips a write of the same
// subject.
func (s *Store) PutFederatedIdentity(ctx context.Context, fi domain.FederatedIdentity, ev domain.OutboxEvent) (bool, error) {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:           &s.table,
			Key:                 key(userPK(fi.UserID), userProfileSK),
			UpdateExpression:    aws.String("ADD " + attrRev + " :one"),
			ConditionExpression: aws.String(condLiveUser + " AND partnerId = :pid AND linkedIdentifierHash = :sub"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pid": str(fi.PartnerID), ":sub": str(fi.Subject), ":one": one,
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Put: &types.Put{
			TableName:                 &s.table,
			Item:                      fedIDItem(fi),
			ConditionExpression:       aws.String("attribute_not_exists(" + attrPK + ") OR subject <> :sub"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":sub": str(fi.Subject)},
		}},
		s.putEvent(ev),
	}}
	failed, err := s.transact(ctx, in, "dynamodb:put_federated_identity_cancelled")
	switch {
	case err != nil:
		return false, err
	case failed == nil:
		return true, nil
	case aws.ToString(failed[0].Code) == "ConditionalCheckFailed" && noLiveUser(failed[0].Item):
		return false, domain.ErrNotFound
	case aws.ToString(failed[0].Code) == "ConditionalCheckFailed":
		return false, domain.E(domain.Stale, domain.ReasonStaleUser)
	case aws.ToString(failed[1].Code) == "ConditionalCheckFailed":
		return false, nil // the same identity is set already
	}
	return false, logsafe.Wrap("dynamodb:put_federated_identity_condition", errors.New("the event put's condition failed"))
}

// DeleteFederatedIdentity is one TransactWriteItems: the delete, on the
// condition that the identity exists, and the event.
func (s *Store) DeleteFederatedIdentity(ctx context.Context, userID, provider string, ev domain.OutboxEvent) (bool, error) {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName:           &s.table,
			Key:                 key(userPK(userID), federatedIdentitySK(provider)),
			ConditionExpression: aws.String("attribute_exists(" + attrPK + ")"),
		}},
		s.putEvent(ev),
	}}
	failed, err := s.transact(ctx, in, "dynamodb:delete_federated_identity_cancelled")
	if err != nil {
		return false, err
	}
	return failed == nil, nil
}

// ListFederatedIdentities is one Query of the user's partition (paged
// through, though a user has one identity per provider).
func (s *Store) ListFederatedIdentities(ctx context.Context, userID string) ([]domain.FederatedIdentity, error) {
	var out []domain.FederatedIdentity
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": attrPK, "#sk": attrSK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(userPK(userID)), ":prefix": str(federatedIdentityPrefix),
		},
		ConsistentRead: aws.Bool(true),
	}
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			r := reader{item: it}
			fi := domain.FederatedIdentity{UserID: r.str("userId", true), Provider: r.str("provider", true),
				PartnerID: r.str("partnerId", true), Subject: r.str("subject", true), CreatedAt: r.time("createdAt")}
			if r.err != nil {
				return nil, r.err
			}
			out = append(out, fi)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func fedIDItem(fi domain.FederatedIdentity) map[string]types.AttributeValue {
	item := newItem(userPK(fi.UserID), federatedIdentitySK(fi.Provider), typeFederatedIdentity,
		"userId", fi.UserID, "provider", fi.Provider, "partnerId", fi.PartnerID, "subject", fi.Subject)
	item["createdAt"] = ts(fi.CreatedAt)
	return testTTL(item, fi.PartnerID, fi.CreatedAt)
}
