package dynamostore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

const (
	typeKYCSession = "KYC_SESSION"
	typeKYCRef     = "KYC_SESSION_REF"
)

// OpenKYCSession is one TransactWriteItems: an update of the user whose
// condition (exists and not erased, this partner's, an INDIVIDUAL, fewer
// open sessions than the cap: the string set openKyc) returns
// the user as it was when it fails, so that not-found, another partner's
// user, the wrong type and an approved user are told apart without a
// second call; the
// session put, its reference under the user (for the erasure) and the
// event.
func (s *Store) OpenKYCSession(ctx context.Context, sess domain.KYCSession, now time.Time, ev domain.OutboxEvent) (*domain.User, error) {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table,
			Key:       key(userPK(sess.UserID), userProfileSK),
			UpdateExpression: aws.String("SET kycStatus = :pending, kycSessionId = :sid, kycExpiresAt = :exp, updatedAt = :now ADD " +
				attrRev + " :one, " + attrOpenKYC + " :sids"),
			ConditionExpression: aws.String(condLiveUser + " AND partnerId = :partner AND userType = :individual AND kycStatus <> :approved" +
				" AND (attribute_not_exists(" + attrOpenKYC + ") OR size(" + attrOpenKYC + ") < :cap)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pending": str(domain.KYCPending), ":sid": str(sess.ID), ":exp": ts(sess.ExpiresAt),
				":now": ts(now), ":partner": str(sess.PartnerID), ":individual": str("INDIVIDUAL"), ":one": one,
				":approved": str(domain.KYCApproved), ":sids": &types.AttributeValueMemberSS{Value: []string{sess.ID}},
				":cap": num(domain.MaxOpenKYCSessions),
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		s.putNew(sessionItem(sess)),
		s.putNew(kycRefItem(sess)),
		s.putEvent(ev),
	}}
	failed, err := s.transact(ctx, in, "dynamodb:open_kyc_session_cancelled")
	switch {
	case err != nil || failed == nil:
		return nil, err
	case aws.ToString(failed[0].Code) != "ConditionalCheckFailed":
		return nil, logsafe.Wrap("dynamodb:open_kyc_session_condition", errors.New("the session put's condition failed"))
	case noLiveUser(failed[0].Item):
		return nil, domain.ErrNotFound
	}
	u, err := userFrom(failed[0].Item)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func (s *Store) GetKYCSession(ctx context.Context, id string) (domain.KYCSession, error) {
	item, err := s.get(ctx, kycSessionPK(id), kycSessionSK)
	if err != nil {
		return domain.KYCSession{}, err
	}
	return sessionFrom(item)
}

// ExpiryParts are the pending index's shards.
func (s *Store) ExpiryParts() int { return pendingShards }

// ExpiredKYCSessions queries one shard of the sparse pending index for
// sessions whose pendingExpiry is at or before now. Only keys are read;
// the cursor is the query's LastEvaluatedKey.
func (s *Store) ExpiredKYCSessions(ctx context.Context, part int, now time.Time, after string, limit int) ([]domain.SessionRef, string, error) {
	if part < 0 || part >= pendingShards {
		return nil, "", errors.New("dynamostore: no such part of the pending index")
	}
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexPendingByExpiry),
		KeyConditionExpression: aws.String("#shard = :shard AND #exp <= :now"),
		ExpressionAttributeNames: map[string]string{
			"#shard": attrPendingShard, "#exp": attrPendingExpiry, "#pk": attrPK,
			"#uid": "userId", "#pid": "partnerId",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":shard": str(pendingShardName(part)),
			":now":   epoch(now),
		},
		ProjectionExpression: aws.String("#pk, #uid, #pid"),
		Limit:                aws.Int32(int32(limit)),
	}
	if after != "" {
		var k map[string]string
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || json.Unmarshal(raw, &k) != nil || k["shard"] != pendingShardName(part) {
			return nil, "", errors.New("dynamostore: bad cursor")
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			attrPK: str(k["pk"]), attrSK: str(k["sk"]),
			attrPendingShard:  str(k["shard"]),
			attrPendingExpiry: &types.AttributeValueMemberN{Value: k["exp"]},
		}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	var refs []domain.SessionRef
	for _, it := range out.Items {
		pk := attrS(it, attrPK)
		if len(pk) > len(kycSessionPK("")) {
			refs = append(refs, domain.SessionRef{ID: pk[len(kycSessionPK("")):],
				UserID: attrS(it, "userId"), PartnerID: attrS(it, "partnerId")})
		}
	}
	lek := out.LastEvaluatedKey
	if len(lek) == 0 {
		return refs, "", nil
	}
	raw, _ := json.Marshal(map[string]string{"pk": attrS(lek, attrPK), "sk": attrS(lek, attrSK),
		"shard": attrS(lek, attrPendingShard), "exp": attrN(lek, attrPendingExpiry)})
	return refs, base64.RawURLEncoding.EncodeToString(raw), nil
}

