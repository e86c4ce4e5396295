package sqsqueue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/adapters/sqsqueue"
)

type visibility struct {
	in     []*sqs.ChangeMessageVisibilityInput
	flying string
	counts int
}

func (v *visibility) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	v.counts++
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"ApproximateNumberOfMessagesNotVisible": v.flying}}, nil
}

func (v *visibility) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	v.in = append(v.in, in)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// TestParkHidesAMessageInItsOwnQueueUntilDue: the queue is the one the
// event source's ARN names; the wait is rounded up to whole seconds and
// held to MaxPark; a queue the function was not given is refused.
func TestParkHidesAMessageInItsOwnQueueUntilDue(t *testing.T) {
	v := &visibility{flying: "10"}
	p := &sqsqueue.Parking{Client: v, URLs: map[string]string{"retries": "https://sqs.example/1/retries", "slow": "https://sqs.example/1/slow"}}
	ctx := context.Background()
	if err := p.Park(ctx, "arn:aws:sqs:us-east-1:1:slow", "r1", 90*time.Minute+300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := p.Park(ctx, "arn:aws:sqs:us-east-1:1:retries", "r2", 20*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := p.Park(ctx, "arn:aws:sqs:us-east-1:1:other", "r3", time.Hour); err == nil {
		t.Fatal("parked in a queue it was not given")
	}
	if len(v.in) != 2 || *v.in[0].QueueUrl != "https://sqs.example/1/slow" || *v.in[0].ReceiptHandle != "r1" || v.in[0].VisibilityTimeout != 5401 ||
		*v.in[1].QueueUrl != "https://sqs.example/1/retries" || v.in[1].VisibilityTimeout != int32(sqsqueue.MaxPark.Seconds()) {
		t.Fatalf("calls %+v", v.in)
	}
}

// TestParkingStopsShortOfTheInFlightLimit: SQS keeps at most 120,000
// messages of a standard queue in flight (parked ones count): at
// MaxParked a park is refused (the message is sent again instead), and
// the queue's count is read once a minute, the parks made meanwhile
// counted on it.
func TestParkingStopsShortOfTheInFlightLimit(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	v := &visibility{flying: "59998"}
	p := &sqsqueue.Parking{Client: v, URLs: map[string]string{"retries": "https://sqs.example/1/retries"}, Now: func() time.Time { return now }}
	ctx := context.Background()
	arn := "arn:aws:sqs:us-east-1:1:retries"
	for i := range 2 {
		if err := p.Park(ctx, arn, "r", time.Hour); err != nil {
			t.Fatalf("park %d under the limit: %v", i, err)
		}
	}
	if err := p.Park(ctx, arn, "r", time.Hour); !errors.Is(err, sqsqueue.ErrQueueBusy) {
		t.Fatalf("at the limit: %v", err)
	}
	if len(v.in) != 2 || v.counts != 1 {
		t.Fatalf("%d parks, %d counts read; want 2 and 1", len(v.in), v.counts)
	}
	v.flying = "100"
	now = now.Add(time.Minute)
	if err := p.Park(ctx, arn, "r", time.Hour); err != nil || v.counts != 2 || len(v.in) != 3 {
		t.Fatalf("a minute later: %v, %d counts, %d parks", err, v.counts, len(v.in))
	}
}
