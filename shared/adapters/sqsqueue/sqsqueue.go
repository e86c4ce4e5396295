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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
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

// ChangeVisibilityAPI are the SQS calls that park a received message:
// the queue's messages in flight, then the message's visibility.
type ChangeVisibilityAPI interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// MaxParked is how many messages a queue may hold in flight (received,
// not deleted: parked ones among them) before Parking refuses to park
// more: half of SQS's 120,000 in-flight messages of a standard queue,
// past which its consumers receive nothing. A refused message is sent
// again instead (one more message, as before parking).
const MaxParked = 60_000

// ErrQueueBusy: the queue holds MaxParked messages in flight or more.
var ErrQueueBusy = errors.New("sqsqueue: the queue holds too many messages in flight to park one more")

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
	// Now is the clock of the in-flight counts' cache (time.Now when nil).
	Now func() time.Time

	mu       sync.Mutex
	inFlight map[string]flightCount
}

// flightCount is a queue's messages in flight as last read.
type flightCount struct {
	n  int
	at time.Time
}

// countFor is how long a queue's in-flight count is used before it is
// read again: one GetQueueAttributes a minute per container and queue.
const countFor = time.Minute

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
	n, err := p.flying(ctx, url)
	if err != nil {
		return err
	}
	if n >= MaxParked {
		return ErrQueueBusy
	}
	secs := int32(math.Ceil(min(max(wait, 0), MaxPark).Seconds()))
	_, err = p.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
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

// flying is the queue's messages in flight (SQS's approximate count),
// read at most once a countFor per queue; a message parked meanwhile
// counts one more.
func (p *Parking) flying(ctx context.Context, url string) (int, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	p.mu.Lock()
	c, ok := p.inFlight[url]
	if ok && now().Sub(c.at) < countFor {
		c.n++
		p.inFlight[url] = c
		p.mu.Unlock()
		return c.n - 1, nil
	}
	p.mu.Unlock()
	out, err := p.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	if err != nil {
		return 0, errors.New("sqsqueue: the queue's messages in flight are not a number")
	}
	p.mu.Lock()
	if p.inFlight == nil {
		p.inFlight = map[string]flightCount{}
	}
	p.inFlight[url] = flightCount{n: n + 1, at: now()}
	p.mu.Unlock()
	return n, nil
}
