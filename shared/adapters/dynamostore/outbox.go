package dynamostore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

// Attributes of an outbox event's delivery state.
const (
	attrDeliveryStatus = "deliveryStatus"
	attrAttempts       = "attempts"
	attrScheduled      = "scheduledAttempt"
	attrLastAttemptAt  = "lastAttemptAt"
	attrLastResponse   = "lastResponseStatus"
	attrScrubbed       = "scrubbed"
	attrDeliveries     = "deliveries"
	attrDeliveryRev    = "deliveryRev"
)

// deliveryJSON is one delivery as the event's item lists it (a JSON list
// in attribute deliveries).
type deliveryJSON struct {
	Endpoint     string    `json:"endpointId"`
	Status       string    `json:"status"`
	Attempts     int       `json:"attempts,omitempty"`
	Scheduled    int       `json:"scheduled,omitempty"`
	LastAttempt  time.Time `json:"lastAttemptAt,omitzero"`
	LastResponse int       `json:"lastResponseStatus,omitempty"`
	DeadLettered bool      `json:"deadLettered,omitempty"`
}

// OutboxStatus reads the event and its delivery state (one consistent GetItem).
func (s *Store) OutboxStatus(ctx context.Context, k domain.EventKey) (domain.OutboxState, error) {
	item, err := s.get(ctx, outboxPK(k), outboxSK(k.ID))
	if err != nil {
		return domain.OutboxState{}, err
	}
	return outboxStateFrom(item)
}

func outboxStateFrom(item map[string]types.AttributeValue) (domain.OutboxState, error) {
	r := reader{item: item}
	st := domain.OutboxState{Event: domain.OutboxEvent{
		ID: r.str("eventId", true), Type: r.str("eventType", true), PartnerID: r.str("partnerId", true), UserID: r.str("userId", false),
	}}
	if r.has("payload") {
		st.Event.Payload = r.bytes("payload")
	}
	if r.has(attrScrubbed) {
		st.Event.Scrubbed = r.bytes(attrScrubbed)
	}
	st.Event.CreatedAt = r.time("createdAt")
	if n := attrN(item, attrTTL); n != "" {
		if sec, err := strconv.ParseInt(n, 10, 64); err == nil {
			st.Event.RetainUntil = time.Unix(sec, 0).UTC()
		}
	}
	st.Status = r.str(attrDeliveryStatus, false)
	switch {
	case st.Status != "":
	case r.has("deliveredAt"): // written before delivery statuses
		st.Status = domain.OutboxDelivered
	default:
		st.Status = domain.OutboxPending
	}
	if r.has(attrDeliveries) {
		if err := readDeliveries(&r, &st); err != nil {
			return st, err
		}
		return st, r.err
	}
	// Written before deliveries per endpoint: the one delivery, to the
	// partner's first endpoint.
	if r.has(attrLastAttemptAt) {
		st.LastAttemptAt = r.time(attrLastAttemptAt)
	}
	st.Attempts, _ = strconv.Atoi(attrN(item, attrAttempts))
	st.Scheduled, _ = strconv.Atoi(attrN(item, attrScheduled))
	st.LastResponseStatus, _ = strconv.Atoi(attrN(item, attrLastResponse))
	st.DeadLettered = r.has("deadLetteredAt")
	if st.Attempts > 0 {
		st.Deliveries = []domain.Delivery{{EndpointID: domain.DefaultEndpointID, Status: st.Status, Attempts: st.Attempts, Scheduled: st.Scheduled,
			LastAttemptAt: st.LastAttemptAt, LastResponseStatus: st.LastResponseStatus, DeadLettered: st.DeadLettered}}
	}
	return st, r.err
}

// readDeliveries sets st's deliveries, revision and their sum from the
// item r reads.
func readDeliveries(r *reader, st *domain.OutboxState) error {
	var list []deliveryJSON
	if err := json.Unmarshal([]byte(r.str(attrDeliveries, true)), &list); err != nil {
		return errors.New("dynamostore: an event's deliveries are not a list")
	}
	st.Deliveries = nil
	for _, d := range list {
		st.Deliveries = append(st.Deliveries, domain.Delivery{EndpointID: d.Endpoint, Status: d.Status, Attempts: d.Attempts,
			Scheduled: d.Scheduled, LastAttemptAt: d.LastAttempt.UTC(), LastResponseStatus: d.LastResponse, DeadLettered: d.DeadLettered})
	}
	st.Rev = r.int(attrDeliveryRev)
	st.Sum()
	return r.err
}

