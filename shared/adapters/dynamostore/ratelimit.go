package dynamostore

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// rateIdle is how long a rate budget's item outlives its bucket's refill
// (TTL): an idle partner's item goes.
const rateIdle = time.Hour

// TakeRate makes t's step in one conditional UpdateItem, and a second when
// the first's guess of the bucket (full or not) was wrong: a full bucket's
// write sets the TAT to Now+Cost if the stored one is not after Now; a
// partly spent bucket's adds Cost to the stored TAT if it is after Now and
// no later than Now+Limit-Cost. A refusal returns the stored TAT from the
// failed write (ReturnValuesOnConditionCheckFailure): no read.
func (s *Store) TakeRate(ctx context.Context, t ratelimit.Take) (int64, bool, error) {
	full := t.Full
	var stored int64
	for try := 0; try < 2; try++ {
		tat, ok, last, err := s.takeRate(ctx, t, full)
		if err != nil || ok {
			return tat, ok, err
		}
		// The guess was wrong (one more write), or the requests do not fit.
		stored = last
		if storedFull := stored <= t.Now; storedFull == full || (!storedFull && stored > t.Now+t.Limit-t.Cost) {
			break
		}
		full = !full
	}
	return stored, false, nil
}

// takeRate is one conditional write: ok, or the stored TAT (0 when none).
func (s *Store) takeRate(ctx context.Context, t ratelimit.Take, full bool) (tat int64, ok bool, stored int64, err error) {
	values := map[string]types.AttributeValue{
		":now": num64(t.Now),
		":ttl": epoch(time.Unix(0, t.Now+t.Limit).Add(rateIdle)),
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 key(ratePK(t.PartnerID, t.Budget), rateSK),
		ExpressionAttributeNames:            map[string]string{"#tat": attrTAT, "#ttl": attrTTL},
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if full {
		values[":next"] = num64(t.Now + t.Cost)
		in.UpdateExpression = aws.String("SET #tat = :next, #ttl = :ttl")
		in.ConditionExpression = aws.String("attribute_not_exists(#tat) OR #tat <= :now")
	} else {
		values[":cost"] = num64(t.Cost)
		values[":latest"] = num64(t.Now + t.Limit - t.Cost)
		in.UpdateExpression = aws.String("SET #tat = #tat + :cost, #ttl = :ttl")
		in.ConditionExpression = aws.String("#tat > :now AND #tat <= :latest")
	}
	out, err := s.db.UpdateItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed) && len(failed.Item) == 0:
		return 0, false, 0, nil // no bucket yet: it is full
	case errors.As(err, &failed):
		r := reader{item: failed.Item}
		stored = r.int(attrTAT)
		return 0, false, stored, r.err
	case err != nil:
		return 0, false, 0, err
	}
	r := reader{item: out.Attributes}
	tat = r.int(attrTAT)
	return tat, r.err == nil, 0, r.err
}
