package moto

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// iamActions are the IAM actions a call needs, each with the resource it
// touches: "table <prefix>" (the partition key's prefix up to its first #,
// what a dynamodb:LeadingKeys condition matches) or "index/<name>" for
// DynamoDB, "secret:<id>", "queue:<url>". A TransactWriteItems needs no
// action of its own but one per item: PutItem, UpdateItem, DeleteItem or
// ConditionCheckItem (DynamoDB's documented rule for transactions).
func iamActions(params any) []string {
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		return []string{"dynamodb:GetItem table " + leading(p.Key)}
	case *dynamodb.PutItemInput:
		return []string{"dynamodb:PutItem table " + leading(p.Item)}
	case *dynamodb.UpdateItemInput:
		return []string{"dynamodb:UpdateItem table " + leading(p.Key)}
	case *dynamodb.DeleteItemInput:
		return []string{"dynamodb:DeleteItem table " + leading(p.Key)}
	case *dynamodb.ScanInput:
		return []string{"dynamodb:Scan table"}
	case *dynamodb.BatchWriteItemInput:
		return []string{"dynamodb:BatchWriteItem table"}
	case *dynamodb.BatchGetItemInput:
		// dynamodb:LeadingKeys is checked on every key a batch reads.
		var out []string
		for _, ka := range p.RequestItems {
			for _, k := range ka.Keys {
				out = append(out, "dynamodb:BatchGetItem table "+leading(k))
			}
		}
		return out
	case *dynamodb.QueryInput:
		if p.IndexName != nil {
			return []string{"dynamodb:Query index/" + *p.IndexName}
		}
		pk := ""
		if m := pkCondition.FindStringSubmatch(deref(p.KeyConditionExpression)); m != nil {
			pk = prefixOf(p.ExpressionAttributeValues[m[1]])
		}
		return []string{"dynamodb:Query table " + pk}
	case *dynamodb.TransactWriteItemsInput:
		var out []string
		for _, it := range p.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, "dynamodb:PutItem table "+leading(it.Put.Item))
			case it.Update != nil:
				out = append(out, "dynamodb:UpdateItem table "+leading(it.Update.Key))
			case it.Delete != nil:
				out = append(out, "dynamodb:DeleteItem table "+leading(it.Delete.Key))
			case it.ConditionCheck != nil:
				out = append(out, "dynamodb:ConditionCheckItem table "+leading(it.ConditionCheck.Key))
			}
		}
		return out
	case *secretsmanager.GetSecretValueInput:
		return []string{"secretsmanager:GetSecretValue secret:" + deref(p.SecretId)}
	case *kms.DecryptInput:
		return []string{"kms:Decrypt key:" + deref(p.KeyId)}
	case *kms.EncryptInput:
		return []string{"kms:Encrypt key:" + deref(p.KeyId)}
	case *sqs.SendMessageInput:
		return []string{"sqs:SendMessage queue:" + deref(p.QueueUrl)}
	case *sqs.ChangeMessageVisibilityInput:
		return []string{"sqs:ChangeMessageVisibility queue:" + deref(p.QueueUrl)}
	case *sqs.GetQueueAttributesInput:
		return []string{"sqs:GetQueueAttributes queue:" + deref(p.QueueUrl)}
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

// pkCondition finds the partition key's value in a key condition.
var pkCondition = regexp.MustCompile(`\bpk\s*=\s*(:\w+)`)

// leading is the prefix of an item's or key's partition key.
func leading(item map[string]types.AttributeValue) string { return prefixOf(item["pk"]) }

// prefixOf is a key value up to and including its first "#".
func prefixOf(v types.AttributeValue) string {
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		return "?"
	}
	if i := strings.IndexByte(s.Value, '#'); i >= 0 {
		return s.Value[:i+1]
	}
	return s.Value
}
