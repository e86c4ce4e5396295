package dynamostore

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/store"
)

// Items are marshalled by hand: a few fields, no reflection on the hot path.

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(pk), attrSK: str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func ts(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }

func userItem(u store.User) map[string]types.AttributeValue {
	item := key(userPK(u.ID), userProfileSK)
	item["type"] = str(typeUser)
	item["userId"] = str(u.ID)
	item["partnerId"] = str(u.PartnerID)
	item["externalUserId"] = str(u.ExternalUserID)
	item["userType"] = str(u.Type)
	item["method"] = str(u.Method)
	if u.Identifier != "" {
		item["identifier"] = str(u.Identifier)
	}
	if u.HasAlias {
		item["alias"] = str(u.Alias)
	}
	item["kycStatus"] = str(u.KYCStatus)
	if u.KYCSessionID != "" {
		item["kycSessionId"] = str(u.KYCSessionID)
		item["kycExpiresAt"] = ts(u.KYCExpiresAt)
	}
	if u.LinkedIdentifierHash != "" {
		item["linkedIdentifierHash"] = str(u.LinkedIdentifierHash)
		item["linkedAt"] = ts(u.LinkedAt)
	}
	item["createdAt"] = ts(u.CreatedAt)
	item["updatedAt"] = ts(u.UpdatedAt)
	return item
}

func guardItem(g store.Guard) map[string]types.AttributeValue {
	item := key(guardPK(g.PartnerID, g.ExternalUserID), guardSK)
	item["type"] = str(typeGuard)
	item["partnerId"] = str(g.PartnerID)
	item["externalUserId"] = str(g.ExternalUserID)
	item["userId"] = str(g.UserID)
	item["requestHash"] = str(g.RequestHash)
	item["response"] = &types.AttributeValueMemberB{Value: g.Response}
	item["createdAt"] = ts(g.CreatedAt)
	return item
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

func userFrom(item map[string]types.AttributeValue) (store.User, error) {
	r := reader{item: item}
	u := store.User{
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
	return u, r.err
}

func guardFrom(item map[string]types.AttributeValue) (store.Guard, error) {
	r := reader{item: item}
	g := store.Guard{
		PartnerID:      r.str("partnerId", true),
		ExternalUserID: r.str("externalUserId", true),
		UserID:         r.str("userId", true),
		RequestHash:    r.str("requestHash", true),
		Response:       r.bytes("response"),
		CreatedAt:      r.time("createdAt"),
	}
	return g, r.err
}
