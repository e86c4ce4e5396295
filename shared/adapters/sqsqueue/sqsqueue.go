// Package sqsqueue is the webhook retry queue, the slow lane and the
// dead-letter queue on SQS: linked only by the functions that send to
// them. (Reading an SQS event is the Lambda side's: lambda/dispatch.)
package sqsqueue

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// SendMessageAPI is the SQS call the queues make.
type SendMessageAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// MaxDelay is the longest delay SQS gives a message (15 minutes): a retry
// due later is received early and sent again with the rest of its delay.
const MaxDelay = 15 * time.Minute

// Retries is the retry queue.
type Retries struct {
	Client   SendMessageAPI
	QueueURL string
}

func (q *Retries) Enqueue(ctx context.Context, m queue.Retry, delay time.Duration) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	secs := int32(math.Ceil(min(max(delay, 0), MaxDelay).Seconds()))
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.QueueURL), MessageBody: aws.String(string(body)), DelaySeconds: secs})
	return err
}

// DeadLetters is the dead-letter queue.
type DeadLetters struct {
	Client   SendMessageAPI
	QueueURL string
}

func (q *DeadLetters) Send(ctx context.Context, d queue.DeadLetter) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.QueueURL), MessageBody: aws.String(string(body))})
	return err
}

// New are the queues at retryURL and dlqURL through cfg: for each URL
// that is "" or without cfg, nil.
func New(cfg *aws.Config, retryURL, dlqURL string) (queue.Queue, queue.DeadLetters) {
	if cfg == nil {
		return nil, nil
	}
	client := sqs.NewFromConfig(*cfg)
	var r queue.Queue
	var d queue.DeadLetters
	if retryURL != "" {
		r = &Retries{Client: client, QueueURL: retryURL}
	}
	if dlqURL != "" {
		d = &DeadLetters{Client: client, QueueURL: dlqURL}
	}
	return r, d
}
