package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	typeSealedSecrets = "WEBHOOK_SECRETS"
	typePartner       = "PARTNER"
	typePartnerIndex  = "PARTNER_INDEX"
	typeAPIKey        = "API_KEY"
	typeProvider      = "IDENTITY_PROVIDER"
	typeAudit         = "PARTNER_AUDIT"
)

// keyJSON is an API key as the partner's items list them.
type keyJSON struct {
	ID     string `json:"id"`
	Digest string `json:"digest"`
	Hint   string `json:"hint,omitempty"`
	span
}

// partnerAttrs are the attributes of a partner that its profile, its
// listing entry, each of its keys and its provider's item hold alike.
func partnerAttrs(item map[string]types.AttributeValue, p domain.PartnerRecord) map[string]types.AttributeValue {
	keys := make([]keyJSON, len(p.Keys))
	for i, k := range p.Keys {
		keys[i] = keyJSON{ID: k.ID, Digest: k.Digest, Hint: k.Hint, span: stamp(k.CreatedAt, k.ExpiresAt)}
	}
	list, _ := json.Marshal(keys) // strings only: cannot fail
	item["partnerId"] = str(p.ID)
	item["settings"] = str(string(p.Settings))
	item["keys"] = str(string(list))
	if p.Provider != "" {
		item["provider"] = str(p.Provider)
	}
	if p.Active {
		item["active"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if p.Hooked {
		item["hooked"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	item[attrRev] = num64(p.Rev)
	item["createdAt"] = ts(p.CreatedAt)
	item["updatedAt"] = ts(p.UpdatedAt)
	return item
}

func partnerFrom(item map[string]types.AttributeValue) (domain.PartnerRecord, error) {
	r := reader{item: item}
	p := domain.PartnerRecord{ID: r.str("partnerId", true), Settings: []byte(r.str("settings", true)),
		Provider: r.str("provider", false), CreatedAt: r.time("createdAt"), UpdatedAt: r.time("updatedAt")}
	active, _ := item["active"].(*types.AttributeValueMemberBOOL)
	hooked, _ := item["hooked"].(*types.AttributeValueMemberBOOL)
	p.Active, p.Hooked = active != nil && active.Value, hooked != nil && hooked.Value
	list := r.str("keys", true)
	p.Rev = r.int(attrRev)
	if r.err != nil {
		return p, r.err
	}
	var keys []keyJSON
	if err := json.Unmarshal([]byte(list), &keys); err != nil {
		return p, errors.New("dynamostore: partner keys are not a list")
	}
	for _, k := range keys {
		key := domain.APIKey{ID: k.ID, Digest: k.Digest, Hint: k.Hint}
		var err error
		if key.CreatedAt, key.ExpiresAt, err = k.times(); err != nil {
			return p, err
		}
		p.Keys = append(p.Keys, key)
	}
	return p, nil
}

// SavePartner is one TransactWriteItems: the profile (conditioned on its
// revision), the listing entry, each key (conditioned on being free or
// the partner's), the removed keys' deletes, the provider's item
// (conditioned likewise) and the old provider's delete, the audit entry.
func (s *Store) SavePartner(ctx context.Context, prev *domain.PartnerRecord, p domain.PartnerRecord, a domain.AuditEntry) error {
	pid := map[string]types.AttributeValue{":pid": str(p.ID)}
	profile := &types.Put{TableName: &s.table, Item: partnerAttrs(newItem(partnerPK(p.ID), partnerSK, typePartner), p)}
	if prev == nil {
		profile.ConditionExpression = aws.String(condAbsent)
	} else {
		profile.ConditionExpression = aws.String(attrRev + " = :rev")
		profile.ExpressionAttributeValues = map[string]types.AttributeValue{":rev": num64(prev.Rev)}
	}
	items := []types.TransactWriteItem{
		{Put: profile},
		{Put: &types.Put{TableName: &s.table, Item: partnerAttrs(newItem(partnersIndexPK, p.ID, typePartnerIndex), p)}},
	}
	kinds := []domain.Reason{domain.ReasonStalePartner, ""}
	kept := map[string]bool{}
	for _, k := range p.Keys {
		kept[k.Digest] = true
		item := partnerAttrs(newItem(apiKeyPK(k.Digest), apiKeySK, typeAPIKey, "keyId", k.ID), p)
		item["keyCreatedAt"] = ts(k.CreatedAt)
		if !k.ExpiresAt.IsZero() {
			item["keyExpiresAt"] = ts(k.ExpiresAt)
			item["keyExpiresNs"] = nanos(k.ExpiresAt) // a number, for KeyCheck's comparison
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item,
			ConditionExpression: aws.String(condAbsent + " OR partnerId = :pid"), ExpressionAttributeValues: pid}})
		kinds = append(kinds, domain.ReasonKeyTaken)
	}
	if prev != nil {
		for _, k := range prev.Keys {
			if !kept[k.Digest] {
				items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(apiKeyPK(k.Digest), apiKeySK)}},
					types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(apiKeyPK(k.Digest), apiKeyUsedSK)}})
				kinds = append(kinds, "", "")
			}
		}
		if prev.Provider != "" && prev.Provider != p.Provider {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(providerPK(prev.Provider), providerSK)}})
			kinds = append(kinds, "")
		}
	}
	if p.Provider != "" {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table,
			Item:                partnerAttrs(newItem(providerPK(p.Provider), providerSK, typeProvider), p),
			ConditionExpression: aws.String(condAbsent + " OR partnerId = :pid"), ExpressionAttributeValues: pid}})
		kinds = append(kinds, domain.ReasonProviderTaken)
	}
	items = append(items, s.putAudit(a))
	kinds = append(kinds, "")
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:save_partner_cancelled")
	if err != nil || failed == nil {
		return err
	}
	i := conditionFailed(failed)
	switch {
	case i == 0 && prev == nil:
		return domain.E(domain.Conflict, domain.ReasonPartnerExists)
	case i == 0:
		return domain.E(domain.Stale, domain.ReasonStalePartner)
	case i > 0 && kinds[i] != "":
		return domain.E(domain.Conflict, kinds[i])
	}
	return logsafe.Wrap("dynamodb:save_partner_condition", errors.New("an unconditioned write was refused"))
}

