package moto

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain"
)

// OutboxEvents reads every outbox event of a test table (the items whose
// keys dynamostore.OutboxKeyOf names an event, as the dispatcher finds
// them in the stream), with what the tests read of them: a scan, which
// the API never makes.
func OutboxEvents(ctx context.Context, db *dynamodb.Client, table string) ([]domain.OutboxEvent, error) {
	var out []domain.OutboxEvent
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			k, ok := dynamostore.OutboxKeyOf(s(it, "pk"), s(it, "sk"))
			if !ok {
				continue
			}
			ev := domain.OutboxEvent{ID: k.ID, UserID: k.UserID, Type: s(it, "eventType"), PartnerID: s(it, "partnerId")}
			if b, ok := it["payload"].(*types.AttributeValueMemberB); ok {
				ev.Payload = b.Value
			}
			ev.CreatedAt, _ = time.Parse(time.RFC3339Nano, s(it, "createdAt"))
			out = append(out, ev)
		}
	}
	return out, nil
}

// s is an item's string attribute ("" when it has none).
func s(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return strings.Clone(v.Value)
	}
	return ""
}
