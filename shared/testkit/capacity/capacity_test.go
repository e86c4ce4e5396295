package capacity

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// TestSizeByDynamoDBsRules: names and values counted as the developer
// guide sizes them.
func TestSizeByDynamoDBsRules(t *testing.T) {
	cases := []struct {
		item map[string]types.AttributeValue
		want int
	}{
		{map[string]types.AttributeValue{"pk": s("USER#1")}, 2 + 6},
		{map[string]types.AttributeValue{"ttl": n("1795428000")}, 3 + 4 + 1}, // 7 significant digits: 4, plus 1
		{map[string]types.AttributeValue{"n": n("0.0500")}, 1 + 1 + 1},       // one significant digit
		{map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ab": s("xyz")}}}, 1 + 3 + 1 + 2 + 3},
		{map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), s("bc")}}}, 1 + 3 + 1 + 1 + 1 + 2},
		{map[string]types.AttributeValue{"é": s("ü")}, 2 + 2}, // UTF-8 bytes
	}
	for _, c := range cases {
		if got := Size(c.item); got != c.want {
			t.Errorf("Size(%v) = %d, want %d", c.item, got, c.want)
		}
	}
	if readUnits(4096, true) != 1 || readUnits(4097, true) != 2 || readUnits(10, false) != 0.5 || readUnits(0, false) != 0.5 {
		t.Error("read units: one per 4 KB, half for an eventually consistent read, never less than one read")
	}
	if writeUnits(1024) != 1 || writeUnits(1025) != 2 || writeUnits(0) != 1 {
		t.Error("write units: one per 1 KB, at least one")
	}
}

// fakeDB answers GetItem from items, and applies puts.
type fakeDB struct {
	items map[string]map[string]types.AttributeValue
}

func key(k map[string]types.AttributeValue) string {
	return k["pk"].(*types.AttributeValueMemberS).Value + "|" + k["sk"].(*types.AttributeValueMemberS).Value
}

func (f *fakeDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: f.items[key(in.Key)]}, nil
}
func (f *fakeDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		if it.Put != nil {
			f.items[key(it.Put.Item)] = it.Put.Item
		}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}
func (f *fakeDB) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}
func (f *fakeDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}
func (f *fakeDB) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}
func (f *fakeDB) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return &dynamodb.BatchGetItemOutput{}, nil
}
func (f *fakeDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.items[key(in.Item)] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// TestTransactionsCountTwiceAndIndexesOnce: a transaction of two small
// items and a 1.5 KB one is 2x(1+1+2) units; the one in an index adds
// that index's write; a consistent read of a small item is one unit.
func TestTransactionsCountTwiceAndIndexesOnce(t *testing.T) {
	db := &fakeDB{items: map[string]map[string]types.AttributeValue{}}
	m := &Meter{Inner: db, Indexes: []Index{{Name: "by-partner", Keys: []string{"partnerId", "eventId"}, Projected: []string{}}}}
	big := map[string]types.AttributeValue{"pk": s("OUTBOX#1"), "sk": s("EVENT"), "partnerId": s("p"), "eventId": s("e"), "payload": s(strings.Repeat("x", 1500))}
	_, err := m.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"pk": s("USER#1"), "sk": s("PROFILE")}}},
		{Put: &types.Put{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"pk": s("GUARD#1"), "sk": s("GUARD")}}},
		{Put: &types.Put{TableName: aws.String("t"), Item: big}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, wru, calls := m.Units(); wru != 2*(1+1+2)+1 || calls != 1 {
		t.Fatalf("%v units in %d calls, want 9 in 1 (8 transactional, 1 for the index's projection of the event)", wru, calls)
	}
	m.Reset()
	if _, err := m.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"pk": s("USER#1"), "sk": s("PROFILE")}, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if rru, wru, _ := m.Units(); rru != 1 || wru != 0 {
		t.Fatalf("consistent read: %v RRU %v WRU", rru, wru)
	}
}