// DeletePartner is one TransactWriteItems: the profile's delete
// (conditioned on its revision), the listing entry's, each key's, the
// provider's, and the audit entry.
func (s *Store) DeletePartner(ctx context.Context, p domain.PartnerRecord, a domain.AuditEntry) error {
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(partnerPK(p.ID), partnerSK),
			ConditionExpression:       aws.String(attrRev + " = :rev"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":rev": num64(p.Rev)}}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(partnersIndexPK, p.ID)}},
	}
	for _, k := range p.Keys {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(apiKeyPK(k.Digest), apiKeySK)}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(apiKeyPK(k.Digest), apiKeyUsedSK)}})
	}
	if p.Provider != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(providerPK(p.Provider), providerSK)}})
	}
	items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(sealedSecretsPK(p.ID), sealedSecretsSK)}},
		s.putAudit(a))
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:delete_partner_cancelled")
	if err != nil || failed == nil {
		return err
	}
	return domain.E(domain.Stale, domain.ReasonStalePartner)
}

func (s *Store) putAudit(a domain.AuditEntry) types.TransactWriteItem {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	item := newItem(partnerPK(a.PartnerID), auditSK(a.At, hex.EncodeToString(suffix[:])), typeAudit,
		"partnerId", a.PartnerID, "actor", a.Actor, "action", a.Action, "detail", a.Detail)
	item["at"] = ts(a.At)
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}}
}

// GetPartner is one strongly consistent GetItem of the profile.
func (s *Store) GetPartner(ctx context.Context, id string) (domain.PartnerRecord, error) {
	return s.getPartnerItem(ctx, partnerPK(id), partnerSK, true)
}

// PartnerByProvider is one GetItem of the provider's item.
func (s *Store) PartnerByProvider(ctx context.Context, slug string) (domain.PartnerRecord, error) {
	return s.getPartnerItem(ctx, providerPK(slug), providerSK, false)
}

func (s *Store) getPartnerItem(ctx context.Context, pk, sk string, consistent bool) (domain.PartnerRecord, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pk, sk), ConsistentRead: aws.Bool(consistent)})
	if err != nil {
		return domain.PartnerRecord{}, err
	}
	if len(out.Item) == 0 {
		return domain.PartnerRecord{}, domain.ErrNotFound
	}
	return partnerFrom(out.Item)
}

