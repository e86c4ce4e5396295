package webhooks

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/store"
)

// SendMessageAPI is the SQS call the dead-letter queue makes.
type SendMessageAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSDeadLetters sends undeliverable events to an SQS queue.
type SQSDeadLetters struct {
	Client   SendMessageAPI
	QueueURL string
}

// DeadLetter is the message body: the event, as delivered, and why it failed.
type DeadLetter struct {
	EventID   string          `json:"eventId"`
	Type      string          `json:"type"`
	PartnerID string          `json:"partnerId"`
	Payload   json.RawMessage `json:"payload"`
	Reason    string          `json:"reason"`
}

func (q *SQSDeadLetters) Send(ctx context.Context, ev store.OutboxEvent, reason string) error {
	body, err := json.Marshal(DeadLetter{EventID: ev.ID, Type: ev.Type, PartnerID: ev.PartnerID, Payload: ev.Payload, Reason: reason})
	if err != nil {
		return err
	}
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(q.QueueURL),
		MessageBody:       aws.String(string(body)),
		MessageAttributes: nil,
	})
	return err
}

// logDeadLetters only logs (the local runner has no queue).
type logDeadLetters struct{}

func (logDeadLetters) Send(ctx context.Context, ev store.OutboxEvent, reason string) error {
	slog.ErrorContext(ctx, "webhook dead letter (no queue configured)", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "reason", reason)
	return nil
}
