package moto

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// iamActions are the IAM actions a call needs, each with the resource it
// touches: "table" or "index/<name>" for DynamoDB, "secret:<id>",
// "queue:<url>". A TransactWriteItems needs no action of its own but one
// per item: PutItem, UpdateItem, DeleteItem or ConditionCheckItem
// (DynamoDB's documented rule for transactions).
func iamActions(params any) []string {
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		return []string{"dynamodb:GetItem table"}
	case *dynamodb.PutItemInput:
		return []string{"dynamodb:PutItem table"}
	case *dynamodb.UpdateItemInput:
		return []string{"dynamodb:UpdateItem table"}
	case *dynamodb.DeleteItemInput:
		return []string{"dynamodb:DeleteItem table"}
	case *dynamodb.ScanInput:
		return []string{"dynamodb:Scan table"}
	case *dynamodb.BatchWriteItemInput:
		return []string{"dynamodb:BatchWriteItem table"}
	case *dynamodb.QueryInput:
		if p.IndexName != nil {
			return []string{"dynamodb:Query index/" + *p.IndexName}
		}
		return []string{"dynamodb:Query table"}
	case *dynamodb.TransactWriteItemsInput:
		var out []string
		for _, it := range p.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, "dynamodb:PutItem table")
			case it.Update != nil:
				out = append(out, "dynamodb:UpdateItem table")
			case it.Delete != nil:
				out = append(out, "dynamodb:DeleteItem table")
			case it.ConditionCheck != nil:
				out = append(out, "dynamodb:ConditionCheckItem table")
			}
		}
		return out
	case *secretsmanager.GetSecretValueInput:
		return []string{"secretsmanager:GetSecretValue secret:" + deref(p.SecretId)}
	case *sqs.SendMessageInput:
		return []string{"sqs:SendMessage queue:" + deref(p.QueueUrl)}
	}
	return []string{"unknown:" + typeName(params)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
