package dynamostore

// The partner's events API over the three spread indexes (keys.go): a
// listing merges the partitions of one index newest first, then reads its
// page's events from the table.

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

// eventIndexItem adds to an outbox event's item the keys of the indexes
// it is in: its shard, its type's shard, and its state's while pending.
func eventIndexItem(item map[string]types.AttributeValue, ev domain.OutboxEvent) {
	item[attrEventShard] = str(eventShardKey(ev.PartnerID, ev.ID))
	item[attrEventTypeShard] = str(eventTypeKey(ev.PartnerID, ev.Type, ev.ID))
	if k, ok := eventStateKey(ev.PartnerID, domain.OutboxPending, ev.ID); ok {
		item[attrEventState] = str(k)
	}
}

// ListOutboxEvents merges the partner's partitions of one index newest
// first (the state index for a pending or failed filter, the type index
// for a type filter, else the shard index; see merge), then reads each
// batch of ids from the table (one BatchGetItem, never the payload) and
// keeps those of the status asked for (the index may lag the table). A
// page takes at most maxListBatches batches; the cursor is the last id
// taken, and each partition is read below it.
func (s *Store) ListOutboxEvents(ctx context.Context, partnerID string, q domain.OutboxQuery) (domain.OutboxPage, error) {
	m := &merge{s: s, sortAttr: "eventId"}
	switch {
	case q.Status == domain.OutboxPending:
		m.index, m.keyAttr = indexEventsByState, attrEventState
		m.keys = shardKeys(partnerID+"#"+q.Status, pendingEventShards)
	case q.Status == domain.OutboxFailed:
		m.index, m.keyAttr = indexEventsByState, attrEventState
		m.keys = shardKeys(partnerID+"#"+q.Status, failedShards)
	case q.Type != "":
		m.index, m.keyAttr = indexEventsByType, attrEventTypeShard
		m.keys = shardKeys(partnerID+"#"+q.Type, eventShards)
	default:
		m.index, m.keyAttr = indexEventsByShard, attrEventShard
		m.keys = shardKeys(partnerID, eventShards)
	}
	if q.Type != "" && m.index == indexEventsByState {
		m.filter, m.filterValue = "eventType", q.Type
	}
	if q.After != nil {
		m.before = q.After.ID
	}
	var page domain.OutboxPage
	last := ""
	for range maxListBatches {
		ids, err := m.take(ctx, q.Limit-len(page.Events))
		if err != nil {
			return domain.OutboxPage{}, err
		}
		if len(ids) == 0 {
			break
		}
		states, err := s.readEvents(ctx, ids)
		if err != nil {
			return domain.OutboxPage{}, err
		}
		for _, st := range states {
			if st.Event.PartnerID == partnerID && (q.Status == "" || st.Status == q.Status) && (q.Type == "" || st.Event.Type == q.Type) {
				page.Events = append(page.Events, st)
			}
		}
		last = ids[len(ids)-1].ID
		if len(page.Events) >= q.Limit {
			break
		}
	}
	if next := m.resume(last); next != "" {
		page.Next = &domain.EventKey{ID: next}
	}
	return page, nil
}

// maxListBatches bounds the reads of the table for one page (a status
// filter over the shard index may drop much of a batch).
const maxListBatches = 4

// FindOutboxEvent is one Query of the event's partition of the shard
// index by its id, and one read of the event (never the payload).
func (s *Store) FindOutboxEvent(ctx context.Context, partnerID, eventID string) (domain.OutboxState, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexEventsByShard),
		KeyConditionExpression:    aws.String("#k = :k AND eventId = :id"),
		ExpressionAttributeNames:  map[string]string{"#k": attrEventShard},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": str(eventShardKey(partnerID, eventID)), ":id": str(eventID)},
	})
	if err != nil {
		return domain.OutboxState{}, err
	}
	var ids []domain.EventKey
	for _, it := range out.Items {
		if k, ok := OutboxKeyOf(attrS(it, attrPK), attrS(it, attrSK)); ok {
			ids = append(ids, k)
		}
	}
	states, err := s.readEvents(ctx, ids)
	if err != nil {
		return domain.OutboxState{}, err
	}
	if len(states) == 0 || states[0].Event.PartnerID != partnerID {
		return domain.OutboxState{}, domain.ErrNotFound
	}
	return states[0], nil
}

// listedAttrs are what a listing reads of an event: everything but the
// payload and its scrubbed copy.
var listedAttrs = []string{attrPK, attrSK, "eventId", "eventType", "partnerId", "userId", "createdAt", attrTTL, attrDeliveryStatus,
	attrDeliveries, attrDeliveryRev, attrAttempts, attrScheduled, attrLastAttemptAt, attrLastResponse, "deliveredAt", "deadLetteredAt"}

// readEvents reads the events of ids (at most 100) from the table, in the
// order of ids, leaving out those gone (TTL deleted, erased): one
// BatchGetItem (batchGet).
func (s *Store) readEvents(ctx context.Context, ids []domain.EventKey) ([]domain.OutboxState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]map[string]types.AttributeValue, len(ids))
	at := make(map[string]int, len(ids))
	for i, k := range ids {
		keys[i] = key(outboxPK(k), outboxSK(k.ID))
		at[outboxPK(k)+"\x00"+outboxSK(k.ID)] = i
	}
	names := map[string]string{}
	proj := make([]string, len(listedAttrs))
	for i, a := range listedAttrs {
		proj[i] = "#a" + string(rune('a'+i))
		names[proj[i]] = a
	}
	found := make([]*domain.OutboxState, len(ids))
	err := s.batchGet(ctx, types.KeysAndAttributes{Keys: keys, ProjectionExpression: aws.String(strings.Join(proj, ", ")),
		ExpressionAttributeNames: names}, func(item map[string]types.AttributeValue) error {
		i, ok := at[attrS(item, attrPK)+"\x00"+attrS(item, attrSK)]
		if !ok {
			return nil
		}
		st, err := outboxStateFrom(item)
		found[i] = &st
		return err
	})
	if err != nil {
		return nil, err
	}
	var states []domain.OutboxState
	for _, st := range found {
		if st != nil {
			states = append(states, *st)
		}
	}
	return states, nil
}

