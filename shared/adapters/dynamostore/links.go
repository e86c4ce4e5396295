package dynamostore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
)

const (
	typeLink   = "LINK"
	typeOutbox = "OUTBOX"
)

// LinkIdentifier is one TransactWriteItems: put the link (absent, or held
// by this user already), update the user (exists, this partner's, its
// current link still oldHash), put the outbox event, and on a replacement
// delete the old link (held by this user) and the federated identity that
// rested on it.
func (s *Store) LinkIdentifier(ctx context.Context, userID, partnerID, hash, oldHash, dropProvider string, ev domain.OutboxEvent, now time.Time) error {
	userCond := condLiveUser + " AND partnerId = :pid AND attribute_not_exists(linkedIdentifierHash)"
	values := map[string]types.AttributeValue{
		":h": str(hash), ":now": ts(now), ":pid": str(partnerID), ":one": one,
	}
	if oldHash != "" {
		userCond = condLiveUser + " AND partnerId = :pid AND linkedIdentifierHash = :old"
		values[":old"] = str(oldHash)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                           &s.table,
			Item:                                linkItem(domain.Link{PartnerID: partnerID, Hash: hash, UserID: userID, LinkedAt: now}),
			ConditionExpression:                 aws.String("attribute_not_exists(" + attrPK + ") OR userId = :uid"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":uid": str(userID)},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Update: &types.Update{
			TableName:                           &s.table,
			Key:                                 key(userPK(userID), userProfileSK),
			UpdateExpression:                    aws.String("SET linkedIdentifierHash = :h, linkedAt = :now, updatedAt = :now ADD " + attrRev + " :one"),
			ConditionExpression:                 aws.String(userCond),
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		s.putEvent(ev),
	}
	if oldHash != "" && oldHash != hash {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 &s.table,
			Key:                       key(linkPK(partnerID, oldHash), linkSK),
			ConditionExpression:       aws.String("userId = :uid"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":uid": str(userID)},
		}})
		if dropProvider != "" {
			// The federated identity built on the old link falls with it.
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: &s.table,
				Key:       key(userPK(userID), federatedIdentitySK(dropProvider)),
			}})
		}
	}
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:link_identifier_cancelled")
	if err != nil || failed == nil {
		return err
	}
	switch {
	case aws.ToString(failed[0].Code) == "ConditionalCheckFailed":
		return domain.E(domain.Conflict, domain.ReasonIdentifierTaken)
	case aws.ToString(failed[1].Code) == "ConditionalCheckFailed" && noLiveUser(failed[1].Item):
		return domain.ErrNotFound
	default:
		// The user changed meanwhile, or its old link is no longer its own.
		return domain.E(domain.Stale, domain.ReasonStaleUser)
	}
}

func (s *Store) GetLink(ctx context.Context, partnerID, hash string) (domain.Link, error) {
	item, err := s.get(ctx, linkPK(partnerID, hash), linkSK)
	if err != nil {
		return domain.Link{}, err
	}
	r := reader{item: item}
	l := domain.Link{PartnerID: r.str("partnerId", true), Hash: r.str("hash", true), UserID: r.str("userId", true), LinkedAt: r.time("linkedAt")}
	return l, r.err
}

func linkItem(l domain.Link) map[string]types.AttributeValue {
	item := newItem(linkPK(l.PartnerID, l.Hash), linkSK, typeLink, "partnerId", l.PartnerID, "hash", l.Hash, "userId", l.UserID)
	item["linkedAt"] = ts(l.LinkedAt)
	return testTTL(item, l.PartnerID, l.LinkedAt)
}
