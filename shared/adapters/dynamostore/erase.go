package dynamostore

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"
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

// EraseUser reads the user's partition backwards from its profile and its
// events' partition, a page of each (consistent Queries), and deletes what
// they hold, with the guard and the link the profile names, in
// transactions of up to 100 actions: the first one also turns the profile
// into the tombstone and writes ev, on the condition that the profile is
// as read (its revision, which every write that adds to the user's items
// counts), so nothing written meanwhile is left behind; after it nothing
// can be added. A user of up to 96 items besides its profile, guard and
// link is erased in that one transaction: three round trips. A larger one
// is marked unfinished by it; the rest is read a page at a time and
// deleted eraseWorkers transactions at once, until the deadline is near
// (the cleanup finishes what is left: UnfinishedErasures), and the mark
// goes with the last delete.
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
	users := s.partitionReader(userPK(userID), false, true)
	items, err := users.next(ctx)
	if err != nil {
		return err
	}
	var profile map[string]types.AttributeValue
	if len(items) > 0 && attrS(items[0], attrSK) == userProfileSK {
		profile, items = items[0], items[1:]
	}
	switch {
	case profile == nil:
		return domain.ErrNotFound
	case attrS(profile, "partnerId") != partnerID && erased(profile):
		return domain.ErrNotFound
	case attrS(profile, "partnerId") != partnerID:
		return domain.ErrNotOwned
	}
	events := s.partitionReader(userOutboxPK(userID), true, false)
	evs, err := events.next(ctx)
	if err != nil {
		return err
	}
	groups := s.eraseGroups(userID, append(items, evs...))
	more := !users.done || !events.done
	var first []types.TransactWriteItem
	rest := pages(nil, groups)
	if !erased(profile) {
		u, err := userFrom(profile)
		if err != nil {
			return err
		}
		first = s.tombstoneActions(u, attrN(profile, attrRev), ev, now, false)
		if more || len(pages(first, groups)) > 1 {
			first = s.tombstoneActions(u, attrN(profile, attrRev), ev, now, true)
		}
		all := pages(first, groups)
		failed, err := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: all[0]}, "dynamodb:erase_user_cancelled")
		switch {
		case err != nil:
			return err
		case failed != nil:
			return errUserChanged
		}
		rest = all[1:]
	}
	marked := attrS(profile, attrPendingShard) == erasingShard || first != nil && (more || len(rest) > 0)
	stopped, err := s.deleteAll(ctx, rest, func(ctx context.Context) ([][]types.TransactWriteItem, error) {
		for _, r := range []*partitionReader{users, events} {
			if !r.done {
				page, err := r.next(ctx)
				if err != nil {
					return nil, err
				}
				return pages(nil, s.eraseGroups(userID, page)), nil
			}
		}
		return nil, nil
	})
	switch {
	case err != nil && marked && ctx.Err() != nil:
		return nil // out of time: the user reads as erased, the cleanup finishes
	case err != nil || stopped || !marked:
		return err
	}
	return s.finishErasure(ctx, userID)
}

// eraseGroups are the deletes of items, each group in one transaction: a
// session goes with its reference, so that none is left without one.
func (s *Store) eraseGroups(userID string, items []map[string]types.AttributeValue) [][]types.TransactWriteItem {
	var groups [][]types.TransactWriteItem
	for _, it := range items {
		pk, sk := attrS(it, attrPK), attrS(it, attrSK)
		switch {
		case sk == userProfileSK:
		case pk == userPK(userID) && strings.HasPrefix(sk, kycRefPrefix):
			groups = append(groups, []types.TransactWriteItem{
				s.deleteAction(pk, sk),
				s.deleteAction(kycSessionPK(refSessionID(it)), kycSessionSK),
			})
		default:
			groups = append(groups, []types.TransactWriteItem{s.deleteAction(pk, sk)})
		}
	}
	return groups
}

// eraseWorkers is how many of an erasure's transactions run at once;
// eraseReserve is the time before the deadline at which no more begin;
// erasePage is how many items a read of a partition returns.
const (
	eraseWorkers = 8
	eraseReserve = 2 * time.Second
	erasePage    = 200
)

// deleteAll runs the transactions of first, then of each batch more
// reads (nil when there is no more), eraseWorkers at once; stopped when
// the deadline came near before all had run.
func (s *Store) deleteAll(ctx context.Context, first [][]types.TransactWriteItem,
	more func(context.Context) ([][]types.TransactWriteItem, error)) (stopped bool, err error) {
	next := make(chan []types.TransactWriteItem)
	var mu sync.Mutex
	fail := func(e error) {
		mu.Lock()
		err = cmp.Or(err, e)
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return err != nil
	}
	var wg sync.WaitGroup
	for range eraseWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for page := range next {
				cancelled, e := s.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: page}, "dynamodb:erase_user_cancelled")
				if e == nil && cancelled != nil {
					e = logsafe.Wrap("dynamodb:erase_user_condition", errors.New("an unconditional delete was cancelled by a condition"))
				}
				if e != nil {
					fail(e)
				}
			}
		}()
	}
	short := func() bool {
		dl, ok := ctx.Deadline()
		return ok && time.Until(dl) < eraseReserve
	}
	batch := first
