// Package capacity meters what a store's DynamoDB calls would be billed
// in on-demand mode: read and write request units, from the sizes of the
// items each call reads or writes by DynamoDB's rules, for the cost table
// of docs/PERFORMANCE.md. It wraps the client the store calls (moto in the
// bench) and reads the items before and after a write (unmetered calls) to
// size them. moto's own ConsumedCapacity is not used: it does not size
// items.
//
// The rules (DynamoDB developer guide, "Item sizes and formats" and
// "Read/write capacity mode"): an item's size is the sum, over its
// attributes, of the name's UTF-8 length and the value's size (string:
// UTF-8 length; number: about one byte per two significant digits, plus
// one; boolean and null: one; list and map: three, plus one per element,
// plus the elements). A read costs one unit per 4 KB (eventually
// consistent: half), a write one per 1 KB of the larger of the item before
// and after; a transaction costs twice that for every item in it (a
// condition check is counted as a transactional write of the item it
// checks); a query reads the sum of the sizes it returns; a write to an
// item that is in a global secondary index also writes the index (the
// projected attributes), once per index.
package capacity

import (
	"context"
	"math"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
)

// Index is a global secondary index: its key attributes and the other
// attributes it projects (nil: all).
type Index struct {
	Name      string
	Keys      []string
	Projected []string
}

// IndexesOf are the global secondary indexes of a table's definition
// (moto.TableInput's, from template.yaml), as a Meter takes them.
func IndexesOf(in *dynamodb.CreateTableInput) []Index {
	var out []Index
	for _, g := range in.GlobalSecondaryIndexes {
		ix := Index{Name: aws.ToString(g.IndexName)}
		for _, k := range g.KeySchema {
			ix.Keys = append(ix.Keys, aws.ToString(k.AttributeName))
		}
		if g.Projection.ProjectionType != types.ProjectionTypeAll {
			ix.Projected = append([]string{}, g.Projection.NonKeyAttributes...)
		}
		out = append(out, ix)
	}
	return out
}

// Meter is a dynamostore.API that counts request units.
type Meter struct {
	Inner   dynamostore.API
	Indexes []Index

	mu       sync.Mutex
	rru, wru float64
	calls    int
	// keys counts the writes to each partition key: "table " and the
	// item's pk, or an index's name, a space and the item's key there.
	keys map[string]int
}

var _ dynamostore.API = (*Meter)(nil)

// Units are the request units counted since the last Reset, and the
// calls that consumed them.
func (m *Meter) Units() (rru, wru float64, calls int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rru, m.wru, m.calls
}

// Reset zeroes the counts.
func (m *Meter) Reset() {
	m.mu.Lock()
	m.rru, m.wru, m.calls, m.keys = 0, 0, 0, nil
	m.mu.Unlock()
}

// KeyWrites are the writes counted to each partition key since the last
// Reset: "table <pk>" for the table's, "<index> <key>" for an index's.
func (m *Meter) KeyWrites() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.keys))
	for k, n := range m.keys {
		out[k] = n
	}
	return out
}

// wrote counts a write to partition key k.
func (m *Meter) wrote(k string) {
	m.mu.Lock()
	if m.keys == nil {
		m.keys = map[string]int{}
	}
	m.keys[k]++
	m.mu.Unlock()
}

// wroteItem counts a write to the table's partition of item (or key).
func (m *Meter) wroteItem(key map[string]types.AttributeValue) {
	if s, ok := key["pk"].(*types.AttributeValueMemberS); ok {
		m.wrote("table " + s.Value)
	}
}

// add counts one call and its units.
func (m *Meter) add(rru, wru float64) {
	m.mu.Lock()
	m.rru += rru
	m.wru += wru
	m.calls++
	m.mu.Unlock()
}

// Size is an item's size in bytes by DynamoDB's rules.
func Size(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize: one byte per two significant digits, plus one.
func numberSize(s string) int {
	digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "", "+", "").Replace(s), "0")
	if i := strings.IndexAny(digits, "eE"); i >= 0 {
		digits = digits[:i]
	}
	digits = strings.TrimRight(digits, "0")
	return (utf8.RuneCountInString(digits)+1)/2 + 1
}

