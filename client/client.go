// Package client is a Go client of the Partner Identity API, generated from
// docs/openapi.yaml by oapi-codegen (client.gen.go: do not edit; run make
// client at the repository's root after changing the document), plus
// VerifyWebhook for the events the API delivers to a partner's webhook URL.
// It is a module of its own (go 1.24, two dependencies): importing it
// brings nothing of the server's.
//
//	c, err := client.NewClientWithResponses("https://identity.example.com",
//		client.WithRequestEditorFn(client.PartnerAPIKey(key)))
//	res, err := c.CreateUserWithResponse(ctx, client.CreateUserJSONRequestBody{
//		ExternalUserId: "partner-user-1", Type: client.CreateUserRequestTypeINDIVIDUAL,
//	})
//	// res.JSON201.Data.UserId, or res.JSON400.Error.Details
package client

//go:generate go -C .. tool oapi-codegen -config client/oapi-codegen.yaml docs/openapi.yaml
