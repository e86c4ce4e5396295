// Verify a webhook delivery in Node.js, with the standard library only.
//
//   WEBHOOK_SECRET=... node verify.js "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" < body.json
//
// In your server, call verify with the headers and the raw body (a Buffer,
// before JSON.parse: express.raw({type: 'application/json'})).
const crypto = require('node:crypto');

function verify(secret, timestamp, signature, body) {
  const sec = Number(timestamp);
  if (!/^\d+$/.test(timestamp || '') || Math.abs(Date.now() / 1000 - sec) > 5 * 60) {
    return false; // missing, or too old: a replay
  }
  const mac = crypto.createHmac('sha256', secret);
  mac.update(timestamp + '.');
  mac.update(body);
  const want = Buffer.from('v1=' + mac.digest('hex'));
  return (signature || '').split(' ').some((got) => {
    const g = Buffer.from(got);
    return g.length === want.length && crypto.timingSafeEqual(g, want);
  });
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const ok = verify(process.env.WEBHOOK_SECRET || '', process.argv[2], process.argv[3], Buffer.concat(chunks));
  console.log(ok ? 'valid' : 'invalid');
  process.exit(ok ? 0 : 1);
});
