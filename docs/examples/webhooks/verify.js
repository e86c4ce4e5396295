// Verify a webhook delivery in Node.js with the official Standard Webhooks
// library (npm install standardwebhooks).
//
//   WEBHOOK_SECRET=whsec_... node verify.js "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" < body.json
//
// In your server, call wh.verify with the raw body (before JSON.parse:
// express.raw({type: 'application/json'})) and the request's headers, then
// deduplicate on webhook-id (it is signed).
const { Webhook } = require('standardwebhooks');

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  let ok = false;
  try {
    const wh = new Webhook(process.env.WEBHOOK_SECRET || '');
    // verify checks the signature and that the timestamp is within five minutes.
    wh.verify(Buffer.concat(chunks).toString('utf8'), {
      'webhook-id': process.argv[2] || '',
      'webhook-timestamp': process.argv[3] || '',
      'webhook-signature': process.argv[4] || '',
    });
    ok = true;
  } catch (e) {
    ok = false;
  }
  console.log(ok ? 'valid' : 'invalid');
  process.exit(ok ? 0 : 1);
});