// PartnerByKey is one GetItem of the key's item, which holds its partner.
func (s *Store) PartnerByKey(ctx context.Context, digest string) (domain.KeyMatch, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(apiKeyPK(digest), apiKeySK)})
	if err != nil {
		return domain.KeyMatch{}, err
	}
	if len(out.Item) == 0 {
		return domain.KeyMatch{}, domain.ErrNotFound
	}
	p, err := partnerFrom(out.Item)
	if err != nil {
		return domain.KeyMatch{}, err
	}
	for _, k := range p.Keys {
		if k.Digest == digest {
			return domain.KeyMatch{Key: k, Partner: p}, nil
		}
	}
	return domain.KeyMatch{}, logsafe.Wrap("dynamodb:key_not_listed", errors.New("a key's item is not among its partner's keys"))
}

// ListPartners is one Query of the listing's partition.
func (s *Store) ListPartners(ctx context.Context, after string, limit int) ([]domain.PartnerRecord, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(partnersIndexPK)},
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(limit))
	}
	if after != "" {
		in.ExclusiveStartKey = key(partnersIndexPK, after)
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	var ps []domain.PartnerRecord
	for _, it := range out.Items {
		p, err := partnerFrom(it)
		if err != nil {
			return nil, "", err
		}
		ps = append(ps, p)
	}
	next := ""
	if len(out.LastEvaluatedKey) > 0 && len(ps) > 0 {
		next = ps[len(ps)-1].ID
	}
	return ps, next, nil
}

// ListAudit is a Query of the partner's audit entries, paged through.
func (s *Store) ListAudit(ctx context.Context, partnerID string) ([]domain.AuditEntry, error) {
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(partnerPK(partnerID)), ":prefix": str(auditPrefix),
		},
		ConsistentRead: aws.Bool(true),
	}
	var out []domain.AuditEntry
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			r := reader{item: it}
			a := domain.AuditEntry{PartnerID: r.str("partnerId", true), Actor: r.str("actor", true), Action: r.str("action", true),
				Detail: r.str("detail", false), At: r.time("at")}
			if r.err != nil {
				return nil, r.err
			}
			out = append(out, a)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// usedRetention is how long a key's last use is kept after it (DynamoDB's
// TTL), should the key go without its record.
const usedRetention = 400 * 24 * time.Hour

// TouchKey is one UpdateItem of the key's last use, conditioned on an
// earlier day (a failed condition is the day recorded already).
func (s *Store) TouchKey(ctx context.Context, digest string, day time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(apiKeyPK(digest), apiKeyUsedSK),
		UpdateExpression:         aws.String("SET lastUsed = :day, #ttl = :ttl, #type = :type"),
		ConditionExpression:      aws.String("attribute_not_exists(lastUsed) OR lastUsed < :day"),
		ExpressionAttributeNames: map[string]string{"#ttl": attrTTL, "#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":day": epoch(day), ":ttl": epoch(day.Add(usedRetention)), ":type": str("API_KEY_USED"),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	return err
}

// KeysLastUsed is one BatchGetItem per 100 digests (and the retries of
// what DynamoDB leaves unprocessed).
func (s *Store) KeysLastUsed(ctx context.Context, digests []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for start := 0; start < len(digests); start += 100 {
		end := min(start+100, len(digests))
		var keys []map[string]types.AttributeValue
		for _, d := range digests[start:end] {
			keys = append(keys, key(apiKeyPK(d), apiKeyUsedSK))
		}
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys}}
		for len(req) > 0 {
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, err
			}
			for _, it := range res.Responses[s.table] {
				pk, _ := it[attrPK].(*types.AttributeValueMemberS)
				n, ok := it["lastUsed"].(*types.AttributeValueMemberN)
				if pk == nil || !ok {
					continue
				}
				sec, err := strconv.ParseInt(n.Value, 10, 64)
				if err != nil {
					return nil, errors.New("dynamostore: lastUsed is not a number")
				}
				out[pk.Value[len(apiKeyPK("")):]] = time.Unix(sec, 0).UTC()
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// SaveSealedSecrets is one TransactWriteItems: the secrets' item
// (conditioned on its revision), a check that the partner exists, and the
// audit entry.
func (s *Store) SaveSealedSecrets(ctx context.Context, prevRev int64, sec domain.SealedSecrets, a domain.AuditEntry) error {
	item := newItem(sealedSecretsPK(sec.PartnerID), sealedSecretsSK, typeSealedSecrets, "partnerId", sec.PartnerID)
	b, _ := json.Marshal(sealedList(sec.Secrets)) // strings and bytes only: cannot fail
	item["secrets"] = str(string(b))
	if len(sec.Endpoints) > 0 {
		m := make(map[string][]sealedJSON, len(sec.Endpoints))
		for e, l := range sec.Endpoints {
			m[e] = sealedList(l)
		}
		b, _ := json.Marshal(m)
		item["endpointSecrets"] = str(string(b))
	}
	item[attrRev] = num64(sec.Rev)
	item["updatedAt"] = ts(sec.UpdatedAt)
	put := &types.Put{TableName: &s.table, Item: item}
	if prevRev == 0 {
		put.ConditionExpression = aws.String(condAbsent)
	} else {
		put.ConditionExpression = aws.String(attrRev + " = :rev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":rev": num64(prevRev)}
	}
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: put},
		{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: key(partnerPK(sec.PartnerID), partnerSK),
			ConditionExpression: aws.String("attribute_exists(" + attrPK + ")")}},
		s.putAudit(a),
	}}, "dynamodb:save_secrets_cancelled")
	if err != nil || failed == nil {
		return err
	}
	if conditionFailed(failed) == 1 {
		return domain.ErrNotFound
	}
	return domain.E(domain.Stale, domain.ReasonStalePartner)
}