// RecordDeliveries is one conditional UpdateItem: the deliveries (a JSON
// list), their sum (the status), the event's key in the state index (set
// while pending or failed, removed otherwise), the revision, and the
// scrubbed payload in place of the payload. rec.State.Event is the event
// as read (its partner and id key the state index).
func (s *Store) RecordDeliveries(ctx context.Context, k domain.EventKey, prevRev int64, rec domain.OutboxRecord) error {
	st := rec.State
	list := make([]deliveryJSON, len(st.Deliveries))
	for i, d := range st.Deliveries {
		list[i] = deliveryJSON{Endpoint: d.EndpointID, Status: d.Status, Attempts: d.Attempts, Scheduled: d.Scheduled,
			LastAttempt: d.LastAttemptAt.UTC(), LastResponse: d.LastResponseStatus, DeadLettered: d.DeadLettered}
	}
	b, _ := json.Marshal(list) // strings, numbers and times: cannot fail
	set := []string{"#st = :st", "#d = :d", "#rev = :rev", attrAttempts + " = :n", attrScheduled + " = :sch"}
	values := map[string]types.AttributeValue{":st": str(st.Status), ":d": str(string(b)), ":rev": num(int(prevRev) + 1),
		":n": num(st.Attempts), ":sch": num(st.Scheduled)}
	var remove []string
	if st.LastAttemptAt.IsZero() {
		remove = append(remove, attrLastAttemptAt)
	} else {
		set = append(set, attrLastAttemptAt+" = :at")
		values[":at"] = ts(st.LastAttemptAt)
	}
	if st.LastResponseStatus != 0 {
		set = append(set, attrLastResponse+" = :resp")
		values[":resp"] = num(st.LastResponseStatus)
	} else {
		remove = append(remove, attrLastResponse)
	}
	if st.DeadLettered {
		set = append(set, "deadLetteredAt = if_not_exists(deadLetteredAt, :dl)")
		values[":dl"] = ts(st.LastAttemptAt)
	}
	if rec.Scrubbed != nil {
		set = append(set, "payload = :scrubbed")
		values[":scrubbed"] = &types.AttributeValueMemberB{Value: rec.Scrubbed}
		remove = append(remove, attrScrubbed)
	}
	if rec.RedeliveryMade {
		remove = append(remove, attrRedeliveryAt)
	}
	// The event's place in the state index follows its status.
	if st.Event.PartnerID == "" {
		return logsafe.Wrap("dynamodb:record_without_partner", errors.New("a delivery state without its event's partner"))
	}
	if k, ok := eventStateKey(st.Event.PartnerID, st.Status, k.ID); ok {
		set = append(set, attrEventState+" = :state")
		values[":state"] = str(k)
	} else {
		remove = append(remove, attrEventState)
	}
	cond := "attribute_exists(" + attrPK + ") AND "
	if prevRev == 0 {
		cond += "attribute_not_exists(#rev)"
	} else {
		cond += "#rev = :prev"
		values[":prev"] = num(int(prevRev))
	}
	update := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		update += " REMOVE " + strings.Join(remove, ", ")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 key(outboxPK(k), outboxSK(k.ID)),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            map[string]string{"#st": attrDeliveryStatus, "#d": attrDeliveries, "#rev": attrDeliveryRev},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed) && failed.Item == nil:
		return domain.ErrNotFound
	case errors.As(err, &failed):
		return domain.E(domain.Stale, domain.ReasonStaleAttempt)
	}
	return err
}

// PutOutboxEvent is one conditional PutItem, or with a budget one
// TransactWriteItems: the put and the budget's count.
func (s *Store) PutOutboxEvent(ctx context.Context, ev domain.OutboxEvent, b domain.Budget) error {
	if _, checked := domain.KeyCheckOf(ctx); !b.Counted() && !checked {
		_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:           &s.table,
			Item:                outboxItem(ev),
			ConditionExpression: aws.String(condAbsent),
		})
		return err
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{s.putEvent(ev)}}
	if b.Counted() {
		in.TransactItems = append(in.TransactItems, s.spend(b, 1))
	}
	checked := s.checkKey(ctx, in)
	failed, err := s.transact(ctx, in, "dynamodb:put_event_cancelled")
	switch {
	case err != nil || failed == nil:
		return err
	case checked >= 0 && aws.ToString(failed[checked].Code) == "ConditionalCheckFailed":
		return domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)
	case b.Counted() && conditionFailed(failed) == 1:
		return domain.ErrLimited
	}
	return logsafe.Wrap("dynamodb:put_event_condition", errors.New("the event id is in use"))
}

