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

// ChangeKYCStatus is one TransactWriteItems: the session's update,
// conditioned on its status and statusAt as read (out of the pending index
// with it); the user's update (its newest result's time, which must be
// older than c.At; its kycStatus when the session is its latest,
// conditioned on that; and its revision, which an erasure racing the event
// written under the user must see); the event.
func (s *Store) ChangeKYCStatus(ctx context.Context, c domain.KYCStatusChange, ev *domain.OutboxEvent) error {
	sessCond := "userId = :uid AND #status = :from AND attribute_not_exists(#at)"
	values := map[string]types.AttributeValue{
		":uid": str(c.UserID), ":from": str(c.From), ":to": str(c.To), ":at": ts(c.At), ":now": ts(c.Now),
	}
	if !c.FromAt.IsZero() {
		sessCond = "userId = :uid AND #status = :from AND #at = :fromAt"
		values[":fromAt"] = ts(c.FromAt)
	}
	set := "SET #status = :to, #at = :at, updatedAt = :now"
	names := map[string]string{"#status": "status", "#at": attrStatusAt, "#shard": attrPendingShard, "#exp": attrPendingExpiry}
	if c.ApplicantID != "" {
		set += ", #app = :app"
		names["#app"], values[":app"] = attrApplicantID, str(c.ApplicantID)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                           &s.table,
		Key:                                 key(kycSessionPK(c.SessionID), kycSessionSK),
		UpdateExpression:                    aws.String(set + " REMOVE #shard, #exp"),
		ConditionExpression:                 aws.String(sessCond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	userSet := "SET updatedAt = :now, #resultAt = :atNanos"
	userCond := condLiveUser + " AND (attribute_not_exists(#resultAt) OR #resultAt < :atNanos)"
	userValues := map[string]types.AttributeValue{":now": ts(c.Now), ":one": one, ":atNanos": nanos(c.At)}
	if c.Latest {
		userSet, userCond = userSet+", kycStatus = :to", userCond+" AND kycSessionId = :sid"
		userValues[":to"], userValues[":sid"] = str(c.To), str(c.SessionID)
	}
	userUpdate := userSet + " ADD " + attrRev + " :one"
	if c.To != domain.KYCPending {
		userUpdate += " DELETE " + attrOpenKYC + " :sids"
		userValues[":sids"] = &types.AttributeValueMemberSS{Value: []string{c.SessionID}}
	}
	items = append(items, types.TransactWriteItem{Update: &types.Update{
		TableName:                           &s.table,
		Key:                                 key(userPK(c.UserID), userProfileSK),
		UpdateExpression:                    aws.String(userUpdate),
		ConditionExpression:                 aws.String(userCond),
		ExpressionAttributeNames:            map[string]string{"#resultAt": attrKYCResultAt},
		ExpressionAttributeValues:           userValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
	if ev != nil {
		items = append(items, s.putEvent(*ev))
	}
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:change_kyc_status_cancelled")
	if err != nil || failed == nil {
		return err
	}
	failedCond := func(i int) bool {
		return i < len(failed) && aws.ToString(failed[i].Code) == "ConditionalCheckFailed"
	}
	switch {
	case failedCond(0) && (failed[0].Item == nil || attrS(failed[0].Item, "userId") != c.UserID):
		return domain.ErrNotFound
	case failedCond(1) && noLiveUser(failed[1].Item):
		return domain.ErrNotFound
	case failedCond(0) || failedCond(1):
		return domain.E(domain.Stale, domain.ReasonStaleSession)
	}
	return logsafe.Wrap("dynamodb:change_kyc_status_condition", errors.New("the event put's condition failed"))
}

// UserKYC is one consistent Query of the user's partition, backwards from
// its profile through the references to its sessions (their sort keys
// lead with their creation times), limit of them and no more, and one
// BatchGetItem of those sessions: a user's history, however long, costs
// the page.
func (s *Store) UserKYC(ctx context.Context, userID string, limit int) (domain.User, []domain.KYCSession, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :refs AND :profile"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(userPK(userID)), ":refs": str(kycRefPrefix), ":profile": str(userProfileSK)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return domain.User{}, nil, err
	}
	var profile map[string]types.AttributeValue
	var refs []domain.KYCSession // ID and CreatedAt only
	for _, it := range out.Items {
		switch sk := attrS(it, attrSK); {
		case sk == userProfileSK:
			profile = it
		case strings.HasPrefix(sk, kycRefPrefix):
			r := reader{item: it}
			refs = append(refs, domain.KYCSession{ID: refSessionID(it), CreatedAt: r.time("createdAt")})
			if r.err != nil {
				return domain.User{}, nil, r.err
			}
		}
	}
	if noLiveUser(profile) {
		return domain.User{}, nil, domain.ErrNotFound
	}
	u, err := userFrom(profile)
	if err != nil {
		return domain.User{}, nil, err
	}
	refs = refs[:min(limit, len(refs))]
	sessions, err := s.batchGetSessions(ctx, refs)
	if err != nil {
		return domain.User{}, nil, err
	}
	domain.NewestFirst(sessions)
	return u, sessions, nil
}

// refSessionID is the session a reference item names (its sessionId; a
// reference written before times led the sort key is the id alone).
func refSessionID(item map[string]types.AttributeValue) string {
	if id := attrS(item, "sessionId"); id != "" {
		return id
	}
	return strings.TrimPrefix(attrS(item, attrSK), kycRefPrefix)
}

// batchGetSessions reads the sessions of refs (at most 100) consistently,
// asking again for what DynamoDB left unprocessed. A session TTL deleted
// before its reference is left out.
func (s *Store) batchGetSessions(ctx context.Context, refs []domain.KYCSession) ([]domain.KYCSession, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	keys := make([]map[string]types.AttributeValue, len(refs))
	for i, r := range refs {
		keys[i] = key(kycSessionPK(r.ID), kycSessionSK)
	}
	var sessions []domain.KYCSession
	err := s.batchGet(ctx, types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true)}, func(it map[string]types.AttributeValue) error {
		sess, err := sessionFrom(it)
		sessions = append(sessions, sess)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sessions, nil
}

// batchGet reads the keys of ka (at most 100) in one BatchGetItem, asking
// again, after a jittered wait, for what DynamoDB left unprocessed (up to
// conflictRetries times), and hands each item read to each.
func (s *Store) batchGet(ctx context.Context, ka types.KeysAndAttributes, each func(map[string]types.AttributeValue) error) error {
	req := map[string]types.KeysAndAttributes{s.table: ka}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if attempt > s.conflictRetries {
				return logsafe.Wrap("dynamodb:batch_get_unprocessed", errors.New("keys left unprocessed"))
			}
			if err := sleepJitter(ctx, attempt-1); err != nil {
				return err
			}
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return err
		}
		for _, it := range out.Responses[s.table] {
			if err := each(it); err != nil {
				return err
			}
		}
		req = out.UnprocessedKeys
	}
	return nil
}

// ShortenKYCSession is one TransactWriteItems: the session's expiry (and
// its place in the pending index) conditioned on its being pending, its
// user's and expiring after at; with latest, the user's kycExpiresAt,
// conditioned on the session being its latest.
func (s *Store) ShortenKYCSession(ctx context.Context, id, userID string, latest bool, at time.Time) error {
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                &s.table,
		Key:                      key(kycSessionPK(id), kycSessionSK),
		UpdateExpression:         aws.String("SET expiresAt = :at, updatedAt = :at, #exp = :epoch"),
		ConditionExpression:      aws.String("userId = :uid AND #status = :pending AND attribute_exists(#exp) AND #exp > :epoch"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#exp": attrPendingExpiry},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": ts(at), ":epoch": epoch(at), ":uid": str(userID),
			":pending": str(domain.KYCPending)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	if latest {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                           &s.table,
			Key:                                 key(userPK(userID), userProfileSK),
			UpdateExpression:                    aws.String("SET kycExpiresAt = :at"),
			ConditionExpression:                 aws.String(condLiveUser + " AND kycSessionId = :sid"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":at": ts(at), ":sid": str(id)},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:shorten_kyc_session_cancelled")
	if err != nil || failed == nil {
		return err
	}
	failedCond := func(i int) bool {
		return i < len(failed) && aws.ToString(failed[i].Code) == "ConditionalCheckFailed"
	}
	switch {
	case failedCond(0) && (failed[0].Item == nil || attrS(failed[0].Item, "userId") != userID):
		return domain.ErrNotFound
	case failedCond(1) && noLiveUser(failed[1].Item):
		return domain.ErrNotFound
	}
	return domain.E(domain.Stale, domain.ReasonStaleSession)
}
