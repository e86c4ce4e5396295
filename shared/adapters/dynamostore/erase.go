package dynamostore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

// transactMax is how many actions one TransactWriteItems may hold.
const transactMax = 100

// eraseRestarts bounds how often an erasure starts again because the user
// changed between its reads and its first write.
const eraseRestarts = 3

// errUserChanged: the first write's condition failed, the user changed
// since it was read.
var errUserChanged = errors.New("dynamostore: the user changed during its erasure")

// erased tells whether a profile item is an erased user's tombstone.
func erased(item map[string]types.AttributeValue) bool {
	_, ok := item[attrDeletedAt]
	return ok
}

// noLiveUser tells whether the profile a failed condition returned shows
// no user: none at all, or an erased user's tombstone.
func noLiveUser(item map[string]types.AttributeValue) bool { return item == nil || erased(item) }

// EraseUser reads the user's partition and its events' partition (two
// consistent Queries) and deletes what they hold, with the guard and the
// link the profile names, in transactions of up to 100 actions: the first
// one also turns the profile into the tombstone and writes ev, on the
// condition that the profile is as read (its revision, which every write
// that adds to the user's items counts), so nothing written meanwhile is
// left behind. A user of up to 96 items besides its profile, guard and
// link is erased in that one transaction: three round trips.
func (s *Store) EraseUser(ctx context.Context, partnerID, userID string, ev domain.OutboxEvent, now time.Time) error {
	for restart := 0; ; restart++ {
		err := s.erase(ctx, partnerID, userID, ev, now)
		if !errors.Is(err, errUserChanged) {
			return err
		}
		if restart >= eraseRestarts {
			return logsafe.Wrap("dynamodb:erase_user_changed", err)
		}
	}
}

func (s *Store) erase(ctx context.Context, partnerID, userID string, ev domain.OutboxEvent, now time.Time) error {
	items, err := s.partition(ctx, userPK(userID), false)
	if err != nil {
		return err
	}
	var profile map[string]types.AttributeValue
	// groups are the deletes, each group in one transaction: a session
	// goes with its reference, so that none is left without one.
	var groups [][]types.TransactWriteItem
	for _, it := range items {
		sk := attrS(it, attrSK)
		switch {
		case sk == userProfileSK:
			profile = it
		case strings.HasPrefix(sk, kycRefPrefix):
			groups = append(groups, []types.TransactWriteItem{
				s.deleteAction(userPK(userID), sk),
				s.deleteAction(kycSessionPK(refSessionID(it)), kycSessionSK),
			})
		default:
			groups = append(groups, []types.TransactWriteItem{s.deleteAction(userPK(userID), sk)})
		}
	}
	switch {
	case profile == nil:
		return domain.ErrNotFound
	case attrS(profile, "partnerId") != partnerID && erased(profile):
		return domain.ErrNotFound
	case attrS(profile, "partnerId") != partnerID:
		return domain.ErrNotOwned
	}
	events, err := s.partition(ctx, userOutboxPK(userID), true)
	if err != nil {
		return err
	}
	for _, it := range events {
		groups = append(groups, []types.TransactWriteItem{s.deleteAction(attrS(it, attrPK), attrS(it, attrSK))})
	}
	var first []types.TransactWriteItem
	if !erased(profile) {
		u, err := userFrom(profile)
		if err != nil {
			return err
		}
		first = s.tombstoneActions(u, attrN(profile, attrRev), ev, now)
	}
	for i, page := range pages(first, groups) {
		failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: page}, "dynamodb:erase_user_cancelled")
		switch {
		case err != nil:
			return err
		case failed != nil && i == 0 && first != nil:
			return errUserChanged
		case failed != nil:
			return logsafe.Wrap("dynamodb:erase_user_condition", errors.New("an unconditional delete was cancelled by a condition"))
		}
	}
	return nil
}

// tombstoneActions are the erasure's first actions: the profile becomes
// the tombstone (if it is still at revision rev, "" for none), the guard
// and the link go (if they are still the user's), and ev is written.
func (s *Store) tombstoneActions(u domain.User, rev string, ev domain.OutboxEvent, now time.Time) []types.TransactWriteItem {
	cond := condLiveUser + " AND partnerId = :pid AND attribute_not_exists(" + attrRev + ")"
	values := map[string]types.AttributeValue{":pid": str(u.PartnerID)}
	if rev != "" {
		cond = condLiveUser + " AND partnerId = :pid AND " + attrRev + " = :rev"
		values[":rev"] = &types.AttributeValueMemberN{Value: rev}
	}
	tomb := newItem(userPK(u.ID), userProfileSK, typeUser, "userId", u.ID, "partnerId", u.PartnerID)
	tomb[attrDeletedAt] = ts(now)
	heldByUser := aws.String(condAbsent + " OR userId = :uid")
	uid := map[string]types.AttributeValue{":uid": str(u.ID)}
	actions := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: tomb, ConditionExpression: aws.String(cond), ExpressionAttributeValues: values}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(guardPK(u.PartnerID, u.ExternalUserID), guardSK),
			ConditionExpression: heldByUser, ExpressionAttributeValues: uid}},
	}
	if u.LinkedIdentifierHash != "" {
		actions = append(actions, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
			Key: key(linkPK(u.PartnerID, u.LinkedIdentifierHash), linkSK), ConditionExpression: heldByUser, ExpressionAttributeValues: uid}})
	}
	return append(actions, s.putEvent(ev))
}

// pages packs first and the groups into transactions of up to transactMax
// actions, first at the head of the first one, no group split.
func pages(first []types.TransactWriteItem, groups [][]types.TransactWriteItem) [][]types.TransactWriteItem {
	var out [][]types.TransactWriteItem
	page := first
	for _, g := range groups {
		if len(page)+len(g) > transactMax {
			out, page = append(out, page), nil
		}
		page = append(page, g...)
	}
	if len(page) > 0 {
		out = append(out, page)
	}
	return out
}

func (s *Store) deleteAction(pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(pk, sk)}}
}

// partition reads every item of partition pk (consistently, page by page);
// keysOnly reads their keys alone.
func (s *Store) partition(ctx context.Context, pk string, keysOnly bool) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	if keysOnly {
		in.ExpressionAttributeNames["#sk"] = attrSK
		in.ProjectionExpression = aws.String("#pk, #sk")
	}
	var out []map[string]types.AttributeValue
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