// SealedSecrets is one strongly consistent GetItem.
func (s *Store) SealedSecrets(ctx context.Context, partnerID string) (domain.SealedSecrets, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(sealedSecretsPK(partnerID), sealedSecretsSK),
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.SealedSecrets{}, err
	}
	if len(out.Item) == 0 {
		return domain.SealedSecrets{}, domain.ErrNotFound
	}
	r := reader{item: out.Item}
	sec := domain.SealedSecrets{PartnerID: r.str("partnerId", true), UpdatedAt: r.time("updatedAt")}
	raw := r.str("secrets", true)
	sec.Rev = r.int(attrRev)
	if r.err != nil {
		return sec, r.err
	}
	var list []sealedJSON
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return sec, errors.New("dynamostore: webhook secrets are not a list")
	}
	if sec.Secrets, err = unsealedList(list); err != nil {
		return sec, err
	}
	if r.has("endpointSecrets") {
		var m map[string][]sealedJSON
		if err := json.Unmarshal([]byte(r.str("endpointSecrets", true)), &m); err != nil {
			return sec, errors.New("dynamostore: endpoint secrets are not a map of lists")
		}
		sec.Endpoints = make(map[string][]domain.SealedSecret, len(m))
		for e, l := range m {
			if sec.Endpoints[e], err = unsealedList(l); err != nil {
				return sec, err
			}
		}
	}
	return sec, r.err
}

func sealedList(l []domain.SealedSecret) []sealedJSON {
	out := make([]sealedJSON, len(l))
	for i, x := range l {
		out[i] = sealedJSON{ID: x.ID, Sealed: x.Sealed, span: stamp(x.CreatedAt, x.ExpiresAt)}
	}
	return out
}

func unsealedList(l []sealedJSON) ([]domain.SealedSecret, error) {
	var out []domain.SealedSecret
	for _, x := range l {
		one := domain.SealedSecret{ID: x.ID, Sealed: x.Sealed}
		var err error
		if one.CreatedAt, one.ExpiresAt, err = x.times(); err != nil {
			return nil, err
		}
		out = append(out, one)
	}
	return out, nil
}

// sealedJSON is a sealed webhook secret as its partner's item lists it.
type sealedJSON struct {
	ID     string `json:"id"`
	Sealed []byte `json:"sealed"`
	span
}

// checkKey adds ctx's KeyCheck, if any, to the transaction in: a
// ConditionCheck of the key's item (its partner, its expiry, its partner
// active). It returns the check's index in the transaction, -1 for none.
func (s *Store) checkKey(ctx context.Context, in *dynamodb.TransactWriteItemsInput) int {
	c, ok := domain.KeyCheckOf(ctx)
	if !ok {
		return -1
	}
	cond := "partnerId = :pid AND active = :true AND (attribute_not_exists(keyExpiresNs) OR keyExpiresNs > :at)"
	if c.Hooked {
		cond += " AND hooked = :true"
	}
	in.TransactItems = append(in.TransactItems, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(apiKeyPK(c.Digest), apiKeySK),
		ConditionExpression: aws.String(cond),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pid": str(c.PartnerID), ":true": &types.AttributeValueMemberBOOL{Value: true},
			":at": nanos(c.At)},
	}})
	return len(in.TransactItems) - 1
}