func readUnits(bytes int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(bytes)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

func writeUnits(bytes int) float64 { return math.Max(1, math.Ceil(float64(bytes)/1024)) }

// indexWrites are the units of writing item (after a write; before it)
// into the indexes it is in, as DynamoDB writes them: an item that stays
// under the same index keys with the same projected attributes writes
// nothing there; one that moves is deleted under its old key and put
// under its new one (two writes); one that comes or goes, one. Each write
// is counted to its index partition key.
func (m *Meter) indexWrites(before, after map[string]types.AttributeValue) float64 {
	u := 0.0
	for _, ix := range m.Indexes {
		in := func(item map[string]types.AttributeValue) bool {
			for _, k := range ix.Keys {
				if item[k] == nil {
					return false
				}
			}
			return item != nil
		}
		hash := func(item map[string]types.AttributeValue) string {
			s, _ := item[ix.Keys[0]].(*types.AttributeValueMemberS)
			if s == nil {
				return "?"
			}
			return s.Value
		}
		b, a := in(before), in(after)
		pb, pa := m.project(ix, before), m.project(ix, after)
		switch {
		case b && a && sameKeys(ix, before, after):
			if !reflect.DeepEqual(pb, pa) {
				u += writeUnits(max(Size(pb), Size(pa)))
				m.wrote(ix.Name + " " + hash(after))
			}
		case b && a:
			u += writeUnits(Size(pb)) + writeUnits(Size(pa))
			m.wrote(ix.Name + " " + hash(before))
			m.wrote(ix.Name + " " + hash(after))
		case b:
			u += writeUnits(Size(pb))
			m.wrote(ix.Name + " " + hash(before))
		case a:
			u += writeUnits(Size(pa))
			m.wrote(ix.Name + " " + hash(after))
		}
	}
	return u
}

// sameKeys tells whether before and after have the same keys in ix.
func sameKeys(ix Index, before, after map[string]types.AttributeValue) bool {
	for _, k := range ix.Keys {
		if !reflect.DeepEqual(before[k], after[k]) {
			return false
		}
	}
	return true
}

func (m *Meter) project(ix Index, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil || ix.Projected == nil {
		return item
	}
	out := map[string]types.AttributeValue{}
	for _, k := range append(append([]string{"pk", "sk"}, ix.Keys...), ix.Projected...) {
		if v, ok := item[k]; ok {
			out[k] = v
		}
	}
	return out
}

// get reads an item unmetered (nil when absent).
func (m *Meter) get(ctx context.Context, table string, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	out, err := m.Inner.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil
	}
	return out.Item
}

// keyOf is the primary key of item.
func keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}
}

func (m *Meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := m.Inner.GetItem(ctx, in, opts...)
	if err == nil {
		m.add(readUnits(Size(out.Item), aws.ToBool(in.ConsistentRead)), 0)
	}
	return out, err
}

func (m *Meter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := m.Inner.Query(ctx, in, opts...)
	if err == nil {
		n := 0
		for _, it := range out.Items {
			n += Size(it)
		}
		m.add(readUnits(n, aws.ToBool(in.ConsistentRead)), 0)
	}
	return out, err
}

func (m *Meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := m.Inner.BatchGetItem(ctx, in, opts...)
	if err == nil {
		for table, ka := range in.RequestItems {
			got := out.Responses[table]
			for i := range ka.Keys {
				size := 0
				if i < len(got) {
					size = Size(got[i])
				}
				m.add(readUnits(size, aws.ToBool(ka.ConsistentRead)), 0)
			}
		}
	}
	return out, err
}

func (m *Meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	before := m.get(ctx, *in.TableName, keyOf(in.Item))
	out, err := m.Inner.PutItem(ctx, in, opts...)
	after := in.Item
	if err != nil {
		after = before // refused by its condition: the item is read, not written
	}
	m.wroteItem(in.Item)
	m.add(0, writeUnits(max(Size(before), Size(in.Item)))+m.indexWrites(before, after)*boolf(err == nil))
	return out, err
}

func (m *Meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	before := m.get(ctx, *in.TableName, in.Key)
	// The item after the write comes back with it (ALL_NEW) when the
	// caller asks for nothing else: one call fewer on the emulator.
	asked := in.ReturnValues
	if asked == "" || asked == types.ReturnValueNone {
		cp := *in
		cp.ReturnValues = types.ReturnValueAllNew
		in = &cp
	}
	out, err := m.Inner.UpdateItem(ctx, in, opts...)
	var after map[string]types.AttributeValue
	switch {
	case err != nil:
		after = before
	case asked == "" || asked == types.ReturnValueNone:
		after, out.Attributes = out.Attributes, nil
	default:
		after = m.get(ctx, *in.TableName, in.Key)
	}
	m.wroteItem(in.Key)
	m.add(0, writeUnits(max(Size(before), Size(after)))+m.indexWrites(before, after)*boolf(err == nil))
	return out, err
}

func (m *Meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	before := m.get(ctx, *in.TableName, in.Key)
	out, err := m.Inner.DeleteItem(ctx, in, opts...)
	m.wroteItem(in.Key)
	m.add(0, writeUnits(Size(before))+m.indexWrites(before, nil)*boolf(err == nil))
	return out, err
}

func (m *Meter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	type action struct {
		table string
		key   map[string]types.AttributeValue
		put   map[string]types.AttributeValue
	}
	var acts []action
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			acts = append(acts, action{*it.Put.TableName, keyOf(it.Put.Item), it.Put.Item})
		case it.Update != nil:
			acts = append(acts, action{table: *it.Update.TableName, key: it.Update.Key})
		case it.Delete != nil:
			acts = append(acts, action{table: *it.Delete.TableName, key: it.Delete.Key})
		case it.ConditionCheck != nil:
			acts = append(acts, action{table: *it.ConditionCheck.TableName, key: it.ConditionCheck.Key})
		}
	}
	befores := make([]map[string]types.AttributeValue, len(acts))
	for i, a := range acts {
		befores[i] = m.get(ctx, a.table, a.key)
	}
	out, err := m.Inner.TransactWriteItems(ctx, in, opts...)
	units := 0.0
	for i, a := range acts {
		after := m.get(ctx, a.table, a.key)
		units += 2 * writeUnits(max(Size(befores[i]), Size(after), Size(a.put)))
		m.wroteItem(a.key)
		if err == nil {
			units += m.indexWrites(befores[i], after)
		}
	}
	m.add(0, units)
	return out, err
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