func attrS(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func attrN(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// expireChunk is how many sessions one transaction expires: each takes two
// actions (the update and its event) of the 100 a transaction may hold.
const expireChunk = 50

// ExpireKYCSessions expires a batch in transactions of up to 50 sessions
// with their events. A session whose condition fails (no longer pending, or
// not yet expired) cancels its transaction; the transaction is run again
// without it, so the others still commit with their events.
func (s *Store) ExpireKYCSessions(ctx context.Context, batch []domain.Expiry, now time.Time) ([]string, error) {
	var expired []string
	for start := 0; start < len(batch); start += expireChunk {
		chunk := append([]domain.Expiry(nil), batch[start:min(start+expireChunk, len(batch))]...)
		for len(chunk) > 0 {
			items := make([]types.TransactWriteItem, 0, 2*len(chunk))
			for _, e := range chunk {
				items = append(items, s.expireAction(e.ID, now), s.putEvent(e.Event))
			}
			failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:expire_kyc_sessions_cancelled")
			if err != nil {
				return expired, err
			}
			if failed == nil {
				for _, e := range chunk {
					expired = append(expired, e.ID)
				}
				break
			}
			// Drop the sessions whose condition failed and try the rest again.
			kept := chunk[:0]
			for i, e := range chunk {
				if aws.ToString(failed[2*i].Code) != "ConditionalCheckFailed" {
					kept = append(kept, e)
				}
			}
			if len(kept) == len(chunk) {
				return expired, logsafe.Wrap("dynamodb:expire_kyc_sessions_condition", errors.New("an event put's condition failed"))
			}
			chunk = kept
		}
	}
	return expired, nil
}

// expireAction updates one session on the condition that it is still
// pending and past its expiry.
func (s *Store) expireAction(id string, now time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.table,
		Key:                 key(kycSessionPK(id), kycSessionSK),
		UpdateExpression:    aws.String("SET #status = :expired, updatedAt = :now REMOVE #shard, #exp"),
		ConditionExpression: aws.String("#status = :pending AND #exp <= :nowEpoch"),
		ExpressionAttributeNames: map[string]string{
			"#status": "status", "#shard": attrPendingShard, "#exp": attrPendingExpiry,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":expired": str(domain.KYCExpired), ":pending": str(domain.KYCPending), ":now": ts(now),
			":nowEpoch": epoch(now),
		},
	}}
}

func sessionItem(sess domain.KYCSession) map[string]types.AttributeValue {
	item := newItem(kycSessionPK(sess.ID), kycSessionSK, typeKYCSession, "sessionId", sess.ID, "userId", sess.UserID,
		"partnerId", sess.PartnerID, "country", sess.Country, "templateId", sess.TemplateID, "status", sess.Status,
		"provider", sess.Provider)
	if sess.RedirectURI != "" {
		item["redirectUri"] = str(sess.RedirectURI)
	}
	item["createdAt"] = ts(sess.CreatedAt)
	item["updatedAt"] = ts(sess.CreatedAt)
	item["expiresAt"] = ts(sess.ExpiresAt)
	if sess.Status == domain.KYCPending {
		item[attrPendingShard] = str(pendingShard(sess.ID))
		item[attrPendingExpiry] = epoch(sess.ExpiresAt)
	}
	if !sess.RetainUntil.IsZero() {
		item[attrTTL] = epoch(sess.RetainUntil)
	}
	return item
}

// kycRefItem is the reference to sess under its user's partition. It
// outlives the session by refOutlives: DynamoDB's TTL deletes expired items
// in no set order within days, and a session whose reference went first
// would escape an erasure.
func kycRefItem(sess domain.KYCSession) map[string]types.AttributeValue {
	item := newItem(userPK(sess.UserID), kycRefSK(sess.CreatedAt, sess.ID), typeKYCRef, "sessionId", sess.ID)
	item["createdAt"] = ts(sess.CreatedAt)
	if !sess.RetainUntil.IsZero() {
		item[attrTTL] = epoch(sess.RetainUntil.Add(refOutlives))
	}
	return item
}

// refOutlives is how long a session's reference outlives it.
const refOutlives = 7 * 24 * time.Hour

func sessionFrom(item map[string]types.AttributeValue) (domain.KYCSession, error) {
	r := reader{item: item}
	sess := domain.KYCSession{
		ID:          r.str("sessionId", true),
		UserID:      r.str("userId", true),
		PartnerID:   r.str("partnerId", true),
		Country:     r.str("country", true),
		TemplateID:  r.str("templateId", true),
		RedirectURI: r.str("redirectUri", false),
		Provider:    r.str("provider", false),
		Status:      r.str("status", true),
		CreatedAt:   r.time("createdAt"),
		ExpiresAt:   r.time("expiresAt"),
		UpdatedAt:   r.time("updatedAt"),
	}
	if sess.Provider == "" {
		// Sessions written before providers were named were the hosted one's.
		sess.Provider = domain.ProviderHosted
	}
	if r.has(attrStatusAt) {
		sess.StatusAt = r.time(attrStatusAt)
	}
	sess.ApplicantID = r.str(attrApplicantID, false)
	if n := attrN(item, attrTTL); n != "" {
		if sec, err := strconv.ParseInt(n, 10, 64); err == nil {
			sess.RetainUntil = time.Unix(sec, 0).UTC()
		}
	}
	return sess, r.err
}

// CloseOpenKYC is one UpdateItem: ids out of the user's open set.
func (s *Store) CloseOpenKYC(ctx context.Context, userID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(userPK(userID), userProfileSK),
		UpdateExpression:          aws.String("DELETE " + attrOpenKYC + " :ids"),
		ConditionExpression:       aws.String(condLiveUser),
		ExpressionAttributeValues: map[string]types.AttributeValue{":ids": &types.AttributeValueMemberSS{Value: ids}},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return domain.ErrNotFound
	}
	return err
}
