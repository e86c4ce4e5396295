package moto

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// NewQueue creates an SQS queue of a name of its own starting with name.
func NewQueue(t testing.TB, q *sqs.Client, name string) string {
	t.Helper()
	created, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name + "-" + strconv.FormatInt(time.Now().UnixNano(), 10))})
	if err != nil {
		t.Fatal(err)
	}
	return *created.QueueUrl
}

// ReceiveAll takes (receives and deletes) every message visible in the
// queue at url: their bodies and message ids.
func ReceiveAll(t testing.TB, q *sqs.Client, url string) (bodies, ids []string) {
	t.Helper()
	for {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return bodies, ids
		}
		for _, m := range out.Messages {
			bodies, ids = append(bodies, *m.Body), append(ids, *m.MessageId)
			if _, err := q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
