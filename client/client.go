// Package client is a Go client of the Partner Identity API, generated from
// docs/openapi.yaml by oapi-codegen (client.gen.go: do not edit; run
// go generate ./client after changing the document), plus VerifyWebhook for
// the events the API delivers to a partner's webhook URL.
//
//	c, err := client.NewClientWithResponses("https://identity.example.com",
//		client.WithRequestEditorFn(client.PartnerAPIKey(key)))
//	res, err := c.CreateUserWithResponse(ctx, client.CreateUserJSONRequestBody{
//		ExternalUserId: "partner-user-1", Type: client.INDIVIDUAL,
//	})
//	// res.JSON201.Data.UserId, or res.JSON400.Error.Details
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../docs/openapi.yaml
