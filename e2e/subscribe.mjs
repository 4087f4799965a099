// Subscribes to `caseEvents` with the `graphql-ws` client over `ws`, as a
// portal or workspace would, and prints one JSON line per message on stdout:
//
//   CSM_TOKEN=<access token> node subscribe.mjs <api url> [case id]
//
// `{"connected": true}` once the server acknowledged the connection (the
// subscription is sent right after), then `{"event": {...}}` per event. It
// runs until killed; exits 1 when the connection or the subscription fails
// or the server completes the subscription, 2 on bad usage.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, caseId] = process.argv.slice(2);
const token = process.env.CSM_TOKEN;
if (!url || !token) {
  console.error('usage: CSM_TOKEN=<access token> node subscribe.mjs <api url> [case id]');
  process.exit(2);
}

const SUBSCRIBE = `
  subscription CaseEvents($caseId: ID) {
    caseEvents(caseId: $caseId) {
      kind
      at
      case { id number state }
      actor { fullName email }
    }
  }
`;

function print(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function fail(message) {
  console.error(`subscribe.mjs: ${message}`);
  process.exit(1);
}

const client = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: () => ({ authorization: `Bearer ${token}` }),
  lazy: false,
  retryAttempts: 0,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => fail(`connection closed: ${event?.code} ${event?.reason ?? ''}`),
    error: (error) => fail(`connection error: ${error?.message ?? error}`),
  },
});

client.subscribe(
  { query: SUBSCRIBE, variables: { caseId: caseId ?? null } },
  {
    next: (result) => {
      if (result.errors) fail(`errors: ${JSON.stringify(result.errors)}`);
      print({ event: result.data.caseEvents });
    },
    error: (error) => fail(`subscription error: ${JSON.stringify(error)}`),
    complete: () => fail('the server completed the subscription'),
  },
);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    client.dispose();
    process.exit(0);
  });
}