feed:
	for {
		for _, page := range batch {
			if failed() || short() {
				stopped = true
				break feed
			}
			next <- page
		}
		if failed() || short() {
			stopped = true
			break
		}
		b, e := more(ctx)
		if e != nil {
			fail(e)
			break
		}
		if b == nil {
			break
		}
		batch = b
	}
	close(next)
	wg.Wait()
	return stopped, err
}

// erasingShard is the pending index's partition of the erasures left
// unfinished: their tombstones, until the last delete.
const erasingShard = "ERASING"

// finishErasure takes a finished erasure's tombstone out of the pending
// index.
func (s *Store) finishErasure(ctx context.Context, userID string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(userPK(userID), userProfileSK),
		UpdateExpression:         aws.String("REMOVE #shard, #exp"),
		ConditionExpression:      aws.String("attribute_exists(" + attrDeletedAt + ")"),
		ExpressionAttributeNames: map[string]string{"#shard": attrPendingShard, "#exp": attrPendingExpiry},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return err
}

// UnfinishedErasures is one Query of the pending index's erasing
// partition: the tombstones of erasures a call left unfinished.
func (s *Store) UnfinishedErasures(ctx context.Context, limit int) ([]domain.SessionRef, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexPendingByExpiry),
		KeyConditionExpression:    aws.String("#shard = :shard"),
		ExpressionAttributeNames:  map[string]string{"#shard": attrPendingShard, "#pk": attrPK, "#pid": "partnerId"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":shard": str(erasingShard)},
		ProjectionExpression:      aws.String("#pk, #pid"),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, err
	}
	var refs []domain.SessionRef
	for _, it := range out.Items {
		if id, ok := strings.CutPrefix(attrS(it, attrPK), userPK("")); ok {
			refs = append(refs, domain.SessionRef{UserID: id, PartnerID: attrS(it, "partnerId")})
		}
	}
	return refs, nil
}

// tombstoneActions are the erasure's first actions: the profile becomes
// the tombstone (if it is still at revision rev, "" for none), the guard
// and the link go (if they are still the user's), and ev is written.
func (s *Store) tombstoneActions(u domain.User, rev string, ev domain.OutboxEvent, now time.Time, unfinished bool) []types.TransactWriteItem {
	cond := condLiveUser + " AND partnerId = :pid AND attribute_not_exists(" + attrRev + ")"
	values := map[string]types.AttributeValue{":pid": str(u.PartnerID)}
	if rev != "" {
		cond = condLiveUser + " AND partnerId = :pid AND " + attrRev + " = :rev"
		values[":rev"] = &types.AttributeValueMemberN{Value: rev}
	}
	tomb := newItem(userPK(u.ID), userProfileSK, typeUser, "userId", u.ID, "partnerId", u.PartnerID)
	tomb[attrDeletedAt] = ts(now)
	testTTL(tomb, u.PartnerID, now) // a test user's tombstone goes with the rest of test data
	if unfinished {
		tomb[attrPendingShard], tomb[attrPendingExpiry] = str(erasingShard), epoch(now)
	}
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
	if ev.ID == "" {
		return actions // a wipe's erasure writes no event
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

// partitionReader reads partition pk a page at a time (consistently;
// keysOnly: keys alone; backwards: from the highest sort key, the user's
// profile).
type partitionReader struct {
	s    *Store
	in   *dynamodb.QueryInput
	done bool
}

func (s *Store) partitionReader(pk string, keysOnly, backwards bool) *partitionReader {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(!backwards),
		Limit:                     aws.Int32(erasePage),
	}
	if keysOnly {
		in.ExpressionAttributeNames["#sk"] = attrSK
		in.ProjectionExpression = aws.String("#pk, #sk")
	}
	return &partitionReader{s: s, in: in}
}

// next is the next page (nil once done).
func (r *partitionReader) next(ctx context.Context) ([]map[string]types.AttributeValue, error) {
	if r.done {
		return nil, nil
	}
	page, err := r.s.db.Query(ctx, r.in)
	if err != nil {
		return nil, err
	}
	r.in.ExclusiveStartKey = page.LastEvaluatedKey
	r.done = len(page.LastEvaluatedKey) == 0
	return page.Items, nil
}