// spend is the transaction action that counts n of b, only while its
// count is under its limit (n = -1 gives one back).
func (s *Store) spend(b domain.Budget, n int) types.TransactWriteItem {
	u := &types.Update{
		TableName:                &s.table,
		Key:                      key(budgetPK(b.PartnerID, b.Name, b.Window.Unix()), budgetSK),
		UpdateExpression:         aws.String("SET #ttl = :ttl ADD #n :n"),
		ExpressionAttributeNames: map[string]string{"#n": attrCount, "#ttl": attrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":n": num(n), ":ttl": epoch(b.Until.Add(time.Hour)),
		},
	}
	if n > 0 {
		u.ConditionExpression = aws.String("attribute_not_exists(#n) OR #n < :limit")
		u.ExpressionAttributeValues[":limit"] = num(b.Limit)
	}
	return types.TransactWriteItem{Update: u}
}

// QueueRedelivery is one TransactWriteItems: the event's redelivery mark,
// conditioned on none newer than since, and the budget's count.
func (s *Store) QueueRedelivery(ctx context.Context, k domain.EventKey, at, since time.Time, b domain.Budget) error {
	mark := types.TransactWriteItem{Update: &types.Update{
		TableName:                           &s.table,
		Key:                                 key(outboxPK(k), outboxSK(k.ID)),
		UpdateExpression:                    aws.String("SET #r = :at"),
		ConditionExpression:                 aws.String("attribute_exists(" + attrPK + ") AND (attribute_not_exists(#r) OR #r <= :since)"),
		ExpressionAttributeNames:            map[string]string{"#r": attrRedeliveryAt},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":at": nanos(at), ":since": nanos(since)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
	items := []types.TransactWriteItem{mark}
	if b.Counted() {
		items = append(items, s.spend(b, 1))
	}
	failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}, "dynamodb:queue_redelivery_cancelled")
	switch {
	case err != nil || failed == nil:
		return err
	case conditionFailed(failed) == 0 && failed[0].Item == nil:
		return domain.ErrNotFound
	case conditionFailed(failed) == 0:
		return domain.E(domain.Conflict, domain.ReasonRedeliveryQueued)
	}
	return domain.ErrLimited
}

// CancelRedelivery is two UpdateItems: the mark removed if it is still
// at's, the unit given back.
func (s *Store) CancelRedelivery(ctx context.Context, k domain.EventKey, at time.Time, b domain.Budget) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(outboxPK(k), outboxSK(k.ID)),
		UpdateExpression:          aws.String("REMOVE #r"),
		ConditionExpression:       aws.String("#r = :at"),
		ExpressionAttributeNames:  map[string]string{"#r": attrRedeliveryAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": nanos(at)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	if !b.Counted() {
		return nil
	}
	u := s.spend(b, -1).Update
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	return err
}

func num(n int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }

// putEvent is the transaction action that writes an outbox event.
func (s *Store) putEvent(ev domain.OutboxEvent) types.TransactWriteItem {
	return s.putNew(outboxItem(ev))
}

func outboxItem(ev domain.OutboxEvent) map[string]types.AttributeValue {
	item := newItem(outboxPK(ev.Key()), outboxSK(ev.ID), typeOutbox, "eventId", ev.ID, "eventType", ev.Type, "partnerId", ev.PartnerID,
		attrDeliveryStatus, domain.OutboxPending)
	if ev.UserID != "" {
		item["userId"] = str(ev.UserID)
	}
	item["payload"] = &types.AttributeValueMemberB{Value: ev.Payload}
	if ev.Scrubbed != nil {
		item[attrScrubbed] = &types.AttributeValueMemberB{Value: ev.Scrubbed}
	}
	item["createdAt"] = ts(ev.CreatedAt)
	eventIndexItem(item, ev)
	if !ev.RetainUntil.IsZero() {
		item[attrTTL] = epoch(ev.RetainUntil)
	}
	return item
}