// merge reads the partitions keys of an index, each sorted by sortAttr,
// as one list newest first, below before ("" for the top). Each
// partition is read in pages; an id is taken once no partition can still
// hold a newer one: each partition not read to its end may hold only ids
// below where it stopped (its pos), so ids at or above the highest pos
// are final. A take reads again only the partitions that hold the next
// id back.
type merge struct {
	s           *Store
	index       string
	keyAttr     string
	sortAttr    string
	keys        []string
	before      string
	filter      string // an attribute the index projects that must equal filterValue ("" for none)
	filterValue string

	parts  []part
	rounds int
}

// part is one partition's state in a merge.
type part struct {
	read bool   // queried at least once
	done bool   // read to its end
	pos  string // where its last query stopped (ids below it are unread)
	buf  []domain.EventKey
}

// maxMergeRounds bounds the rounds of queries of one take.
const maxMergeRounds = 8

// take returns up to n more ids, newest first (fewer once the partitions
// are all read, or after maxMergeRounds rounds).
func (m *merge) take(ctx context.Context, n int) ([]domain.EventKey, error) {
	if m.parts == nil {
		m.parts = make([]part, len(m.keys))
		for i := range m.parts {
			m.parts[i].pos = m.before
		}
	}
	var out []domain.EventKey
	for round := 0; ; round++ {
		for len(out) < n {
			best := -1
			for i, p := range m.parts {
				if len(p.buf) > 0 && (best < 0 || p.buf[0].ID > m.parts[best].buf[0].ID) {
					best = i
				}
			}
			if best < 0 || !m.final(m.parts[best].buf[0].ID) {
				break
			}
			out = append(out, m.parts[best].buf[0])
			m.parts[best].buf = m.parts[best].buf[1:]
		}
		if len(out) >= n || m.exhausted() || round == maxMergeRounds {
			return out, nil
		}
		// Read again the partitions that hold the next id back: not read
		// to their end, and stopped above the newest id in hand.
		next := ""
		for _, p := range m.parts {
			if len(p.buf) > 0 && p.buf[0].ID > next {
				next = p.buf[0].ID
			}
		}
		var todo []int
		for i, p := range m.parts {
			if !p.done && len(p.buf) == 0 && (!p.read || next == "" || p.pos > next) {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			return out, nil // cannot happen: a held-back id has a partition to read
		}
		// A first round spreads the page over every partition (with some
		// slack: ids spread unevenly); later rounds read what is missing.
		per := n - len(out) + 1
		if m.rounds == 0 {
			per = (n-len(out))/len(m.parts) + 2
		}
		m.rounds++
		if err := m.read(ctx, todo, per); err != nil {
			return nil, err
		}
	}
}

// final tells whether id may be taken: no partition still unread above it.
func (m *merge) final(id string) bool {
	for _, p := range m.parts {
		if !p.done && (!p.read || p.pos > id) {
			return false
		}
	}
	return true
}

// exhausted tells whether every partition is read to its end and taken.
func (m *merge) exhausted() bool {
	for _, p := range m.parts {
		if !p.done || len(p.buf) > 0 {
			return false
		}
	}
	return true
}

// resume is the cursor after a listing that took last ("" when the
// merge is exhausted): below last, or, when a take stopped before it
// found an id, below where every partition's unread ids start.
func (m *merge) resume(last string) string {
	if m.parts == nil || m.exhausted() {
		return ""
	}
	if last != "" {
		return last
	}
	top := ""
	for _, p := range m.parts {
		if !p.done && p.pos > top {
			top = p.pos
		}
	}
	if top == "" {
		return m.before
	}
	return top
}

// read queries the partitions todo at once, limit items each, below
// their positions.
func (m *merge) read(ctx context.Context, todo []int, limit int) error {
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for j, i := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[j] = m.readOne(ctx, i, limit)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (m *merge) readOne(ctx context.Context, i, limit int) error {
	p := &m.parts[i]
	in := &dynamodb.QueryInput{
		TableName:                 &m.s.table,
		IndexName:                 aws.String(m.index),
		KeyConditionExpression:    aws.String("#k = :k"),
		ExpressionAttributeNames:  map[string]string{"#k": m.keyAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": str(m.keys[i])},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	}
	if p.pos != "" {
		in.KeyConditionExpression = aws.String("#k = :k AND #s < :pos")
		in.ExpressionAttributeNames["#s"] = m.sortAttr
		in.ExpressionAttributeValues[":pos"] = str(p.pos)
	}
	if m.filter != "" {
		in.FilterExpression = aws.String("#f = :f")
		in.ExpressionAttributeNames["#f"] = m.filter
		in.ExpressionAttributeValues[":f"] = str(m.filterValue)
	}
	out, err := m.s.db.Query(ctx, in)
	if err != nil {
		return err
	}
	for _, it := range out.Items {
		if k, ok := OutboxKeyOf(attrS(it, attrPK), attrS(it, attrSK)); ok {
			p.buf = append(p.buf, k)
		}
	}
	p.read = true
	if len(out.LastEvaluatedKey) == 0 {
		p.done = true
		return nil
	}
	p.pos = attrS(out.LastEvaluatedKey, m.sortAttr)
	if p.pos == "" {
		return logsafe.Wrap("dynamodb:merge_position", errors.New("a page ended without its sort key"))
	}
	return nil
}
