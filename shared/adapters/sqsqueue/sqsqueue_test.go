package sqsqueue

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

type recorder struct{ in []*sqs.SendMessageInput }

func (r *recorder) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	r.in = append(r.in, in)
	return &sqs.SendMessageOutput{}, nil
}

// TestDelaysWithinSQSLimits: SQS takes DelaySeconds from 0 to 900 (AWS
// documents the range; a larger value is refused): a retry due later is
// sent with the longest delay, whole seconds rounded up, and carries no
// payload.
func TestDelaysWithinSQSLimits(t *testing.T) {
	r := &recorder{}
	q := &Retries{Client: r, QueueURL: "https://sqs.example/q"}
	m := queue.Retry{EventID: "evt_1", PartnerID: "p", Attempt: 3, NotBefore: time.Unix(1795428000, 0).UTC()}
	for _, c := range []struct {
		delay time.Duration
		want  int32
	}{{0, 0}, {-time.Second, 0}, {1500 * time.Millisecond, 2}, {5 * time.Minute, 300}, {15 * time.Minute, 900}, {5 * time.Hour, 900}} {
		if err := q.Enqueue(context.Background(), m, c.delay); err != nil {
			t.Fatal(err)
		}
		if got := r.in[len(r.in)-1].DelaySeconds; got != c.want {
			t.Errorf("delay %v: DelaySeconds %d, want %d", c.delay, got, c.want)
		}
	}
	var back queue.Retry
	body := *r.in[0].MessageBody
	if err := json.Unmarshal([]byte(body), &back); err != nil || back != m || strings.Contains(body, "payload") {
		t.Fatalf("message %s", body)
	}
}
