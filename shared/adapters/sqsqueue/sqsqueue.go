// Package sqsqueue is the webhook retry queue, the slow lane and the
// dead-letter queue on SQS: linked only by the functions that send to
// them. (Reading an SQS event is the Lambda side's: lambda/dispatch.)
package sqsqueue

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path"
	"strings"
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
// due later is received early and parked (Parking) until it is due.
const MaxDelay = 15 * time.Minute

// MaxPark is the longest a received message is kept hidden (SQS: 12
// hours from its receipt, less a minute's margin): the retry schedule's
// longest wait, 10 hours, fits in one park.
const MaxPark = 12*time.Hour - time.Minute

// ChangeVisibilityAPI is the SQS call that parks a received message.
type ChangeVisibilityAPI interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Parking keeps a received message that is not due yet in its queue,
// hidden until it is (its visibility timeout set to the wait), instead of
// sending it again: an attempt costs one message however long its wait.
// The consumer then reports it failed, so that Lambda leaves it in the
// queue; it comes back when due (one more receive of its
// maxReceiveCount).
type Parking struct {
	Client ChangeVisibilityAPI
	// URLs are the queues' URLs by queue name (the last part of the
	// event source's ARN and of the URL).
	URLs map[string]string
}

// NewParking is the parking of the queues at urls through cfg (nil
// without cfg or urls).
func NewParking(cfg *aws.Config, urls ...string) *Parking {
	p := &Parking{URLs: map[string]string{}}
	for _, u := range urls {
		if u != "" {
			p.URLs[path.Base(u)] = u
		}
	}
	if cfg == nil || len(p.URLs) == 0 {
		return nil
	}
	p.Client = sqs.NewFromConfig(*cfg)
	return p
}

// Park hides the message of receipt, received from the queue of
// sourceARN, for wait (at most MaxPark, whole seconds rounded up).
func (p *Parking) Park(ctx context.Context, sourceARN, receipt string, wait time.Duration) error {
	url, ok := p.URLs[sourceARN[strings.LastIndex(sourceARN, ":")+1:]]
	if !ok {
		return errors.New("sqsqueue: a message from a queue this function does not park")
	}
	secs := int32(math.Ceil(min(max(wait, 0), MaxPark).Seconds()))
	_, err := p.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: aws.String(receipt), VisibilityTimeout: secs})
	return err
}

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
