// Command dynamo is the baseline of the network bench: a bare
// aws-lambda-go function that makes one DynamoDB call per event (a
// GetItem of the item whose pk is BASELINE_PK and sk PROFILE, on TABLE_NAME) with the SDK configured
// from the environment as the functions' is (shared/adapters/awsconfig), and
// nothing else: no secret, no prefetch. Its client is built during
// initialisation, as any function's is; its connection is opened by its
// first call.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/awsconfig"
)

func main() {
	cfg, _, err := awsconfig.FromEnv()
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	table, pk := os.Getenv("TABLE_NAME"), os.Getenv("BASELINE_PK")
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (map[string]any, error) {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "PROFILE"}}})
		if err != nil {
			return nil, err
		}
		return map[string]any{"statusCode": 200, "body": len(out.Item)}, nil
	})
}
