package webhooks

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/app"
)

// NewDispatcher is the dispatcher over a container's dependencies: dead
// letters go to the SQS queue of d.WebhookDLQURL, or to the log without one.
func NewDispatcher(d *app.Deps) *Dispatcher {
	var dlq DeadLetters = LogDeadLetters{}
	if d.WebhookDLQURL != "" && d.AWS != nil {
		dlq = &SQSDeadLetters{Client: sqs.NewFromConfig(*d.AWS), QueueURL: d.WebhookDLQURL}
	}
	return &Dispatcher{Store: d.Store, Registry: d.Registry, Now: d.Now, DeadLetters: dlq,
		Sender: NewSender(DefaultTimeout, d.WebhookAllowHTTP)}
}
