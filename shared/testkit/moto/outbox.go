package moto

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/webhooks"
)

// OutboxEvents reads every outbox event of a test table, each decoded as
// the webhook dispatcher decodes it from the table's stream
// (webhooks.EventOf): a scan, which the API never makes.
func OutboxEvents(ctx context.Context, db *dynamodb.Client, table string) ([]store.OutboxEvent, error) {
	var out []store.OutboxEvent
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if ev, ok := webhooks.EventOf(events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{NewImage: streamImage(it)}}); ok {
				out = append(out, ev)
			}
		}
	}
	return out, nil
}

// streamImage is an item as a stream record carries it (the scalar types
// an outbox item holds).
func streamImage(item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	img := map[string]events.DynamoDBAttributeValue{}
	for name, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			img[name] = events.NewStringAttribute(v.Value)
		case *types.AttributeValueMemberN:
			img[name] = events.NewNumberAttribute(v.Value)
		case *types.AttributeValueMemberB:
			img[name] = events.NewBinaryAttribute(v.Value)
		case *types.AttributeValueMemberBOOL:
			img[name] = events.NewBooleanAttribute(v.Value)
		}
	}
	return img
}
