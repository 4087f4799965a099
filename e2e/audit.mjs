// Audits a running csm-graph server against the GraphQL-over-HTTP
// specification with graphql-http's server audits.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one line per audit (id, status, name; the reason when it did not
// pass), then a summary line. Exits 1 when any audit has status `error`
// (a MUST the server breaks), 2 on bad usage.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = await auditServer({ url });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  console.log(`${result.id} ${result.status.toUpperCase()} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(`    ${result.reason}`);
  }
}
console.log(
  `summary: ${results.length} audits, ${counts.ok} ok, ${counts.notice} notices, ` +
    `${counts.warn} warnings, ${counts.error} errors`,
);
process.exit(counts.error > 0 ? 1 : 0);
