package dynamostore

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
)

// Items are marshalled by hand: a few fields, no reflection on the hot path.

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(pk), attrSK: str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func ts(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }

// epoch is t in Unix seconds, as the pending index and TTL read it.
func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// num64 is n as a number attribute.
func num64(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// nanos is t in Unix nanoseconds, a number that conditions compare.
func nanos(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixNano(), 10)}
}

// newItem is an item of type typ under pk and sk, with the string
// attributes of strs (name, value, name, value...).
func newItem(pk, sk, typ string, strs ...string) map[string]types.AttributeValue {
	item := key(pk, sk)
	item["type"] = str(typ)
	for i := 0; i+1 < len(strs); i += 2 {
		item[strs[i]] = str(strs[i+1])
	}
	return item
}

func userItem(u domain.User) map[string]types.AttributeValue {
	item := newItem(userPK(u.ID), userProfileSK, typeUser, "userId", u.ID, "partnerId", u.PartnerID,
		"externalUserId", u.ExternalUserID, "userType", u.Type, "method", u.Method, "kycStatus", u.KYCStatus)
	if u.Identifier != "" {
		item["identifier"] = str(u.Identifier)
	}
	if u.HasAlias {
		item["alias"] = str(u.Alias)
	}
	if u.KYCSessionID != "" {
		item["kycSessionId"] = str(u.KYCSessionID)
		item["kycExpiresAt"] = ts(u.KYCExpiresAt)
	}
	if u.LinkedIdentifierHash != "" {
		item["linkedIdentifierHash"] = str(u.LinkedIdentifierHash)
		item["linkedAt"] = ts(u.LinkedAt)
	}
	if !u.KYCResultAt.IsZero() {
		item[attrKYCResultAt] = nanos(u.KYCResultAt)
	}
	item["createdAt"] = ts(u.CreatedAt)
	item["updatedAt"] = ts(u.UpdatedAt)
	return testTTL(item, u.PartnerID, u.CreatedAt)
}

// testTTL gives item, when partnerID is a test side, the TTL of test data:
// DynamoDB deletes it domain.TestDataRetention after at (its writing), in
// its own time (within days). Live items keep theirs.
func testTTL(item map[string]types.AttributeValue, partnerID string, at time.Time) map[string]types.AttributeValue {
	if _, set := item[attrTTL]; !set && !domain.Livemode(partnerID) {
		item[attrTTL] = epoch(at.Add(domain.TestDataRetention))
	}
	return item
}

func guardItem(g domain.Guard) map[string]types.AttributeValue {
	item := newItem(guardPK(g.PartnerID, g.ExternalUserID), guardSK, typeGuard, "partnerId", g.PartnerID,
		"externalUserId", g.ExternalUserID, "userId", g.UserID, "requestHash", g.RequestHash)
	item["response"] = &types.AttributeValueMemberB{Value: g.Response}
	item["createdAt"] = ts(g.CreatedAt)
	return testTTL(item, g.PartnerID, g.CreatedAt)
}

// reader collects the first decoding error of an item.
type reader struct {
	item map[string]types.AttributeValue
	err  error
}

func (r *reader) str(name string, required bool) string {
	v, ok := r.item[name]
	if !ok {
		if required && r.err == nil {
			r.err = fmt.Errorf("dynamostore: item lacks %s", name)
		}
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		if r.err == nil {
			r.err = fmt.Errorf("dynamostore: %s is not a string", name)
		}
		return ""
	}
	return s.Value
}

func (r *reader) has(name string) bool { _, ok := r.item[name]; return ok }

func (r *reader) time(name string) time.Time {
	s := r.str(name, true)
	if r.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.err = fmt.Errorf("dynamostore: %s is not a time", name)
	}
	return t
}

// int reads a number attribute.
func (r *reader) int(name string) int64 {
	v, ok := r.item[name].(*types.AttributeValueMemberN)
	var n int64
	var err error
	if ok {
		n, err = strconv.ParseInt(v.Value, 10, 64)
	}
	if (!ok || err != nil) && r.err == nil {
		r.err = fmt.Errorf("dynamostore: %s is not a number", name)
	}
	return n
}

// span is an entry's creation and optional end, as listed (RFC 3339, ""
// for no end: stamp's).
type span struct {
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt,omitempty"`
}

func stamp(created, expires time.Time) span {
	s := span{CreatedAt: created.UTC().Format(time.RFC3339Nano)}
	if !expires.IsZero() {
		s.ExpiresAt = expires.UTC().Format(time.RFC3339Nano)
	}
	return s
}

func (s span) times() (created, expires time.Time, err error) {
	if created, err = time.Parse(time.RFC3339Nano, s.CreatedAt); err != nil {
		return created, expires, errors.New("dynamostore: a listed createdAt is not a time")
	}
	if s.ExpiresAt != "" {
		if expires, err = time.Parse(time.RFC3339Nano, s.ExpiresAt); err != nil {
			return created, expires, errors.New("dynamostore: a listed expiresAt is not a time")
		}
	}
	return created, expires, nil
}

// nanos reads a time written by nanos.
func (r *reader) nanos(name string) time.Time {
	v, ok := r.item[name].(*types.AttributeValueMemberN)
	var n int64
	var err error
	if ok {
		n, err = strconv.ParseInt(v.Value, 10, 64)
	}
	if !ok || err != nil {
		if r.err == nil {
			r.err = fmt.Errorf("dynamostore: %s is not a time in nanoseconds", name)
		}
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (r *reader) bytes(name string) []byte {
	v, ok := r.item[name].(*types.AttributeValueMemberB)
	if !ok {
		if r.err == nil {
			r.err = fmt.Errorf("dynamostore: %s is not binary", name)
		}
		return nil
	}
	return v.Value
}

func userFrom(item map[string]types.AttributeValue) (domain.User, error) {
	r := reader{item: item}
	u := domain.User{
		ID:             r.str("userId", true),
		PartnerID:      r.str("partnerId", true),
		ExternalUserID: r.str("externalUserId", true),
		Type:           r.str("userType", true),
		Method:         r.str("method", true),
		Identifier:     r.str("identifier", false),
		Alias:          r.str("alias", false),
		HasAlias:       r.has("alias"),
		KYCStatus:      r.str("kycStatus", true),
		KYCSessionID:   r.str("kycSessionId", false),
		CreatedAt:      r.time("createdAt"),
		UpdatedAt:      r.time("updatedAt"),
	}
	if u.KYCSessionID != "" {
		u.KYCExpiresAt = r.time("kycExpiresAt")
	}
	if u.LinkedIdentifierHash = r.str("linkedIdentifierHash", false); u.LinkedIdentifierHash != "" {
		u.LinkedAt = r.time("linkedAt")
	}
	if r.has(attrKYCResultAt) {
		u.KYCResultAt = r.nanos(attrKYCResultAt)
	}
	if set, ok := item[attrOpenKYC].(*types.AttributeValueMemberSS); ok {
		u.OpenKYC = slices.Sorted(slices.Values(set.Value))
	}
	return u, r.err
}

func guardFrom(item map[string]types.AttributeValue) (domain.Guard, error) {
	r := reader{item: item}
	g := domain.Guard{
		PartnerID:      r.str("partnerId", true),
		ExternalUserID: r.str("externalUserId", true),
		UserID:         r.str("userId", true),
		RequestHash:    r.str("requestHash", true),
		Response:       r.bytes("response"),
		CreatedAt:      r.time("createdAt"),
	}
	return g, r.err
}
