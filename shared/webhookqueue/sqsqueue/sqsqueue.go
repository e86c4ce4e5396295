// Package sqsqueue is the webhook retry queue and dead-letter queue on SQS:
// linked only by the functions that send to them.
package sqsqueue

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/webhookqueue"
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

func (q *Retries) Enqueue(ctx context.Context, m webhookqueue.Retry, delay time.Duration) error {
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

func (q *DeadLetters) Send(ctx context.Context, d webhookqueue.DeadLetter) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.QueueURL), MessageBody: aws.String(string(body))})
	return err
}

// New are the queues at retryURL and dlqURL through cfg: for each URL
// that is "" or without cfg, nil.
func New(cfg *aws.Config, retryURL, dlqURL string) (webhookqueue.Queue, webhookqueue.DeadLetters) {
	if cfg == nil {
		return nil, nil
	}
	client := sqs.NewFromConfig(*cfg)
	var r webhookqueue.Queue
	var d webhookqueue.DeadLetters
	if retryURL != "" {
		r = &Retries{Client: client, QueueURL: retryURL}
	}
	if dlqURL != "" {
		d = &DeadLetters{Client: client, QueueURL: dlqURL}
	}
	return r, d
}

// Messages reads the retry messages of an SQS event: those that do not
// parse are returned apart (by message id), to be dropped.
func Messages(e events.SQSEvent) (ok []Received, bad []string) {
	for _, rec := range e.Records {
		var m webhookqueue.Retry
		if err := json.Unmarshal([]byte(rec.Body), &m); err != nil || m.EventID == "" || m.PartnerID == "" {
			bad = append(bad, rec.MessageId)
			continue
		}
		ok = append(ok, Received{MessageID: rec.MessageId, Retry: m})
	}
	return ok, bad
}

// Received is a retry message and its SQS message id.
type Received struct {
	MessageID string
	webhookqueue.Retry
}
