package sqsqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/adapters/sqsqueue"
)

type visibility struct {
	in []*sqs.ChangeMessageVisibilityInput
}

func (v *visibility) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	v.in = append(v.in, in)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// TestParkHidesAMessageInItsOwnQueueUntilDue: the queue is the one the
// event source's ARN names; the wait is rounded up to whole seconds and
// held to MaxPark; a queue the function was not given is refused.
func TestParkHidesAMessageInItsOwnQueueUntilDue(t *testing.T) {
	v := &visibility{}
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
